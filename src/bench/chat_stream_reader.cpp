// Streamed answer bytes -> one RequestRecord, with vLLM's definitions of TTFT, ITL and end-to-end latency.
// Must not contain HTTP or clocks.
#include "bench/chat_stream_reader.h"

#include <utility>

#include "bench/stream_chunk.h"

namespace fovea::bench {

bool ChatStreamReader::on_bytes(std::string_view bytes, double since_send_s) {
  if (failed_) return false;
  last_bytes_s_ = since_send_s;
  events_.clear();
  base::Status status = parser_.feed(bytes, events_);
  for (const std::string& data : events_) {
    if (!on_event(data, since_send_s)) return false;
  }
  if (!status.ok()) {
    fail(status.message());
    return false;
  }
  return true;
}

bool ChatStreamReader::on_event(const std::string& data, double since_send_s) {
  if (done_) return true;  // anything after [DONE] is not part of the answer
  base::Result<StreamChunk> chunk = parse_stream_chunk(data);
  if (!chunk.ok()) {
    fail(chunk.status().message());
    return false;
  }
  if (chunk->is_done) {
    done_ = true;
    return true;
  }
  if (chunk->error_message) {
    fail("the server sent an error mid-stream: " + *chunk->error_message);
    return false;
  }
  if (chunk->has_choices) last_choices_s_ = since_send_s;
  if (chunk->has_output) {
    if (!has_first_output_) {
      has_first_output_ = true;
      record_.ttft_s = since_send_s;
    } else {
      record_.itl_s.push_back(since_send_s - last_output_s_);
    }
    last_output_s_ = since_send_s;
    ++num_output_chunks_;
    record_.generated_text += chunk->text;
  }
  if (chunk->usage) {
    record_.usage_reported = true;
    record_.prompt_tokens = chunk->usage->prompt_tokens;
    record_.output_tokens = chunk->usage->completion_tokens;
  }
  return true;
}

void ChatStreamReader::fail(std::string message) {
  if (failed_) return;
  failed_ = true;
  record_.error = std::move(message);
}

RequestRecord ChatStreamReader::finish(std::string_view transport_error) {
  if (!failed_) {
    events_.clear();
    parser_.finish(events_);
    for (const std::string& data : events_) {
      if (!on_event(data, last_bytes_s_)) break;
    }
  }
  if (!failed_ && !transport_error.empty()) fail("the connection failed mid-stream: " + std::string(transport_error));
  if (!failed_ && !has_first_output_) fail("the stream ended without any output token, so it has no TTFT");
  record_.success = !failed_;
  if (record_.success) {
    record_.latency_s = last_choices_s_;
    if (!record_.usage_reported) record_.output_tokens = num_output_chunks_;
  }
  return std::move(record_);
}

}  // namespace fovea::bench
