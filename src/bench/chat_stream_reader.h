// Turns the bytes of one streamed OpenAI answer, with the time each piece arrived, into a RequestRecord: TTFT at
// the first chunk carrying output, ITL between output chunks, the end at the last chunk with choices, token counts
// from the usage chunk. Pure (no sockets), so unit tests and the fuzzer drive it with recorded bytes.
// Must not contain HTTP or clocks.
#pragma once

#include <string_view>
#include <vector>

#include "bench/request_record.h"
#include "bench/sse_parser.h"

namespace fovea::bench {

class ChatStreamReader {
 public:
  // `record` carries start_time_s and num_images already; times passed in are seconds since the send.
  explicit ChatStreamReader(RequestRecord record) : record_(std::move(record)) {}

  // Bytes of a 200 answer that arrived `since_send_s` after the send. False once the stream is unusable (the
  // record then says why); the caller should stop reading.
  bool on_bytes(std::string_view bytes, double since_send_s);

  // The record after the body ended (or the transport failed with `transport_error`, empty when it did not).
  RequestRecord finish(std::string_view transport_error);

 private:
  bool on_event(const std::string& data, double since_send_s);
  void fail(std::string message);

  RequestRecord record_;
  SseParser parser_;
  std::vector<std::string> events_;
  bool has_first_output_ = false;
  bool done_ = false;
  bool failed_ = false;
  double last_output_s_ = 0.0;
  double last_choices_s_ = 0.0;
  double last_bytes_s_ = 0.0;  // arrival of the latest bytes: the time of events that only the end completes
  int64_t num_output_chunks_ = 0;
};

}  // namespace fovea::bench
