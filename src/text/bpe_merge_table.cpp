// Sizing and insertion of the merge table.
// Must not contain anything but the table itself.
#include "text/bpe_merge_table.h"

#include "base/check.h"

namespace fovea::text {

void BpeMergeTable::reset(size_t num_merges) {
  unsigned log2_slots = 1;
  while ((size_t{1} << log2_slots) < 2 * num_merges) ++log2_slots;
  slots_.assign(size_t{1} << log2_slots, Slot{});
  mask_ = slots_.size() - 1;
  shift_ = 64 - log2_slots;
  num_entries_ = 0;
}

void BpeMergeTable::insert_or_assign(int32_t left_id, int32_t right_id, BpeMerge merge) {
  FOVEA_CHECK(left_id >= 0 && right_id >= 0, "negative id in a merge");
  FOVEA_CHECK(2 * (num_entries_ + 1) <= slots_.size(), "merge table sized for fewer merges");
  uint64_t key = make_key(left_id, right_id);
  for (size_t slot_idx = hash(key);; slot_idx = (slot_idx + 1) & mask_) {
    Slot& slot = slots_[slot_idx];
    if (slot.key == key) {
      slot.merge = merge;
      return;
    }
    if (slot.key == kEmptyKey) {
      slot.key = key;
      slot.merge = merge;
      ++num_entries_;
      return;
    }
  }
}

}  // namespace fovea::text
