// Fuzz target: arbitrary bytes as tokenizer.json. Loading must return a Status, never crash; a tokenizer that
// loads must encode and decode without crashing, and its streaming decode must equal its whole decode.
// Seeds: small tokenizer.json files (tokenizer_json_corpus/), so mutations stay fast.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "base/check.h"
#include "text/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view json_text(reinterpret_cast<const char*>(data), size);
  auto tokenizer = fovea::text::Tokenizer::from_json(json_text);
  if (!tokenizer.ok()) return 0;
  const fovea::text::Tokenizer& t = **tokenizer;
  for (std::string_view text : {std::string_view("hello world <|end|> 123 \xC3\xA9\xF0\x9F\x98\x80  \r\n"),
                                std::string_view("<think>x</think>\xE2\x80\xA8'S'll"), std::string_view("")}) {
    auto ids = t.encode(text, true);
    FOVEA_CHECK(ids.ok(), "encode of valid UTF-8 failed: {}", ids.status().message());
    for (bool skip : {false, true}) {
      auto decoded = t.decode(*ids, skip);
      FOVEA_CHECK(decoded.ok(), "decode of encoded ids failed: {}", decoded.status().message());
      fovea::text::IncrementalDetokenizer stream = t.incremental_detokenizer(skip);
      std::string streamed;
      for (int32_t id : *ids) streamed += *stream.step(id);
      streamed += stream.finish();
      FOVEA_CHECK(streamed == *decoded, "streaming decode differs from decode");
    }
  }
  std::vector<int32_t> ids;
  for (int32_t id = -1; id <= t.id_limit(); id += 1 + t.id_limit() / 16) ids.push_back(id);
  (void)t.decode(ids, false);
  return 0;
}
