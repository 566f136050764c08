// OpProfiler: device time per CUDA op for diagnosis (bench-engine --profile-prefill): a pair of CUDA events around
// each op call that is not being captured into a graph, summed per key (op name and shapes) when a report is asked
// for. Off unless enabled, then it costs one branch per op. Must not contain ops or kernels.
#pragma once

#include <cuda_runtime_api.h>

#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "backend/tensor.h"
#include "backend/weight.h"

namespace fovea::backend::cuda {

// "rms_norm [2048, 64, 128] bf16": the op and its main operand, the key of one profile row.
std::string profile_key(const char* op, const Tensor& t);
// "linear M=2048 N=8192 K=5120 bf16" (the weight format appended when quantized).
std::string linear_profile_key(const Tensor& x, const Weight& w);

class OpProfiler {
 public:
  static OpProfiler& instance();

  bool enabled() const { return enabled_; }
  // Turning it off drops what was recorded and not reported.
  void set_enabled(bool enabled);

  // Records the start of an op on `stream`; -1 when off or while the stream is being captured.
  int begin(cudaStream_t stream);
  // Records the end of the op begun as `record_idx` (ignored when -1).
  void end(int record_idx, cudaStream_t stream, std::string key);

  // Waits for every recorded op, then one table row per key (calls, total and mean ms, share of the total),
  // slowest first; clears the records.
  std::string report();

 private:
  struct Record {
    cudaEvent_t start = nullptr;
    cudaEvent_t stop = nullptr;
    std::string key;
  };
  void clear_locked();

  bool enabled_ = false;
  std::mutex mutex_;
  std::vector<Record> records_;
};

// Times one op call from construction to destruction; `describe` (a callable returning the key) runs only when
// the profiler records.
class OpTimer {
 public:
  template <typename Describe>
  OpTimer(cudaStream_t stream, Describe&& describe) : stream_(stream) {
    OpProfiler& profiler = OpProfiler::instance();
    if (!profiler.enabled()) return;
    record_idx_ = profiler.begin(stream);
    if (record_idx_ >= 0) key_ = std::forward<Describe>(describe)();
  }
  ~OpTimer() {
    if (record_idx_ >= 0) OpProfiler::instance().end(record_idx_, stream_, std::move(key_));
  }
  OpTimer(const OpTimer&) = delete;
  OpTimer& operator=(const OpTimer&) = delete;

 private:
  cudaStream_t stream_;
  int record_idx_ = -1;
  std::string key_;
};

}  // namespace fovea::backend::cuda
