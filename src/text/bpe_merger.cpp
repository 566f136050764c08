// Both merge strategies. A pair without a merge carries rank kNoMerge.
// Must not contain vocabulary or cache handling.
#include "text/bpe_merger.h"

#include <algorithm>
#include <limits>

namespace fovea::text {
namespace {

constexpr uint32_t kNoMerge = std::numeric_limits<uint32_t>::max();
constexpr int32_t kDeadSymbol = -1;

BpeMerge lookup(const BpeMergeTable& merges, int32_t left_id, int32_t right_id) {
  const BpeMerge* merge = merges.find(left_id, right_id);
  return merge ? *merge : BpeMerge{kNoMerge, -1};
}

}  // namespace

// Min-heap order on (rank, pos) for the std heap functions.
bool BpeMerger::heap_order(const HeapEntry& a, const HeapEntry& b) {
  return a.rank != b.rank ? a.rank > b.rank : a.pos > b.pos;
}

void BpeMerger::merge_by_scan(std::vector<int32_t>& ids) {
  if (ids.size() < 2) return;
  // pair_merges_[i] is the merge of (ids[i], ids[i + 1]).
  pair_merges_.resize(ids.size() - 1);
  for (size_t i = 0; i + 1 < ids.size(); ++i) pair_merges_[i] = lookup(*merges_, ids[i], ids[i + 1]);
  while (!pair_merges_.empty()) {
    size_t best_idx = 0;
    for (size_t i = 1; i < pair_merges_.size(); ++i) {
      if (pair_merges_[i].rank < pair_merges_[best_idx].rank) best_idx = i;
    }
    if (pair_merges_[best_idx].rank == kNoMerge) break;
    ids[best_idx] = pair_merges_[best_idx].merged_id;
    ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(best_idx) + 1);
    pair_merges_.erase(pair_merges_.begin() + static_cast<std::ptrdiff_t>(best_idx));
    if (best_idx > 0) pair_merges_[best_idx - 1] = lookup(*merges_, ids[best_idx - 1], ids[best_idx]);
    if (best_idx < pair_merges_.size()) pair_merges_[best_idx] = lookup(*merges_, ids[best_idx], ids[best_idx + 1]);
  }
}

void BpeMerger::push_pair(uint32_t pos, int32_t left_id, int32_t right_id) {
  const BpeMerge* merge = merges_->find(left_id, right_id);
  if (merge == nullptr) return;
  heap_.push_back({merge->rank, pos});
  std::push_heap(heap_.begin(), heap_.end(), heap_order);
}

void BpeMerger::merge_by_heap(std::vector<int32_t>& ids) {
  if (ids.size() < 2) return;
  auto num_symbols = static_cast<int32_t>(ids.size());
  prev_.resize(ids.size());
  next_.resize(ids.size());
  heap_.clear();
  for (int32_t i = 0; i < num_symbols; ++i) {
    prev_[i] = i - 1;
    next_[i] = i + 1 < num_symbols ? i + 1 : -1;
  }
  for (int32_t i = 0; i + 1 < num_symbols; ++i) {
    const BpeMerge* merge = merges_->find(ids[i], ids[i + 1]);
    if (merge != nullptr) heap_.push_back({merge->rank, static_cast<uint32_t>(i)});
  }
  std::make_heap(heap_.begin(), heap_.end(), heap_order);
  while (!heap_.empty()) {
    std::pop_heap(heap_.begin(), heap_.end(), heap_order);
    HeapEntry top = heap_.back();
    heap_.pop_back();
    int32_t pos = static_cast<int32_t>(top.pos);
    int32_t right = next_[pos];
    if (ids[pos] == kDeadSymbol || right < 0) continue;
    const BpeMerge* merge = merges_->find(ids[pos], ids[right]);
    if (merge == nullptr || merge->rank != top.rank) continue;  // stale entry: a neighbour merged first
    ids[pos] = merge->merged_id;
    ids[right] = kDeadSymbol;
    next_[pos] = next_[right];
    if (next_[pos] >= 0) prev_[next_[pos]] = pos;
    if (prev_[pos] >= 0) push_pair(static_cast<uint32_t>(prev_[pos]), ids[prev_[pos]], ids[pos]);
    if (next_[pos] >= 0) push_pair(top.pos, ids[pos], ids[next_[pos]]);
  }
  size_t num_kept = 0;
  for (int32_t i = 0; i >= 0; i = next_[i]) ids[num_kept++] = ids[i];
  ids.resize(num_kept);
}

}  // namespace fovea::text
