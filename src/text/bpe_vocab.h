// The vocabulary of a BPE model: id to token string in one arena, and token string to id through a flat
// open-addressing index over that arena (no node per token, so loading 150k tokens is fast).
// Must not contain merges or encoding.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace fovea::text {

class BpeVocab {
 public:
  // Largest id accepted (keeps a malformed file from allocating gigabytes).
  static constexpr int64_t kMaxId = (int64_t{1} << 24) - 1;

  // Entries in file order. A token listed twice keeps its last id, as the reference's map does; two tokens with
  // one id, ids outside 0..kMaxId and tokens that are not UTF-8 are errors.
  static base::Result<BpeVocab> create(const std::vector<std::pair<std::string, int64_t>>& entries);

  std::optional<int32_t> find(std::string_view token) const;

  bool has_id(int32_t id) const { return id >= 0 && id < id_limit() && has_id_[id] != 0; }
  // The token of `id`; has_id(id) must hold.
  std::string_view token(int32_t id) const {
    return std::string_view(arena_).substr(offsets_[id], offsets_[id + 1] - offsets_[id]);
  }
  int32_t id_limit() const { return static_cast<int32_t>(has_id_.size()); }
  size_t size() const { return num_tokens_; }

 private:
  static uint64_t hash(std::string_view token);

  std::string arena_;
  std::vector<uint32_t> offsets_;  // [id_limit + 1] into arena_
  std::vector<uint8_t> has_id_;    // [id_limit]
  std::vector<int32_t> slots_;     // open addressing by hash(token); -1 empty
  size_t mask_ = 0;
  size_t num_tokens_ = 0;
};

}  // namespace fovea::text
