// Incremental parser of a server-sent-events byte stream (the WHATWG event-stream grammar): lines end in LF, CRLF
// or CR, "data:" lines of one event are joined with '\n', a blank line ends the event, comments and other fields
// are skipped. The bytes come from a server, so nothing here trusts them: an event past the size limit is an error.
// Must not contain JSON or OpenAI chunk semantics.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace fovea::bench {

class SseParser {
 public:
  // An OpenAI chunk is a few hundred bytes; a generous cap keeps a hostile stream from growing memory without end.
  static constexpr size_t kDefaultMaxEventBytes = 8u << 20;

  explicit SseParser(size_t max_event_bytes = kDefaultMaxEventBytes) : max_event_bytes_(max_event_bytes) {}

  // Appends the data of every event that `bytes` completes to `events`. An error when one event (or one line)
  // grows past the limit; the parser must not be fed again after an error.
  base::Status feed(std::string_view bytes, std::vector<std::string>& events);

  // At the end of the stream: a last "data:" line that never got its blank line still counts as an event
  // (servers that close right after the final chunk), like vLLM's reader.
  void finish(std::vector<std::string>& events);

 private:
  void end_line(std::vector<std::string>& events);
  void dispatch(std::vector<std::string>& events);

  size_t max_event_bytes_;
  std::string line_;       // the line being read, without its end
  std::string data_;       // the data lines of the event being built, joined with '\n'
  bool has_data_ = false;  // a data line was seen (an event whose data is empty still counts)
  bool after_cr_ = false;  // the previous byte was CR: a following LF belongs to the same line end
};

}  // namespace fovea::bench
