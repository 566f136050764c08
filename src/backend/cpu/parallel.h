// run_tasks: spreads independent tasks over a ThreadPool and tells each task which thread slot runs it, so it
// can use that slot's Workspace block. Must not contain op code.
#pragma once

#include <cstdint>
#include <functional>

#include "base/thread_pool.h"

namespace fovea::backend::cpu {

// Calls task(task_idx, slot_idx) once for every task_idx in [0, num_tasks). slot_idx < pool.num_threads(), and
// two tasks with the same slot never run at the same time. Blocks until all are done.
void run_tasks(base::ThreadPool& pool, int64_t num_tasks, const std::function<void(int64_t, int)>& task);

}  // namespace fovea::backend::cpu
