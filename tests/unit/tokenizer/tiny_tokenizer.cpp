// The tiny tokenizer.json of the unit tests.
// Must not contain assertions.
#include "tiny_tokenizer.h"

#include <vector>

#include "text/byte_level.h"
#include "text/pre_tokenizer.h"

namespace fovea::text::testing {
namespace {

const std::vector<std::pair<std::string, std::string>>& tiny_merges() {
  static const std::vector<std::pair<std::string, std::string>> merges = {{"h", "e"},    {"l", "l"}, {"he", "ll"},
                                                                          {"hell", "o"}, {"Ġ", "w"}, {"o", "r"},
                                                                          {"Ġw", "or"},  {"l", "d"}, {"Ġwor", "ld"}};
  return merges;
}

}  // namespace

nlohmann::json tiny_tokenizer_json() {
  nlohmann::json vocab = nlohmann::json::object();
  for (int byte = 0; byte < 256; ++byte) vocab[ByteLevel::byte_to_token(static_cast<uint8_t>(byte))] = byte;
  nlohmann::json merges = nlohmann::json::array();
  int next_id = 256;
  for (const auto& [left, right] : tiny_merges()) {
    vocab[left + right] = next_id++;
    merges.push_back({left, right});
  }
  auto added = [](int id, const std::string& content, bool special) {
    return nlohmann::json{{"id", id},        {"content", content},  {"single_word", false}, {"lstrip", false},
                          {"rstrip", false}, {"normalized", false}, {"special", special}};
  };
  return {
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", {added(next_id, "<|end|>", true), added(next_id + 1, "<think>", false)}},
      {"normalizer", {{"type", "NFC"}}},
      {"pre_tokenizer",
       {{"type", "Sequence"},
        {"pretokenizers",
         {{{"type", "Split"},
           {"pattern", {{"Regex", std::string(PreTokenizer::kQwen2Pattern)}}},
           {"behavior", "Isolated"},
           {"invert", false}},
          {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false}, {"use_regex", false}}}}}},
      {"post_processor", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false}}},
      {"decoder", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false}}},
      {"model",
       {{"type", "BPE"},
        {"dropout", nullptr},
        {"unk_token", nullptr},
        {"continuing_subword_prefix", ""},
        {"end_of_word_suffix", ""},
        {"fuse_unk", false},
        {"byte_fallback", false},
        {"ignore_merges", false},
        {"vocab", vocab},
        {"merges", merges}}},
  };
}

int tiny_id(const std::string& byte_level_token) {
  if (byte_level_token == "<|end|>") return 256 + static_cast<int>(tiny_merges().size());
  if (byte_level_token == "<think>") return 257 + static_cast<int>(tiny_merges().size());
  for (int byte = 0; byte < 256; ++byte) {
    if (ByteLevel::byte_to_token(static_cast<uint8_t>(byte)) == byte_level_token) return byte;
  }
  for (size_t idx = 0; idx < tiny_merges().size(); ++idx) {
    if (tiny_merges()[idx].first + tiny_merges()[idx].second == byte_level_token) return 256 + static_cast<int>(idx);
  }
  return -1;
}

}  // namespace fovea::text::testing
