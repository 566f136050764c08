// Token ids back to text, as Hugging Face's decode with the ByteLevel decoder: each id's bytes (the byte-level
// alphabet mapped back, or an added token's own text), concatenated, then decoded lossily (invalid UTF-8 becomes
// U+FFFD). skip_special_tokens drops tokens whose text is a special added token. Must not contain encoding.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace fovea::text {

class Detokenizer {
 public:
  struct Entry {
    bool present = false;  // some token has this id
    bool special = false;  // dropped by skip_special_tokens
    std::string bytes;     // what the ByteLevel decoder makes of the token
  };

  Detokenizer() = default;
  // entries[id] describes id; the id limit is entries.size().
  explicit Detokenizer(const std::vector<Entry>& entries);

  int32_t id_limit() const { return static_cast<int32_t>(flags_.size()); }
  bool has_token(int32_t id) const { return id >= 0 && id < id_limit() && (flags_[id] & kPresent) != 0; }
  bool is_special(int32_t id) const { return has_token(id) && (flags_[id] & kSpecial) != 0; }

  // The raw bytes of `id` (has_token(id) must hold); empty for a special token when skipping them.
  std::string_view token_bytes(int32_t id, bool skip_special_tokens) const {
    if (skip_special_tokens && (flags_[id] & kSpecial) != 0) return {};
    return std::string_view(arena_).substr(offsets_[id], offsets_[id + 1] - offsets_[id]);
  }

  // Ok, or an error naming the first id that no token has.
  base::Status check_ids(std::span<const int32_t> ids) const;

  base::Result<std::string> decode(std::span<const int32_t> ids, bool skip_special_tokens) const;

 private:
  static constexpr uint8_t kPresent = 1;
  static constexpr uint8_t kSpecial = 2;

  std::vector<uint8_t> flags_;     // [id_limit]
  std::vector<uint32_t> offsets_;  // [id_limit + 1] into arena_
  std::string arena_;
};

}  // namespace fovea::text
