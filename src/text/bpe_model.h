// The byte-level BPE model of a tokenizer.json: vocabulary, ranked merges and the per-word encoder (raw bytes of
// one pre-token in, token ids out) with a per-thread word cache. Must not contain pre-tokenization, added tokens
// or JSON parsing.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "text/bpe_merge_table.h"
#include "text/bpe_vocab.h"

namespace fovea::text {

struct BpeModelConfig {
  std::vector<std::pair<std::string, int64_t>> vocab;       // token (byte-level spelling) and id
  std::vector<std::pair<std::string, std::string>> merges;  // in rank order
  bool ignore_merges = false;                               // a word that is itself in the vocabulary is one token
};

class BpeModel {
 public:
  static constexpr int64_t kMaxId = BpeVocab::kMaxId;

  static base::Result<std::unique_ptr<BpeModel>> create(BpeModelConfig config);

  BpeModel(const BpeModel&) = delete;
  BpeModel& operator=(const BpeModel&) = delete;

  // Appends the ids of one pre-token given as raw bytes (not the byte-level spelling). Thread-safe.
  void encode_word(std::string_view word, std::vector<int32_t>& ids) const;

  const BpeVocab& vocab() const { return vocab_; }
  size_t num_merges() const { return merges_.size(); }

 private:
  BpeModel() = default;

  uint64_t uid_ = 0;  // distinguishes models in the per-thread caches
  bool ignore_merges_ = false;
  BpeVocab vocab_;
  std::array<int32_t, 256> byte_ids_{};  // id of each single byte; -1 when absent
  BpeMergeTable merges_;
};

}  // namespace fovea::text
