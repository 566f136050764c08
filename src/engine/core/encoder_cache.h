// EncoderCache: which encoder outputs (image embeddings) exist, keyed by content hash, sized in placeholder tokens.
// An entry is held by the sequences that still need it; unheld entries stay cached, oldest evicted first, so a
// repeated image skips the vision encoder. Only bookkeeping: the model runner stores the embeddings themselves.
// Must not contain scheduling policy or tensors.
#pragma once

#include <cstdint>
#include <list>
#include <unordered_map>
#include <vector>

#include "engine/core/block_hash.h"
#include "engine/core/sequence.h"

namespace fovea::engine {

class EncoderCache {
 public:
  explicit EncoderCache(int64_t capacity_tokens);

  int64_t capacity_tokens() const { return capacity_tokens_; }
  // Tokens no entry occupies.
  int64_t num_free_tokens() const { return capacity_tokens_ - num_used_tokens_; }
  // Tokens of entries nobody holds: evictable on demand.
  int64_t num_unheld_tokens() const { return num_unheld_tokens_; }
  int64_t num_entries() const { return static_cast<int64_t>(entries_.size()); }
  bool contains(const ContentHash& hash) const { return entries_.contains(hash); }
  // Sequences holding the entry (empty when absent or unheld).
  std::vector<SeqId> holders(const ContentHash& hash) const;
  bool is_held_by(const ContentHash& hash, SeqId seq_id) const;

  // When hash is cached, makes seq_id a holder (an unheld entry leaves the eviction list) and returns true.
  bool acquire_if_cached(const ContentHash& hash, SeqId seq_id);
  // Whether num_tokens more fit, evicting unheld entries oldest first when that makes them fit. Returns false,
  // evicting nothing, when even evicting every unheld entry would not.
  bool make_room(int64_t num_tokens);
  // Adds an entry held by seq_id; make_room(num_tokens) returned true just before.
  void insert(const ContentHash& hash, int64_t num_tokens, SeqId seq_id);
  // seq_id no longer needs the entry; when nobody holds it, it becomes the newest evictable one. No-op when seq_id
  // does not hold it.
  void release(const ContentHash& hash, SeqId seq_id);

  // Hashes evicted since the last call: the runner drops those embeddings before running this step's encoders.
  std::vector<ContentHash> take_evicted();

 private:
  struct Entry {
    int64_t num_tokens = 0;
    std::vector<SeqId> holder_ids;               // few: the sequences whose chunks reached this image
    std::list<ContentHash>::iterator unheld_it;  // position in unheld_ while holder_ids is empty
  };

  int64_t capacity_tokens_;
  int64_t num_used_tokens_ = 0;
  int64_t num_unheld_tokens_ = 0;
  std::unordered_map<ContentHash, Entry, DigestHasher> entries_;
  std::list<ContentHash> unheld_;  // oldest first
  std::vector<ContentHash> evicted_;
};

}  // namespace fovea::engine
