// The BPE merge loop over the symbols of one pre-token: repeatedly merge the adjacent pair with the lowest rank
// (leftmost first among equal ranks), as Hugging Face's Word::merge_all does. Short words use a scan over a small
// array, long ones a heap over a linked list so a megabyte-long word stays O(n log n). Owns reusable scratch
// buffers; one BpeMerger per thread. Must not contain caching or pre-tokenization.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "text/bpe_merge_table.h"

namespace fovea::text {

class BpeMerger {
 public:
  // Words up to this many symbols use the scan.
  static constexpr size_t kMaxScanSymbols = 64;

  explicit BpeMerger(const BpeMergeTable* merges) : merges_(merges) {}

  // Merges `ids` (the symbols of one word) in place.
  void merge(std::vector<int32_t>& ids) {
    if (ids.size() <= kMaxScanSymbols) {
      merge_by_scan(ids);
    } else {
      merge_by_heap(ids);
    }
  }

  // The two strategies give identical results; both are public so tests can compare them on any length.
  void merge_by_scan(std::vector<int32_t>& ids);
  void merge_by_heap(std::vector<int32_t>& ids);

 private:
  struct HeapEntry {
    uint32_t rank;
    uint32_t pos;  // original index of the left symbol of the pair
  };

  static bool heap_order(const HeapEntry& a, const HeapEntry& b);
  void push_pair(uint32_t pos, int32_t left_id, int32_t right_id);

  const BpeMergeTable* merges_;  // not owned; outlives the merger
  std::vector<BpeMerge> pair_merges_;
  std::vector<int32_t> prev_;
  std::vector<int32_t> next_;
  std::vector<HeapEntry> heap_;
};

}  // namespace fovea::text
