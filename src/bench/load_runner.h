// Sends a run's requests on their arrival schedule with at most --max-concurrency in flight, one thread and one
// keep-alive connection per concurrency slot, and collects a RequestRecord per request (in request order).
// Must not contain datasets or metric computation.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "bench/openai_client.h"
#include "bench/request_record.h"

namespace fovea::bench {

struct LoadOptions {
  std::string route = "/v1/chat/completions";
  double request_rate = std::numeric_limits<double>::infinity();
  double burstiness = 1.0;
  int64_t max_concurrency = 0;  // 0: no limit (one thread per request, up to kMaxThreads)
  uint64_t seed = 0;
  double request_timeout_s = 600.0;
};

struct RunRequest {
  std::string body;  // the JSON body
  int64_t num_images = 0;
};

struct LoadResult {
  std::vector<RequestRecord> records;  // one per request, in request order
  double duration_s = 0.0;             // first send -> last answer
};

// Called from worker threads (serialised) after each request finishes.
using ProgressFn = std::function<void(int64_t num_done, int64_t num_total)>;

// Without --max-concurrency every request still gets a thread, but never more than this many at once.
inline constexpr int64_t kMaxThreads = 1024;

LoadResult run_load(const ServerAddress& address, const std::vector<RunRequest>& requests, const LoadOptions& options,
                    const ProgressFn& progress);

}  // namespace fovea::bench
