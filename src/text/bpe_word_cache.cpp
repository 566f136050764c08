// Word cache: linear probing on a power-of-two table at most half full.
// Must not contain tokenization logic.
#include "text/bpe_word_cache.h"

#include <algorithm>
#include <cstring>

#include "base/check.h"

namespace fovea::text {

BpeWordCache::BpeWordCache(size_t max_entries) : max_entries_(max_entries) {
  size_t num_slots = 2;
  while (num_slots < 2 * max_entries) num_slots *= 2;
  slots_.resize(num_slots);
  mask_ = num_slots - 1;
}

uint64_t BpeWordCache::hash_word(std::string_view word) {
  constexpr uint64_t kMultiplier = 0x9E3779B97F4A7C15ull;
  uint64_t hash = word.size() * kMultiplier;
  size_t pos = 0;
  for (; pos + 8 <= word.size(); pos += 8) {
    uint64_t chunk = 0;
    std::memcpy(&chunk, word.data() + pos, 8);
    hash = (hash ^ chunk) * kMultiplier;
    hash ^= hash >> 29;
  }
  uint64_t tail = 0;
  if (pos < word.size()) std::memcpy(&tail, word.data() + pos, word.size() - pos);
  hash = (hash ^ tail) * kMultiplier;
  return hash ^ (hash >> 32);
}

std::span<const int32_t> BpeWordCache::find(std::string_view word) const {
  if (word.size() > kMaxWordBytes) return {};
  uint64_t hash = hash_word(word);
  for (size_t slot_idx = hash & mask_;; slot_idx = (slot_idx + 1) & mask_) {
    const Slot& slot = slots_[slot_idx];
    if (slot.num_ids == 0) return {};
    if (slot.hash == hash && slot.key_bytes == word.size() &&
        std::memcmp(keys_.data() + slot.key_offset, word.data(), word.size()) == 0) {
      return {ids_.data() + slot.ids_offset, slot.num_ids};
    }
  }
}

void BpeWordCache::insert(std::string_view word, std::span<const int32_t> ids) {
  FOVEA_CHECK(word.size() <= kMaxWordBytes && !ids.empty() && ids.size() <= 255, "word not cacheable");
  if (num_entries_ >= max_entries_) clear();
  uint64_t hash = hash_word(word);
  size_t slot_idx = hash & mask_;
  while (slots_[slot_idx].num_ids != 0) slot_idx = (slot_idx + 1) & mask_;
  Slot& slot = slots_[slot_idx];
  slot.hash = hash;
  slot.key_offset = static_cast<uint32_t>(keys_.size());
  slot.ids_offset = static_cast<uint32_t>(ids_.size());
  slot.key_bytes = static_cast<uint8_t>(word.size());
  slot.num_ids = static_cast<uint8_t>(ids.size());
  keys_.append(word);
  ids_.insert(ids_.end(), ids.begin(), ids.end());
  ++num_entries_;
}

void BpeWordCache::clear() {
  std::fill(slots_.begin(), slots_.end(), Slot{});
  keys_.clear();
  ids_.clear();
  num_entries_ = 0;
}

}  // namespace fovea::text
