// Reading the tokenizer golden fixtures (made by tools/golden/make_tokenizer_golden.py) and the real Qwen3
// tokenizer from the shared assets. Must not contain assertions about fovea's output.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace fovea::text::golden {

struct EncodeCase {
  std::string text;
  std::vector<int32_t> ids;               // add_special_tokens=false
  std::vector<int32_t> ids_with_special;  // add_special_tokens=true
  std::string decoded;                    // decode(ids), skip_special_tokens=false
  std::string decoded_skip;               // decode(ids), skip_special_tokens=true
};

struct Fixture {
  nlohmann::json meta;
  std::vector<nlohmann::json> lines;  // every line after the meta line
};

std::string shared_tokenizer_path();
std::string fixture_path(const std::string& name);
std::string read_text_file(const std::string& path);

// Throws std::runtime_error with the path when the file is missing or malformed (tests fail loudly).
Fixture load_fixture(const std::string& name);
// Cases of an encode-style fixture, with the omitted fields filled in from their defaults.
std::vector<EncodeCase> load_encode_cases(const std::string& name);

}  // namespace fovea::text::golden
