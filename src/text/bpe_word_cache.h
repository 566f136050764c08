// A bounded cache from a pre-token's bytes to its BPE ids: most words of real text repeat, so the merge loop runs
// once per distinct word. Open addressing over arenas (no allocation per entry); when full it is cleared as a
// whole. Not thread-safe: the BPE model keeps one per thread. Must not contain the merge algorithm.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fovea::text {

class BpeWordCache {
 public:
  // Words longer than this are not cached (the reference caches words under 256 bytes too).
  static constexpr size_t kMaxWordBytes = 255;

  explicit BpeWordCache(size_t max_entries);

  // The cached ids of `word`, or an empty span when absent (no word has zero ids once cached).
  std::span<const int32_t> find(std::string_view word) const;

  // Caches `ids` for `word` (at most kMaxWordBytes bytes, 1 to 255 ids); clears the cache first when full.
  void insert(std::string_view word, std::span<const int32_t> ids);

  void clear();

  size_t size() const { return num_entries_; }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint32_t key_offset = 0;
    uint32_t ids_offset = 0;
    uint8_t key_bytes = 0;
    uint8_t num_ids = 0;  // 0 marks an empty slot
  };

  static uint64_t hash_word(std::string_view word);

  size_t max_entries_;
  size_t mask_;
  size_t num_entries_ = 0;
  std::vector<Slot> slots_;
  std::string keys_;          // concatenated words
  std::vector<int32_t> ids_;  // concatenated ids
};

}  // namespace fovea::text
