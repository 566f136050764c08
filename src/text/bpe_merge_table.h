// Flat open-addressing hash map from a pair of token ids to its merge (rank and merged id): the innermost lookup
// of BPE, so it is one probe sequence over a contiguous array. Must not contain the merge algorithm.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace fovea::text {

struct BpeMerge {
  uint32_t rank;      // position in the merges list; lower merges first
  int32_t merged_id;  // id of the concatenated token
};

class BpeMergeTable {
 public:
  // Sizes the table for `num_merges` entries (load factor at most 1/2); clears it.
  void reset(size_t num_merges);

  // Adds or replaces the merge of (left_id, right_id); ids are non-negative. Replacing keeps the later entry,
  // as the reference's HashMap does for a duplicated merge.
  void insert_or_assign(int32_t left_id, int32_t right_id, BpeMerge merge);

  const BpeMerge* find(int32_t left_id, int32_t right_id) const {
    uint64_t key = make_key(left_id, right_id);
    for (size_t slot_idx = hash(key);; slot_idx = (slot_idx + 1) & mask_) {
      const Slot& slot = slots_[slot_idx];
      if (slot.key == key) return &slot.merge;
      if (slot.key == kEmptyKey) return nullptr;
    }
  }

  size_t size() const { return num_entries_; }

 private:
  static constexpr uint64_t kEmptyKey = ~uint64_t{0};  // ids are below 2^31, so no pair produces this key

  struct Slot {
    uint64_t key = kEmptyKey;
    BpeMerge merge{};
  };

  static uint64_t make_key(int32_t left_id, int32_t right_id) {
    return (uint64_t{static_cast<uint32_t>(left_id)} << 32) | static_cast<uint32_t>(right_id);
  }
  size_t hash(uint64_t key) const { return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> shift_); }

  std::vector<Slot> slots_ = std::vector<Slot>(2);
  size_t mask_ = 1;
  unsigned shift_ = 63;
  size_t num_entries_ = 0;
};

}  // namespace fovea::text
