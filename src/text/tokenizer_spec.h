// The parts of a tokenizer.json that fovea uses, as plain data: what the JSON loader produces and the Tokenizer
// is built from (tests build it directly too). Must not contain parsing or encoding logic.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "text/added_token.h"
#include "text/bpe_model.h"
#include "text/normalizer.h"
#include "text/post_processor.h"

namespace fovea::text {

struct TokenizerSpec {
  Normalizer::Kind normalizer = Normalizer::Kind::kNone;
  BpeModelConfig model;
  std::optional<std::string> unk_token;  // accepted only when every byte is in the vocabulary (it is then unused)
  std::vector<AddedToken> added_tokens;  // in file order; ids as written in the file
  std::vector<PostProcessor::TemplateItem> single_template;  // empty: add_special_tokens adds nothing
};

}  // namespace fovea::text
