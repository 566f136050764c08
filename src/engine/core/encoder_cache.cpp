// EncoderCache bookkeeping: holders per entry, an LRU list of unheld entries, eviction on demand.
// Must not contain scheduling policy or tensors.
#include "engine/core/encoder_cache.h"

#include <algorithm>

#include "base/check.h"

namespace fovea::engine {

EncoderCache::EncoderCache(int64_t capacity_tokens) : capacity_tokens_(capacity_tokens) {
  FOVEA_CHECK(capacity_tokens >= 0, "negative encoder cache capacity {}", capacity_tokens);
}

std::vector<SeqId> EncoderCache::holders(const ContentHash& hash) const {
  const auto it = entries_.find(hash);
  return it == entries_.end() ? std::vector<SeqId>() : it->second.holder_ids;
}

bool EncoderCache::is_held_by(const ContentHash& hash, SeqId seq_id) const {
  const auto it = entries_.find(hash);
  if (it == entries_.end()) return false;
  const std::vector<SeqId>& holder_ids = it->second.holder_ids;
  return std::find(holder_ids.begin(), holder_ids.end(), seq_id) != holder_ids.end();
}

bool EncoderCache::acquire_if_cached(const ContentHash& hash, SeqId seq_id) {
  const auto it = entries_.find(hash);
  if (it == entries_.end()) return false;
  Entry& entry = it->second;
  if (entry.holder_ids.empty()) {
    unheld_.erase(entry.unheld_it);
    num_unheld_tokens_ -= entry.num_tokens;
  }
  if (std::find(entry.holder_ids.begin(), entry.holder_ids.end(), seq_id) == entry.holder_ids.end()) {
    entry.holder_ids.push_back(seq_id);
  }
  return true;
}

bool EncoderCache::make_room(int64_t num_tokens) {
  if (num_tokens > num_free_tokens() + num_unheld_tokens_) return false;
  while (num_tokens > num_free_tokens()) {
    const ContentHash oldest = unheld_.front();
    unheld_.pop_front();
    const auto it = entries_.find(oldest);
    num_unheld_tokens_ -= it->second.num_tokens;
    num_used_tokens_ -= it->second.num_tokens;
    entries_.erase(it);
    evicted_.push_back(oldest);
  }
  return true;
}

void EncoderCache::insert(const ContentHash& hash, int64_t num_tokens, SeqId seq_id) {
  FOVEA_CHECK(num_tokens > 0 && num_tokens <= num_free_tokens(), "encoder entry of {} tokens with {} free", num_tokens,
              num_free_tokens());
  Entry entry;
  entry.num_tokens = num_tokens;
  entry.holder_ids.push_back(seq_id);
  FOVEA_CHECK(entries_.emplace(hash, std::move(entry)).second, "encoder entry {} inserted twice", to_hex(hash));
  num_used_tokens_ += num_tokens;
}

void EncoderCache::release(const ContentHash& hash, SeqId seq_id) {
  const auto it = entries_.find(hash);
  if (it == entries_.end()) return;
  Entry& entry = it->second;
  const auto holder_it = std::find(entry.holder_ids.begin(), entry.holder_ids.end(), seq_id);
  if (holder_it == entry.holder_ids.end()) return;
  entry.holder_ids.erase(holder_it);
  if (entry.holder_ids.empty()) {
    entry.unheld_it = unheld_.insert(unheld_.end(), hash);
    num_unheld_tokens_ += entry.num_tokens;
  }
}

std::vector<ContentHash> EncoderCache::take_evicted() {
  std::vector<ContentHash> out;
  out.swap(evicted_);
  return out;
}

}  // namespace fovea::engine
