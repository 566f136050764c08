// What the bench measured for one request: success, the client-side timings (seconds, from the bench's own
// steady clock) and the server's token counts. The metric definitions over many records are bench_metrics.h's.
// Must not contain HTTP or JSON.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fovea::bench {

struct RequestRecord {
  bool success = false;
  double start_time_s = 0.0;    // when the request was sent, from the run's start
  double queue_time_s = 0.0;    // time waiting for a --max-concurrency slot before it was sent
  double ttft_s = 0.0;          // send -> first chunk with output (content or reasoning)
  double latency_s = 0.0;       // send -> last chunk with choices (vLLM's e2el: the usage chunk carries no token)
  std::vector<double> itl_s;    // gaps between consecutive chunks with output
  int64_t prompt_tokens = 0;    // usage.prompt_tokens (0 when the server sent no usage)
  int64_t output_tokens = 0;    // usage.completion_tokens; without usage, the number of output chunks
  bool usage_reported = false;  // the stream carried a usage chunk
  int64_t num_images = 0;       // images the request carried
  int http_status = 0;
  std::string generated_text;
  std::string error;  // why it failed: transport error, HTTP status with the body, or a stream error
};

}  // namespace fovea::bench
