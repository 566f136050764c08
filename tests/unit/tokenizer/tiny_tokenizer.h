// A small tokenizer.json for unit tests: the 256 byte tokens, a few merges building "hello" and " world", and
// two added tokens, with the Qwen2 pre-tokenizer. Tests edit the returned JSON to probe the loader.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace fovea::text::testing {

nlohmann::json tiny_tokenizer_json();

// Id of a token in tiny_tokenizer_json() (byte tokens are 0..255 in byte order, then merges, then added tokens).
int tiny_id(const std::string& byte_level_token);

}  // namespace fovea::text::testing
