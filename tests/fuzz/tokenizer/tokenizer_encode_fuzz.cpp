// Fuzz target: encode and decode with the real Qwen3 tokenizer (from the shared assets). The first byte picks:
//   even: the rest is text. Valid UTF-8 must encode, and decode(encode(s)) must equal normalize(s) (s after NFC,
//         added tokens kept); invalid UTF-8 must be an InvalidArgument error.
//   odd:  the rest is little-endian int32 ids. Decode succeeds exactly when every id exists, and streaming
//         decode always equals the whole decode.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/check.h"
#include "text/tokenizer.h"
#include "text/utf8.h"

namespace {

const fovea::text::Tokenizer& real_tokenizer() {
  static const std::unique_ptr<fovea::text::Tokenizer> tokenizer = [] {
    auto loaded =
        fovea::text::Tokenizer::load_file(std::string(FOVEA_SHARED_ASSETS) + "/qwen3-tokenizer/tokenizer.json");
    FOVEA_CHECK(loaded.ok(), "cannot load the shared Qwen3 tokenizer: {}", loaded.status().message());
    return std::move(loaded).value();
  }();
  return *tokenizer;
}

std::string stream_decode(const fovea::text::Tokenizer& t, const std::vector<int32_t>& ids, bool skip) {
  fovea::text::IncrementalDetokenizer stream = t.incremental_detokenizer(skip);
  std::string text;
  for (int32_t id : ids) {
    auto piece = stream.step(id);
    FOVEA_CHECK(piece.ok(), "streaming decode failed on a valid id");
    FOVEA_CHECK(fovea::text::find_invalid_utf8(*piece) == fovea::text::kNoInvalidByte, "invalid UTF-8 emitted");
    text += *piece;
  }
  return text + stream.finish();
}

void fuzz_text(const fovea::text::Tokenizer& t, std::string_view text) {
  auto ids = t.encode(text, false);
  if (fovea::text::find_invalid_utf8(text) != fovea::text::kNoInvalidByte) {
    FOVEA_CHECK(!ids.ok() && ids.status().code() == fovea::base::StatusCode::kInvalidArgument,
                "invalid UTF-8 was not rejected");
    return;
  }
  FOVEA_CHECK(ids.ok(), "encode failed: {}", ids.status().message());
  auto decoded = t.decode(*ids, false);
  auto normalized = t.normalize(text);
  FOVEA_CHECK(decoded.ok() && normalized.ok(), "decode or normalize failed");
  FOVEA_CHECK(*decoded == *normalized, "decode(encode(s)) differs from normalize(s)");
  FOVEA_CHECK(stream_decode(t, *ids, false) == *decoded, "streaming decode differs from decode");
}

void fuzz_ids(const fovea::text::Tokenizer& t, const uint8_t* data, size_t size) {
  std::vector<int32_t> ids(size / 4);
  std::memcpy(ids.data(), data, ids.size() * 4);
  bool all_valid = true;
  for (int32_t& id : ids) {
    // Mostly valid ids, with some just past the end and some wild values.
    if (id >= 0) id %= t.id_limit() + 64;
    all_valid = all_valid && id >= 0 && id < t.id_limit();
  }
  for (bool skip : {false, true}) {
    auto decoded = t.decode(ids, skip);
    FOVEA_CHECK(decoded.ok() == all_valid, "decode validity disagrees with the ids");
    if (decoded.ok()) FOVEA_CHECK(stream_decode(t, ids, skip) == *decoded, "streaming decode differs");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const fovea::text::Tokenizer& t = real_tokenizer();
  if (data[0] % 2 == 0) {
    fuzz_text(t, std::string_view(reinterpret_cast<const char*>(data + 1), size - 1));
  } else {
    fuzz_ids(t, data + 1, size - 1);
  }
  return 0;
}
