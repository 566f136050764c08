// Workspace: scratch memory of the fast CPU ops, one block per thread slot plus one for the calling thread.
// A block grows on first use to the largest size asked for and is then reused, so a warm decode loop never
// allocates; growths are counted so tests can assert that. Must not contain op code.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace fovea::backend::cpu {

class Workspace {
 public:
  // Slots [0, num_slots) for pool tasks; slot num_slots is the calling thread's.
  explicit Workspace(int num_slots);

  // At least size_bytes of 64-byte aligned scratch for slot_idx; the contents are lost when it grows. Valid until
  // the next call for the same slot.
  std::byte* get(int slot_idx, size_t size_bytes);
  // Grows every task slot (not the caller's) to at least size_bytes now, before a parallel run, so that tasks
  // never grow a slot whichever slot happens to pick them up.
  void reserve_task_slots(size_t size_bytes);
  int caller_slot() const { return static_cast<int>(slots_.size()) - 1; }
  int64_t num_growths() const { return num_growths_.load(); }

 private:
  struct FreeDeleter {
    void operator()(std::byte* bytes) const;
  };
  struct Slot {
    std::unique_ptr<std::byte[], FreeDeleter> bytes;
    size_t size_bytes = 0;
  };

  std::vector<Slot> slots_;
  std::atomic<int64_t> num_growths_{0};
};

// Carves one scratch block into 64-byte aligned arrays.
class ScratchCarver {
 public:
  explicit ScratchCarver(std::byte* base) : base_(base) {}
  template <typename T>
  T* take(int64_t count) {
    T* out = reinterpret_cast<T*>(base_ + used_bytes_);
    used_bytes_ += round_up(static_cast<size_t>(count) * sizeof(T));
    return out;
  }
  static size_t round_up(size_t size_bytes) { return (size_bytes + 63) / 64 * 64; }

 private:
  std::byte* base_;  // not owned
  size_t used_bytes_ = 0;
};

}  // namespace fovea::backend::cpu
