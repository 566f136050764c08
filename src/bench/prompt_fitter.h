// Random prompts of an exact token length without a tokenizer in the client: random pseudo-words are sent to the
// server's /tokenize, the ids are cut to the wanted length and /detokenize turns them back into text, as vLLM's
// bench does when its tokenizer and the server's disagree. The tokenizer is reached through two functions so
// tests can supply their own. Must not contain HTTP.
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "base/status.h"

namespace fovea::bench {

struct TokenizerCalls {
  std::function<base::Result<std::vector<int64_t>>(const std::string& text)> tokenize;
  std::function<base::Result<std::string>(const std::vector<int64_t>& ids)> detokenize;
};

class PromptFitter {
 public:
  PromptFitter(TokenizerCalls calls, uint64_t seed) : calls_(std::move(calls)), rng_(seed) {}

  // `num_words` random lower-case pseudo-words separated by spaces.
  std::string random_words(int64_t num_words);

  // Random text whose tokenization is `num_tokens` ids (retokenizing the detokenized cut can move a token at the
  // boundary; the server's usage reports what it really counted).
  base::Result<std::string> fit(int64_t num_tokens);

 private:
  TokenizerCalls calls_;
  std::mt19937_64 rng_;
  double tokens_per_word_ = 0.0;  // learned from the first tokenize call
};

}  // namespace fovea::bench
