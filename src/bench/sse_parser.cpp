// Server-sent-events framing for the bench client: bytes in, event data out.
// Must not contain JSON parsing or timing.
#include "bench/sse_parser.h"

namespace fovea::bench {

base::Status SseParser::feed(std::string_view bytes, std::vector<std::string>& events) {
  for (char byte : bytes) {
    if (after_cr_) {
      after_cr_ = false;
      if (byte == '\n') continue;  // the LF of a CRLF
    }
    if (byte == '\r' || byte == '\n') {
      after_cr_ = byte == '\r';
      end_line(events);
      continue;
    }
    line_.push_back(byte);
    if (line_.size() + data_.size() > max_event_bytes_) {
      return base::out_of_range("the server sent a stream event longer than {} bytes; it is not an OpenAI stream",
                                max_event_bytes_);
    }
  }
  return base::Status::ok_status();
}

void SseParser::finish(std::vector<std::string>& events) {
  if (!line_.empty()) end_line(events);
  if (has_data_) dispatch(events);
}

void SseParser::end_line(std::vector<std::string>& events) {
  std::string_view line = line_;
  if (line.empty()) {
    if (has_data_) dispatch(events);
    return;
  }
  if (line.front() != ':') {
    const size_t colon = line.find(':');
    std::string_view field = line.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (field == "data") {
      if (has_data_) data_.push_back('\n');
      data_.append(value);
      has_data_ = true;
    }
  }
  line_.clear();
}

void SseParser::dispatch(std::vector<std::string>& events) {
  events.push_back(std::move(data_));
  data_.clear();
  has_data_ = false;
}

}  // namespace fovea::bench
