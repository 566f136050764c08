// Reads a tokenizer.json in one SAX pass: model.vocab and model.merges (nearly all of the file) go straight into
// flat vectors, everything else into a small nlohmann DOM for tokenizer_json.cpp to interpret. Building a DOM of
// 150k vocabulary entries would cost most of the load time. Must not interpret any field besides those two.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace fovea::text {

struct TokenizerJsonDocument {
  nlohmann::json rest;  // the whole file except model.vocab and model.merges (when they have the expected shape)
  bool has_vocab = false;
  bool has_merges = false;
  std::vector<std::pair<std::string, int64_t>> vocab;       // file order
  std::vector<std::pair<std::string, std::string>> merges;  // file order
};

// Errors name the field at fault (e.g. a merge that is not two tokens, a vocabulary id that is not an integer).
base::Result<TokenizerJsonDocument> read_tokenizer_json(std::string_view json_text, int64_t max_id);

}  // namespace fovea::text
