// Vocabulary building: ids are validated, tokens laid out by id, then indexed.
// Must not contain merges or encoding.
#include "text/bpe_vocab.h"

#include <cstring>

#include "text/utf8.h"

namespace fovea::text {

uint64_t BpeVocab::hash(std::string_view token) {
  // Eight bytes at a time with a multiplicative mix; the last mix spreads the low bits used for the slot.
  constexpr uint64_t kMultiplier = 0x9E3779B97F4A7C15ull;
  uint64_t h = token.size() * kMultiplier;
  size_t pos = 0;
  for (; pos + 8 <= token.size(); pos += 8) {
    uint64_t chunk = 0;
    std::memcpy(&chunk, token.data() + pos, 8);
    h = (h ^ chunk) * kMultiplier;
    h ^= h >> 29;
  }
  uint64_t tail = 0;
  if (pos < token.size()) std::memcpy(&tail, token.data() + pos, token.size() - pos);
  h = (h ^ tail) * kMultiplier;
  return h ^ (h >> 32);
}

base::Result<BpeVocab> BpeVocab::create(const std::vector<std::pair<std::string, int64_t>>& entries) {
  int64_t max_id = -1;
  uint64_t total_bytes = 0;
  for (const auto& [token, id] : entries) {
    if (id < 0 || id > kMaxId) {
      return base::data_loss("model.vocab: id {} of token {:?} is outside 0..{}", id, token, kMaxId);
    }
    if (find_invalid_utf8(token) != kNoInvalidByte) {
      return base::data_loss("model.vocab: the token with id {} is not valid UTF-8", id);
    }
    max_id = std::max(max_id, id);
    total_bytes += token.size();
  }
  if (total_bytes >= (uint64_t{1} << 31)) return base::data_loss("model.vocab: tokens exceed 2 GiB");

  // The last entry of a repeated token wins; the ids it had before are left without a token.
  BpeVocab vocab;
  size_t num_slots = 2;
  while (num_slots < 2 * entries.size()) num_slots *= 2;
  vocab.mask_ = num_slots - 1;
  std::vector<int32_t> entry_by_slot(num_slots, -1);
  std::vector<uint8_t> superseded(entries.size(), 0);
  for (size_t entry_idx = 0; entry_idx < entries.size(); ++entry_idx) {
    const std::string& token = entries[entry_idx].first;
    for (size_t slot = hash(token) & vocab.mask_;; slot = (slot + 1) & vocab.mask_) {
      int32_t other = entry_by_slot[slot];
      if (other < 0) {
        entry_by_slot[slot] = static_cast<int32_t>(entry_idx);
        break;
      }
      if (entries[other].first == token) {
        superseded[other] = 1;
        entry_by_slot[slot] = static_cast<int32_t>(entry_idx);
        break;
      }
    }
  }

  std::vector<int32_t> entry_by_id(static_cast<size_t>(max_id + 1), -1);
  for (size_t entry_idx = 0; entry_idx < entries.size(); ++entry_idx) {
    if (superseded[entry_idx]) continue;
    int64_t id = entries[entry_idx].second;
    if (entry_by_id[id] >= 0) {
      return base::data_loss("model.vocab: tokens {:?} and {:?} both have id {}", entries[entry_by_id[id]].first,
                             entries[entry_idx].first, id);
    }
    entry_by_id[id] = static_cast<int32_t>(entry_idx);
  }
  vocab.has_id_.assign(entry_by_id.size(), 0);
  vocab.offsets_.assign(entry_by_id.size() + 1, 0);
  vocab.arena_.reserve(total_bytes);
  for (size_t id = 0; id < entry_by_id.size(); ++id) {
    vocab.offsets_[id] = static_cast<uint32_t>(vocab.arena_.size());
    if (entry_by_id[id] < 0) continue;
    vocab.has_id_[id] = 1;
    vocab.arena_.append(entries[entry_by_id[id]].first);
    ++vocab.num_tokens_;
  }
  vocab.offsets_[entry_by_id.size()] = static_cast<uint32_t>(vocab.arena_.size());
  vocab.slots_.assign(num_slots, -1);
  for (size_t slot = 0; slot < num_slots; ++slot) {
    if (entry_by_slot[slot] >= 0) vocab.slots_[slot] = static_cast<int32_t>(entries[entry_by_slot[slot]].second);
  }
  return vocab;
}

std::optional<int32_t> BpeVocab::find(std::string_view token) const {
  if (slots_.empty()) return std::nullopt;
  for (size_t slot = hash(token) & mask_;; slot = (slot + 1) & mask_) {
    int32_t id = slots_[slot];
    if (id < 0) return std::nullopt;
    if (this->token(id) == token) return id;
  }
}

}  // namespace fovea::text
