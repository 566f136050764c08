// Workspace growth: aligned blocks that are replaced, never shrunk.
#include "backend/cpu/workspace.h"

#include <algorithm>
#include <cstdlib>
#include <new>

#include "base/check.h"

namespace fovea::backend::cpu {

void Workspace::FreeDeleter::operator()(std::byte* bytes) const { std::free(bytes); }

Workspace::Workspace(int num_slots) : slots_(static_cast<size_t>(num_slots) + 1) {}

std::byte* Workspace::get(int slot_idx, size_t size_bytes) {
  FOVEA_CHECK(slot_idx >= 0 && static_cast<size_t>(slot_idx) < slots_.size(), "slot {}", slot_idx);
  Slot& slot = slots_[static_cast<size_t>(slot_idx)];
  if (slot.size_bytes < size_bytes || slot.bytes == nullptr) {
    const size_t rounded = ScratchCarver::round_up(std::max<size_t>(size_bytes, 64));
    slot.bytes.reset(static_cast<std::byte*>(std::aligned_alloc(64, rounded)));
    FOVEA_CHECK(slot.bytes != nullptr, "out of memory for {} bytes of CPU op scratch", rounded);
    slot.size_bytes = rounded;
    num_growths_.fetch_add(1);
  }
  return slot.bytes.get();
}

void Workspace::reserve_task_slots(size_t size_bytes) {
  for (int slot_idx = 0; slot_idx < caller_slot(); ++slot_idx) get(slot_idx, size_bytes);
}

}  // namespace fovea::backend::cpu
