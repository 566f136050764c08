// run_tasks: one pool chunk per slot; slots pull task indices from a shared counter (cheap load balancing).
#include "backend/cpu/parallel.h"

#include <algorithm>
#include <atomic>

namespace fovea::backend::cpu {

void run_tasks(base::ThreadPool& pool, int64_t num_tasks, const std::function<void(int64_t, int)>& task) {
  if (num_tasks <= 0) return;
  const int64_t num_slots = std::min<int64_t>(pool.num_threads(), num_tasks);
  if (num_slots == 1) {
    for (int64_t task_idx = 0; task_idx < num_tasks; ++task_idx) task(task_idx, 0);
    return;
  }
  std::atomic<int64_t> next_task{0};
  pool.parallel_for(num_slots, [&](int64_t slot_begin, int64_t slot_end) {
    for (int64_t slot_idx = slot_begin; slot_idx < slot_end; ++slot_idx) {
      for (int64_t task_idx = next_task.fetch_add(1); task_idx < num_tasks; task_idx = next_task.fetch_add(1)) {
        task(task_idx, static_cast<int>(slot_idx));
      }
    }
  });
}

}  // namespace fovea::backend::cpu
