// Fuzz target for the bench's reading of a streamed answer: the first byte picks the size of the pieces the bytes
// arrive in (as a socket would split them), the rest is the stream. Checks the record's invariants.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/check.h"
#include "bench/chat_stream_reader.h"
#include "bench/stream_chunk.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fovea::bench;
  if (size == 0) return 0;
  const size_t piece_bytes = 1 + data[0] % 64;
  const std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
  ChatStreamReader reader(RequestRecord{});
  double now_s = 0.0;
  for (size_t offset = 0; offset < stream.size(); offset += piece_bytes) {
    now_s += 0.001;
    if (!reader.on_bytes(stream.substr(offset, piece_bytes), now_s)) break;
  }
  const RequestRecord record = reader.finish("");
  if (record.success) {
    FOVEA_CHECK(record.ttft_s > 0.0 && record.ttft_s <= record.latency_s);
    FOVEA_CHECK(record.output_tokens >= 0 && record.prompt_tokens >= 0);
    for (double gap : record.itl_s) FOVEA_CHECK(gap >= 0.0);
  } else {
    FOVEA_CHECK(!record.error.empty());
  }
  auto chunk = parse_stream_chunk(stream);
  if (!chunk.ok()) FOVEA_CHECK(!chunk.status().message().empty());
  return 0;
}
