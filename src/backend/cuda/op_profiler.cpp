// OpProfiler: event pairs per op call and the per-key table (see op_profiler.h).
#include "backend/cuda/op_profiler.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace fovea::backend::cuda {

std::string profile_key(const char* op, const Tensor& t) {
  return fmt::format("{} {} {}", op, t.shape.to_string(), tensor::dtype_name(t.dtype));
}

std::string linear_profile_key(const Tensor& x, const Weight& w) {
  static constexpr const char* kFormats[] = {"", " int4", " int8", " fp8"};
  return fmt::format("linear M={} N={} K={} {}{}", x.dim(0), w.out_features(), w.in_features(),
                     tensor::dtype_name(x.dtype), kFormats[static_cast<int>(w.format)]);
}

OpProfiler& OpProfiler::instance() {
  static OpProfiler profiler;
  return profiler;
}

void OpProfiler::set_enabled(bool enabled) {
  std::lock_guard<std::mutex> lock(mutex_);
  enabled_ = enabled;
  if (!enabled) clear_locked();
}

int OpProfiler::begin(cudaStream_t stream) {
  cudaStreamCaptureStatus capture = cudaStreamCaptureStatusNone;
  if (cudaStreamIsCapturing(stream, &capture) != cudaSuccess || capture != cudaStreamCaptureStatusNone) return -1;
  Record record;
  if (cudaEventCreate(&record.start) != cudaSuccess || cudaEventCreate(&record.stop) != cudaSuccess ||
      cudaEventRecord(record.start, stream) != cudaSuccess) {
    cudaGetLastError();
    if (record.start != nullptr) cudaEventDestroy(record.start);
    if (record.stop != nullptr) cudaEventDestroy(record.stop);
    return -1;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  records_.push_back(record);
  return static_cast<int>(records_.size() - 1);
}

void OpProfiler::end(int record_idx, cudaStream_t stream, std::string key) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (record_idx < 0 || static_cast<size_t>(record_idx) >= records_.size()) return;
  Record& record = records_[static_cast<size_t>(record_idx)];
  record.key = std::move(key);
  if (cudaEventRecord(record.stop, stream) != cudaSuccess) cudaGetLastError();
}

void OpProfiler::clear_locked() {
  for (Record& record : records_) {
    cudaEventDestroy(record.start);
    cudaEventDestroy(record.stop);
  }
  records_.clear();
}

std::string OpProfiler::report() {
  std::lock_guard<std::mutex> lock(mutex_);
  struct Row {
    int calls = 0;
    double total_ms = 0;
  };
  std::map<std::string, Row> rows;
  double total_ms = 0;
  for (Record& record : records_) {
    float ms = 0;
    if (cudaEventSynchronize(record.stop) != cudaSuccess ||
        cudaEventElapsedTime(&ms, record.start, record.stop) != cudaSuccess) {
      cudaGetLastError();
      continue;
    }
    Row& row = rows[record.key];
    ++row.calls;
    row.total_ms += ms;
    total_ms += ms;
  }
  clear_locked();
  std::vector<std::pair<std::string, Row>> sorted(rows.begin(), rows.end());
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.second.total_ms > b.second.total_ms; });
  std::string text = fmt::format("  {:<58} {:>6} {:>10} {:>10} {:>6}\n", "op", "calls", "total ms", "mean us", "share");
  for (const auto& [key, row] : sorted) {
    text += fmt::format("  {:<58} {:>6} {:>10.3f} {:>10.1f} {:>5.1f}%\n", key, row.calls, row.total_ms,
                        1e3 * row.total_ms / row.calls, total_ms > 0 ? 100.0 * row.total_ms / total_ms : 0.0);
  }
  text += fmt::format("  {:<58} {:>6} {:>10.3f}\n", "sum of op times", "", total_ms);
  return text;
}

}  // namespace fovea::backend::cuda
