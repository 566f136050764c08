// The tokenizer of a model folder (tokenizer.json, Hugging Face `tokenizers` format, Qwen2/Qwen3 family): text to
// ids and back, exactly as the reference. encode: added tokens are cut out of the raw text, the rest is normalized
// (NFC), added tokens marked `normalized` are cut out of that, the pieces are pre-tokenized and BPE-encoded, and
// the post-processor runs when add_special_tokens is set. Immutable after loading; every method is thread-safe.
// Must not contain chat templates or any knowledge of requests.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "text/added_token.h"
#include "text/added_token_matcher.h"
#include "text/bpe_model.h"
#include "text/detokenizer.h"
#include "text/incremental_detokenizer.h"
#include "text/normalizer.h"
#include "text/post_processor.h"
#include "text/pre_tokenizer.h"
#include "text/tokenizer_spec.h"

namespace fovea::text {

class Tokenizer {
 public:
  // Longest text encode() accepts.
  static constexpr size_t kMaxInputBytes = size_t{1} << 30;
  // Largest tokenizer.json load_file() reads.
  static constexpr uint64_t kMaxFileBytes = uint64_t{512} << 20;

  static base::Result<std::unique_ptr<Tokenizer>> load_file(const std::string& tokenizer_json_path);
  static base::Result<std::unique_ptr<Tokenizer>> from_json(std::string_view json_text);
  static base::Result<std::unique_ptr<Tokenizer>> from_spec(TokenizerSpec spec);

  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // Ids of `text` (UTF-8; invalid UTF-8 is an error). add_special_tokens applies the post-processor (Qwen3's adds
  // nothing); added tokens written in the text are recognised either way, as in the reference.
  base::Result<std::vector<int32_t>> encode(std::string_view text, bool add_special_tokens) const;

  // Text of `ids`; an id that no token has is an error. Invalid UTF-8 from byte tokens becomes U+FFFD.
  base::Result<std::string> decode(std::span<const int32_t> ids, bool skip_special_tokens) const;

  // A streaming decoder over this tokenizer (which must outlive it).
  IncrementalDetokenizer incremental_detokenizer(bool skip_special_tokens) const {
    return IncrementalDetokenizer(&detokenizer_, skip_special_tokens);
  }

  // The text encode() tokenizes, as decode shows it: added tokens by their decoded text (stripped whitespace
  // gone), everything else normalized. For valid t, decode(encode(t, false), false) equals normalize(t) whenever
  // every byte has a vocabulary token (true of Qwen's).
  base::Result<std::string> normalize(std::string_view text) const;

  // Added tokens first, then the vocabulary, as the reference's token_to_id.
  std::optional<int32_t> token_to_id(std::string_view token) const;
  // The token string of `id` (byte-level spelling for vocabulary tokens), or nullopt.
  std::optional<std::string> id_to_token(int32_t id) const;

  // Number of distinct tokens, added ones included (the reference's get_vocab_size(true)).
  size_t vocab_size() const { return vocab_size_; }
  // One past the largest id; every valid id is below it.
  int32_t id_limit() const { return detokenizer_.id_limit(); }
  // Added tokens by id, with the ids the reference assigns.
  const std::vector<AddedToken>& added_tokens() const { return added_tokens_; }
  bool is_special(int32_t id) const { return detokenizer_.is_special(id); }

 private:
  Tokenizer() = default;

  base::Status validate_input(std::string_view text) const;
  // Visits the segments encode() works on, in order: on_text(normalized plain text) or on_token(added token id).
  template <typename OnText, typename OnToken>
  void for_each_segment(std::string_view text, OnText&& on_text, OnToken&& on_token) const;

  Normalizer normalizer_;
  PreTokenizer pre_tokenizer_;
  std::unique_ptr<BpeModel> model_;
  std::vector<AddedToken> added_tokens_;                // sorted by id
  std::unordered_map<std::string, int32_t> added_ids_;  // by content
  AddedTokenMatcher raw_matcher_;                       // tokens with normalized == false
  AddedTokenMatcher normalized_matcher_;                // tokens with normalized == true, by normalized content
  PostProcessor post_processor_;
  Detokenizer detokenizer_;
  size_t vocab_size_ = 0;
};

}  // namespace fovea::text
