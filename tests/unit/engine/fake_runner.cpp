// FakeRunner, reference outputs and the invariant checker for the engine-core tests.
// Must not contain test cases.
#include "fake_runner.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <set>

namespace fovea::engine::testing {

uint64_t kv_value(const Request& request, int64_t pos, int32_t token_id) {
  uint64_t tag = 0;
  for (const MultimodalInput& input : request.multimodal_inputs) {
    if (pos >= input.placeholder_start_idx && pos < input.placeholder_start_idx + input.num_placeholder_tokens) {
      uint32_t hash_word = 0;
      std::memcpy(&hash_word, input.content_hash.data(), sizeof(hash_word));
      tag = (uint64_t{hash_word} << 16) ^ static_cast<uint64_t>(pos - input.placeholder_start_idx + 1);
      break;
    }
  }
  return (uint64_t{1} << 63) | ((tag & 0x7fffffffu) << 32) | static_cast<uint32_t>(token_id);
}

int32_t next_token(std::span<const int32_t> token_ids, int32_t child_idx, int32_t vocab_size) {
  uint64_t state = 1469598103934665603ull ^ static_cast<uint64_t>(child_idx);
  for (int32_t token_id : token_ids) {
    state ^= static_cast<uint32_t>(token_id);
    state *= 1099511628211ull;
  }
  state ^= state >> 29;
  return static_cast<int32_t>(state % static_cast<uint64_t>(vocab_size));
}

ReferenceOutput reference_output(const Request& request, int32_t child_idx, int64_t max_model_len, int32_t vocab_size) {
  std::vector<int32_t> tokens = request.prompt_token_ids;
  ReferenceOutput out;
  while (out.finish_reason == FinishReason::kNone) {
    const int32_t token_id = next_token(tokens, child_idx, vocab_size);
    tokens.push_back(token_id);
    out.output_token_ids.push_back(token_id);
    const auto num_output = static_cast<int64_t>(out.output_token_ids.size());
    const bool is_stop = std::find(request.stop_token_ids.begin(), request.stop_token_ids.end(), token_id) !=
                         request.stop_token_ids.end();
    if (is_stop && num_output >= request.min_tokens) {
      out.finish_reason = FinishReason::kStopToken;
    } else if (num_output >= request.max_tokens) {
      out.finish_reason = FinishReason::kMaxTokens;
    } else if (static_cast<int64_t>(tokens.size()) >= max_model_len) {
      out.finish_reason = FinishReason::kMaxModelLen;
    }
  }
  return out;
}

FakeRunner::FakeRunner(int32_t num_blocks, int64_t block_size, int32_t vocab_size)
    : block_size_(block_size), vocab_size_(vocab_size), kv_(static_cast<size_t>(num_blocks * block_size), 0) {}

std::span<const uint64_t> FakeRunner::block_contents(int32_t block_id) const {
  return std::span<const uint64_t>(kv_).subspan(static_cast<size_t>(block_id * block_size_),
                                                static_cast<size_t>(block_size_));
}

std::vector<SampledToken> FakeRunner::execute(const SchedulerOutput& output, const Scheduler& scheduler) {
  for (const ContentHash& hash : output.evicted_encoder_hashes) {
    if (encoder_outputs_.erase(hash) == 0) {
      errors_.push_back(fmt::format("evicted encoder entry {} was never stored", to_hex(hash)));
    }
  }
  for (const ScheduledSequence& entry : output.scheduled) {
    for (int32_t input_idx : entry.encoder_input_idxs) {
      const MultimodalInput& input = entry.request->multimodal_inputs[static_cast<size_t>(input_idx)];
      if (!encoder_outputs_.emplace(input.content_hash, 1).second) {
        errors_.push_back(fmt::format("sequence {}: encoder re-run for cached image {}", entry.seq_id, input_idx));
      }
      const int64_t end_idx = input.placeholder_start_idx + input.num_placeholder_tokens;
      if (input.placeholder_start_idx >= entry.num_computed_tokens + entry.num_new_tokens ||
          end_idx <= entry.num_computed_tokens) {
        errors_.push_back(
            fmt::format("sequence {}: image {} runs but its chunk does not reach it", entry.seq_id, input_idx));
      }
      ++num_encoder_runs_;
    }
  }
  // Write every scheduled position first (a real runner writes a layer's KV before that layer's attention reads),
  // from the output alone: the runner does not know about aborts since schedule().
  for (const ScheduledSequence& entry : output.scheduled) {
    for (int64_t pos = entry.num_computed_tokens; pos < entry.num_computed_tokens + entry.num_new_tokens; ++pos) {
      const int32_t block_id = entry.block_ids[static_cast<size_t>(pos / block_size_)];
      const int32_t token_id = entry.token_ids[static_cast<size_t>(pos - entry.num_computed_tokens)];
      kv_[static_cast<size_t>(block_id * block_size_ + pos % block_size_)] = kv_value(*entry.request, pos, token_id);
    }
  }
  std::vector<SampledToken> sampled;
  for (const ScheduledSequence& entry : output.scheduled) {
    const Sequence* seq = scheduler.find(entry.seq_id);
    if (seq) {
      const int64_t end_pos = entry.num_computed_tokens + entry.num_new_tokens;
      const std::span<const int32_t> chunk = seq->token_ids().subspan(static_cast<size_t>(entry.num_computed_tokens),
                                                                      static_cast<size_t>(entry.num_new_tokens));
      if (!std::equal(chunk.begin(), chunk.end(), entry.token_ids.begin(), entry.token_ids.end())) {
        errors_.push_back(fmt::format("sequence {}: the scheduled token ids differ from its tokens", entry.seq_id));
      }
      for (int64_t pos = 0; pos < end_pos; ++pos) {
        const int32_t block_id = entry.block_ids[static_cast<size_t>(pos / block_size_)];
        if (kv_[static_cast<size_t>(block_id * block_size_ + pos % block_size_)] !=
            kv_value(*entry.request, pos, seq->token_ids()[static_cast<size_t>(pos)])) {
          errors_.push_back(
              fmt::format("sequence {} reads a wrong KV value at position {} (block {})", entry.seq_id, pos, block_id));
          break;
        }
      }
      for (const MultimodalInput& input : entry.request->multimodal_inputs) {
        const bool overlaps = input.placeholder_start_idx < end_pos &&
                              input.placeholder_start_idx + input.num_placeholder_tokens > entry.num_computed_tokens;
        if (overlaps && !encoder_outputs_.contains(input.content_hash)) {
          errors_.push_back(
              fmt::format("sequence {} computes image placeholders without the image's embeddings", entry.seq_id));
        }
      }
    }
    if (entry.samples) {
      sampled.push_back({entry.seq_id, seq ? next_token(seq->token_ids(), entry.child_idx, vocab_size_) : 0});
    }
  }
  return sampled;
}

std::string HashBook::record(const Scheduler& scheduler) {
  const int64_t block_size = scheduler.config().block_size;
  for (const Sequence* seq : scheduler.sequences()) {
    const std::span<const BlockHash> hashes = seq->block_hashes();
    for (size_t block_idx = 0; block_idx < hashes.size(); ++block_idx) {
      std::vector<uint64_t> values;
      for (int64_t pos = static_cast<int64_t>(block_idx) * block_size;
           pos < static_cast<int64_t>(block_idx + 1) * block_size; ++pos) {
        values.push_back(kv_value(seq->request(), pos, seq->token_ids()[static_cast<size_t>(pos)]));
      }
      const auto [it, inserted] = contents_.emplace(hashes[block_idx], values);
      if (!inserted && it->second != values) {
        return fmt::format("hash {} names two different block contents", to_hex(hashes[block_idx]));
      }
    }
  }
  return "";
}

const std::vector<uint64_t>* HashBook::find(const BlockHash& hash) const {
  const auto it = contents_.find(hash);
  return it == contents_.end() ? nullptr : &it->second;
}

namespace {

std::string check_pool(const Scheduler& scheduler) {
  const BlockPool& pool = scheduler.kv_cache_manager().block_pool();
  const std::vector<int32_t> free_ids = pool.free_block_ids();
  if (static_cast<int32_t>(free_ids.size()) != pool.num_free_blocks()) {
    return fmt::format("free list has {} blocks, the pool counts {}", free_ids.size(), pool.num_free_blocks());
  }
  const std::set<int32_t> free_set(free_ids.begin(), free_ids.end());
  if (free_set.size() != free_ids.size()) return "a block appears twice in the free list";
  int32_t num_held = 0;
  for (int32_t block_id = 0; block_id < pool.num_blocks(); ++block_id) {
    const bool held = pool.ref_count(block_id) > 0;
    num_held += held ? 1 : 0;
    if (held == free_set.contains(block_id)) {
      return fmt::format("block {} has ref count {} but is {}in the free list", block_id, pool.ref_count(block_id),
                         held ? "" : "not ");
    }
  }
  if (num_held + pool.num_free_blocks() != pool.num_blocks()) {
    return fmt::format("{} held + {} free != {} blocks", num_held, pool.num_free_blocks(), pool.num_blocks());
  }
  return "";
}

std::string check_sequences(const Scheduler& scheduler) {
  const BlockPool& pool = scheduler.kv_cache_manager().block_pool();
  const SchedulerConfig& config = scheduler.config();
  std::vector<int32_t> holders(static_cast<size_t>(pool.num_blocks()), 0);
  const std::vector<SeqId> running = scheduler.running_seq_ids();
  const std::vector<SeqId> waiting = scheduler.waiting_seq_ids();
  if (static_cast<int64_t>(running.size()) > config.max_num_seqs) return "more running sequences than max_num_seqs";
  if (running.size() + waiting.size() != scheduler.sequences().size()) {
    return fmt::format("{} running + {} waiting != {} live sequences", running.size(), waiting.size(),
                       scheduler.sequences().size());
  }
  for (size_t i = 1; i < running.size(); ++i) {
    if (scheduler.find(running[i - 1])->priority_order() > scheduler.find(running[i])->priority_order()) {
      return "the running list is not oldest first";
    }
  }
  for (SeqId seq_id : running) {
    const Sequence* seq = scheduler.find(seq_id);
    if (!seq || seq->status() != SequenceStatus::kRunning) return fmt::format("sequence {} listed running", seq_id);
  }
  for (SeqId seq_id : waiting) {
    const Sequence* seq = scheduler.find(seq_id);
    if (!seq || (seq->status() != SequenceStatus::kWaiting && seq->status() != SequenceStatus::kPreempted)) {
      return fmt::format("sequence {} listed waiting", seq_id);
    }
    if (!seq->block_ids().empty() || seq->num_computed_tokens() != 0) {
      return fmt::format("waiting sequence {} holds {} blocks, {} computed tokens", seq_id, seq->block_ids().size(),
                         seq->num_computed_tokens());
    }
  }
  const KvCacheManager& kv = scheduler.kv_cache_manager();
  for (const Sequence* seq : scheduler.sequences()) {
    std::set<int32_t> own(seq->block_ids().begin(), seq->block_ids().end());
    if (own.size() != seq->block_ids().size()) return fmt::format("sequence {} holds a block twice", seq->seq_id());
    for (int32_t block_id : seq->block_ids()) ++holders[static_cast<size_t>(block_id)];
    if (seq->status() == SequenceStatus::kRunning) {
      const int64_t expected_blocks =
          kv.num_blocks_for(std::min(seq->num_computed_tokens() + config.num_lookahead_tokens, config.max_model_len));
      if (static_cast<int64_t>(seq->block_ids().size()) != expected_blocks) {
        return fmt::format("running sequence {} with {} computed tokens holds {} blocks, expected {}", seq->seq_id(),
                           seq->num_computed_tokens(), seq->block_ids().size(), expected_blocks);
      }
      if (seq->num_computed_tokens() >= seq->num_tokens()) {
        return fmt::format("running sequence {} has nothing left to compute", seq->seq_id());
      }
    }
  }
  for (int32_t block_id = 0; block_id < pool.num_blocks(); ++block_id) {
    if (holders[static_cast<size_t>(block_id)] != pool.ref_count(block_id)) {
      return fmt::format("block {} has ref count {} but {} block tables hold it", block_id, pool.ref_count(block_id),
                         holders[static_cast<size_t>(block_id)]);
    }
  }
  return "";
}

std::string check_cached_contents(const Scheduler& scheduler, const FakeRunner& runner, const HashBook& book) {
  const BlockPool& pool = scheduler.kv_cache_manager().block_pool();
  int64_t num_hashed = 0;
  for (int32_t block_id = 0; block_id < pool.num_blocks(); ++block_id) {
    const std::optional<BlockHash> hash = pool.block_hash(block_id);
    if (!hash) continue;
    ++num_hashed;
    if (pool.find_cached(*hash) != block_id) return fmt::format("block {}'s hash maps elsewhere", block_id);
    const std::vector<uint64_t>* expected = book.find(*hash);
    if (!expected) return fmt::format("block {} is cached under a hash no sequence ever had", block_id);
    const std::span<const uint64_t> actual = runner.block_contents(block_id);
    if (!std::equal(actual.begin(), actual.end(), expected->begin(), expected->end())) {
      return fmt::format("cached block {} does not hold the KV its hash stands for", block_id);
    }
  }
  if (num_hashed != pool.num_cached_blocks()) return "the hash map and the blocks' hashes disagree";
  const int64_t block_size = scheduler.config().block_size;
  for (const Sequence* seq : scheduler.sequences()) {
    const auto num_full = static_cast<size_t>(seq->num_computed_tokens() / block_size);
    for (size_t block_idx = 0; block_idx < num_full; ++block_idx) {
      const int32_t block_id = seq->block_ids()[block_idx];
      const std::optional<BlockHash> hash = pool.block_hash(block_id);
      if (hash && *hash != seq->block_hashes()[block_idx]) {
        return fmt::format("sequence {} block {} is cached under another sequence's hash", seq->seq_id(), block_idx);
      }
    }
  }
  return "";
}

std::string check_encoder_cache(const Scheduler& scheduler, const FakeRunner& runner) {
  const EncoderCache& cache = scheduler.encoder_cache();
  if (cache.num_entries() != runner.num_encoder_outputs()) {
    return fmt::format("encoder cache has {} entries, the runner stores {}", cache.num_entries(),
                       runner.num_encoder_outputs());
  }
  if (cache.num_free_tokens() < 0 || cache.num_unheld_tokens() > cache.capacity_tokens() - cache.num_free_tokens()) {
    return "encoder cache token accounting is off";
  }
  for (const Sequence* seq : scheduler.sequences()) {
    const std::vector<MultimodalInput>& inputs = seq->request().multimodal_inputs;
    const int64_t num_computed = seq->num_computed_tokens();
    for (const MultimodalInput& input : inputs) {
      const bool held = cache.is_held_by(input.content_hash, seq->seq_id());
      if (held && !runner.has_encoder_output(input.content_hash)) return "a held encoder entry has no output";
      if (seq->status() != SequenceStatus::kRunning) {
        if (held) return fmt::format("waiting sequence {} holds an encoder entry", seq->seq_id());
        continue;
      }
      // Held exactly while the sequence is inside (an occurrence of) the image: inside without holding it would
      // compute placeholders without embeddings; holding it otherwise could pin the cache (deadlock).
      const bool inside = std::any_of(inputs.begin(), inputs.end(), [&](const MultimodalInput& other) {
        return other.content_hash == input.content_hash && other.placeholder_start_idx < num_computed &&
               other.placeholder_start_idx + other.num_placeholder_tokens > num_computed;
      });
      if (inside != held) {
        return fmt::format("sequence {} at {} computed tokens {} an image it is {}inside of", seq->seq_id(),
                           num_computed, held ? "holds" : "does not hold", inside ? "" : "not ");
      }
    }
  }
  return "";
}

}  // namespace

std::string find_invariant_violation(const Scheduler& scheduler, const FakeRunner& runner, const HashBook& book) {
  if (!runner.errors().empty()) return "runner: " + runner.errors().front();
  for (const auto& check : {check_pool(scheduler), check_sequences(scheduler),
                            check_cached_contents(scheduler, runner, book), check_encoder_cache(scheduler, runner)}) {
    if (!check.empty()) return check;
  }
  return "";
}

Harness::Harness(const SchedulerConfig& config, int32_t vocab_size)
    : vocab_size_(vocab_size), scheduler_(config), runner_(config.num_blocks, config.block_size, vocab_size) {}

std::vector<SeqId> Harness::add(const Request& request) {
  base::Result<std::vector<SeqId>> seq_ids = scheduler_.add_request(std::make_shared<const Request>(request));
  EXPECT_TRUE(seq_ids.ok()) << seq_ids.status().message();
  return seq_ids.ok() ? seq_ids.value() : std::vector<SeqId>();
}

const SchedulerOutput& Harness::begin_step() {
  last_output_ = scheduler_.schedule();
  const std::string error = book_.record(scheduler_);
  if (book_error_.empty()) book_error_ = error;
  return last_output_;
}

std::string Harness::end_step() {
  const std::vector<SampledToken> sampled = runner_.execute(last_output_, scheduler_);
  for (std::unique_ptr<Sequence>& seq : scheduler_.update(last_output_, sampled)) {
    if (!seq->block_ids().empty()) return fmt::format("finished sequence {} still holds blocks", seq->seq_id());
    finished_.push_back(std::move(seq));
  }
  return check();
}

std::string Harness::step() {
  begin_step();
  return end_step();
}

std::string Harness::run_to_completion(int64_t max_steps) {
  for (int64_t step_idx = 0; step_idx < max_steps && scheduler_.has_unfinished_sequences(); ++step_idx) {
    const std::string error = step();
    if (!error.empty()) return fmt::format("step {}: {}", step_idx, error);
  }
  return scheduler_.has_unfinished_sequences() ? "sequences still live after the step limit" : "";
}

std::string Harness::check() const {
  if (!book_error_.empty()) return book_error_;
  return find_invariant_violation(scheduler_, runner_, book_);
}

const Sequence* Harness::finished_sequence(SeqId seq_id) const {
  for (const std::unique_ptr<Sequence>& seq : finished_) {
    if (seq->seq_id() == seq_id) return seq.get();
  }
  return nullptr;
}

void Harness::keep_finished(std::unique_ptr<Sequence> seq) {
  if (seq) finished_.push_back(std::move(seq));
}

}  // namespace fovea::engine::testing
