// Randomized traces: seeded streams of add (shared prefixes, images, salts, n > 1), abort, outside finish and
// forced preemption, under tight block pools and budgets, with every invariant checked after every operation and
// every step, and every naturally finished sequence compared with the fake model's reference output.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "engine/core/scheduler.h"
#include "base/sha256.h"
#include "fake_runner.h"

namespace fovea::engine {
namespace {

using testing::Harness;

constexpr int32_t kVocabSize = 50;
constexpr int32_t kPlaceholder = 3;
constexpr int kNumSeeds = 40;
constexpr int kStepsPerSeed = 500;

struct ImageKind {
  ContentHash hash;
  int64_t num_tokens;
  int64_t encoder_cost;
};

// A piece of prompt: text tokens, then optionally one image.
struct Piece {
  std::vector<int32_t> text;
  int image_kind_idx = -1;
};

struct TraceTotals {
  int64_t num_steps = 0;
  int64_t num_finished = 0;
  int64_t num_compared = 0;
  int64_t num_preemptions = 0;
  int64_t num_prefix_hit_tokens = 0;
  int64_t num_encoder_cache_hits = 0;
  int64_t num_block_evictions = 0;
  int64_t num_mid_step_aborts = 0;
  int64_t num_mid_step_preemptions = 0;
};

class Trace {
 public:
  explicit Trace(uint32_t seed) : rng_(seed) {
    for (int kind_idx = 0; kind_idx < 5; ++kind_idx) {
      images_.push_back(
          {base::Sha256::digest(std::vector<uint8_t>{0x77, static_cast<uint8_t>(kind_idx)}), 2 + 3 * kind_idx, 1 + kind_idx});
    }
    config_.block_size = pick({2, 4, 8});
    config_.max_model_len = uniform(24, 64);
    config_.num_lookahead_tokens = uniform(0, 3) == 0 ? uniform(1, 3) : 0;
    const int64_t min_blocks =
        (config_.max_model_len + config_.num_lookahead_tokens + config_.block_size - 1) / config_.block_size;
    config_.num_blocks = static_cast<int32_t>(uniform(min_blocks, min_blocks * 3));
    config_.max_num_batched_tokens = uniform(0, 4) == 0 ? uniform(1, 3) : uniform(4, 48);
    config_.max_num_seqs = static_cast<int32_t>(uniform(1, 8));
    config_.enable_prefix_caching = uniform(0, 4) != 0;
    const int64_t max_image_tokens = images_.back().num_tokens;
    config_.max_encoder_cost_per_step = uniform(images_.back().encoder_cost, 3 * images_.back().encoder_cost);
    config_.encoder_cache_size_tokens = uniform(max_image_tokens, 3 * max_image_tokens);
    for (int prefix_idx = 0; prefix_idx < 3; ++prefix_idx) prefixes_.push_back(random_pieces(uniform(1, 3)));
  }

  const SchedulerConfig& config() const { return config_; }

  std::string run(TraceTotals& totals) {
    Harness harness(config_, kVocabSize);
    for (int step_idx = 0; step_idx < kStepsPerSeed; ++step_idx) {
      std::string error = random_operations(harness);
      if (error.empty()) error = step(harness, totals);
      if (!error.empty()) return "step " + std::to_string(step_idx) + ": " + error;
    }
    for (const Sequence* seq : harness.scheduler().sequences()) {
      if (seq->status() == SequenceStatus::kRunning || uniform(0, 1) == 0) continue;
      harness.keep_finished(harness.scheduler().finish_sequence(seq->seq_id(), FinishReason::kAbort));
    }
    std::string error = harness.run_to_completion();
    if (!error.empty()) return "drain: " + error;
    const BlockPool& pool = harness.scheduler().kv_cache_manager().block_pool();
    if (pool.num_free_blocks() != pool.num_blocks()) return "blocks still held after every sequence finished";
    if (harness.scheduler().encoder_cache().num_unheld_tokens() !=
        harness.scheduler().encoder_cache().capacity_tokens() - harness.scheduler().encoder_cache().num_free_tokens()) {
      return "encoder entries still held after every sequence finished";
    }
    if (!harness.scheduler().reset_prefix_cache()) return "reset_prefix_cache refused on an idle scheduler";
    error = compare_outputs(harness, totals);
    const SchedulerStats stats = harness.scheduler().stats();
    totals.num_preemptions += stats.num_preemptions;
    totals.num_prefix_hit_tokens += stats.prefix_cache.num_hit_tokens;
    totals.num_encoder_cache_hits += stats.num_encoder_cache_hits;
    totals.num_block_evictions += pool.num_evictions();
    return error;
  }

 private:
  int64_t uniform(int64_t low, int64_t high) { return std::uniform_int_distribution<int64_t>(low, high)(rng_); }
  int64_t pick(std::initializer_list<int64_t> values) {
    return *(values.begin() + uniform(0, static_cast<int64_t>(values.size()) - 1));
  }

  std::vector<Piece> random_pieces(int64_t count) {
    std::vector<Piece> pieces(static_cast<size_t>(count));
    for (Piece& piece : pieces) {
      for (int64_t i = uniform(1, 6); i > 0; --i) piece.text.push_back(static_cast<int32_t>(uniform(10, 49)));
      if (uniform(0, 2) == 0) piece.image_kind_idx = static_cast<int>(uniform(0, 4));
    }
    return pieces;
  }

  Request random_request() {
    Request request;
    request.request_id = "req-" + std::to_string(next_request_idx_++);
    std::vector<Piece> pieces;
    if (uniform(0, 3) != 0) pieces = prefixes_[static_cast<size_t>(uniform(0, 2))];
    for (Piece& piece : random_pieces(uniform(1, 2))) pieces.push_back(std::move(piece));
    for (const Piece& piece : pieces) {
      request.prompt_token_ids.insert(request.prompt_token_ids.end(), piece.text.begin(), piece.text.end());
      if (piece.image_kind_idx < 0) continue;
      const ImageKind& image = images_[static_cast<size_t>(piece.image_kind_idx)];
      if (static_cast<int64_t>(request.prompt_token_ids.size()) + image.num_tokens >= config_.max_model_len - 1) break;
      request.multimodal_inputs.push_back(
          {image.hash, static_cast<int64_t>(request.prompt_token_ids.size()), image.num_tokens, image.encoder_cost});
      request.prompt_token_ids.insert(request.prompt_token_ids.end(), static_cast<size_t>(image.num_tokens),
                                      kPlaceholder);
    }
    const auto max_prompt = static_cast<size_t>(config_.max_model_len - 1);
    if (request.prompt_token_ids.size() > max_prompt) {
      request.prompt_token_ids.resize(max_prompt);
      std::erase_if(request.multimodal_inputs, [&](const MultimodalInput& input) {
        return input.placeholder_start_idx + input.num_placeholder_tokens > static_cast<int64_t>(max_prompt);
      });
    }
    request.n = static_cast<int32_t>(pick({1, 1, 1, 2, 3}));
    request.max_tokens = uniform(1, 20);
    request.min_tokens = uniform(0, 3) == 0 ? uniform(0, request.max_tokens) : 0;
    if (uniform(0, 2) == 0) request.stop_token_ids.push_back(static_cast<int32_t>(uniform(0, kVocabSize - 1)));
    if (uniform(0, 9) == 0) request.cache_salt = "tenant";
    return request;
  }

  const Sequence* random_live(const Harness& harness, bool running_only) {
    std::vector<const Sequence*> candidates;
    for (const Sequence* seq : harness.scheduler().sequences()) {
      if (!running_only || seq->status() == SequenceStatus::kRunning) candidates.push_back(seq);
    }
    if (candidates.empty()) return nullptr;
    std::sort(candidates.begin(), candidates.end(),
              [](const Sequence* a, const Sequence* b) { return a->seq_id() < b->seq_id(); });
    return candidates[static_cast<size_t>(uniform(0, static_cast<int64_t>(candidates.size()) - 1))];
  }

  std::string random_operations(Harness& harness) {
    Scheduler& scheduler = harness.scheduler();
    if (uniform(0, 9) < 3) {
      const base::Result<std::vector<SeqId>> added =
          scheduler.add_request(std::make_shared<const Request>(random_request()));
      if (!added.ok()) return "a valid request was refused: " + added.status().message();
    }
    if (uniform(0, 19) == 0) {
      if (const Sequence* seq = random_live(harness, false)) {
        const std::string request_id = seq->request().request_id;
        for (std::unique_ptr<Sequence>& aborted : scheduler.abort_request(request_id)) {
          harness.keep_finished(std::move(aborted));
        }
      }
    }
    if (uniform(0, 19) == 0) {
      if (const Sequence* seq = random_live(harness, false)) {
        harness.keep_finished(scheduler.finish_sequence(seq->seq_id(), FinishReason::kStopString));
      }
    }
    if (uniform(0, 19) == 0) {
      if (const Sequence* seq = random_live(harness, true)) {
        if (!scheduler.preempt_sequence(seq->seq_id())) return "a running sequence could not be preempted";
      }
    }
    return harness.check();
  }

  std::string step(Harness& harness, TraceTotals& totals) {
    ++totals.num_steps;
    harness.begin_step();
    // Between schedule() and update(): aborts and preemptions the engine loop may apply while a step runs.
    if (uniform(0, 29) == 0) {
      if (const Sequence* seq = random_live(harness, false)) {
        harness.keep_finished(harness.scheduler().finish_sequence(seq->seq_id(), FinishReason::kAbort));
        ++totals.num_mid_step_aborts;
      }
    }
    if (uniform(0, 29) == 0) {
      if (const Sequence* seq = random_live(harness, true)) {
        if (!harness.scheduler().preempt_sequence(seq->seq_id())) return "a running sequence could not be preempted";
        ++totals.num_mid_step_preemptions;
      }
    }
    return harness.end_step();
  }

  std::string compare_outputs(const Harness& harness, TraceTotals& totals) {
    for (const std::unique_ptr<Sequence>& seq : harness.finished()) {
      ++totals.num_finished;
      if (!seq->block_ids().empty()) return "a finished sequence holds blocks";
      const testing::ReferenceOutput expected =
          testing::reference_output(seq->request(), seq->child_idx(), config_.max_model_len, kVocabSize);
      const std::span<const int32_t> output = seq->output_token_ids();
      const bool natural = seq->finish_reason() == FinishReason::kStopToken ||
                           seq->finish_reason() == FinishReason::kMaxTokens ||
                           seq->finish_reason() == FinishReason::kMaxModelLen;
      const bool prefix_matches = output.size() <= expected.output_token_ids.size() &&
                                  std::equal(output.begin(), output.end(), expected.output_token_ids.begin());
      if (!prefix_matches || (natural && (output.size() != expected.output_token_ids.size() ||
                                          seq->finish_reason() != expected.finish_reason))) {
        return "sequence " + std::to_string(seq->seq_id()) + " (" + finish_reason_name(seq->finish_reason()) + ", " +
               std::to_string(seq->num_preemptions()) + " preemptions) differs from the reference";
      }
      totals.num_compared += natural ? 1 : 0;
    }
    return "";
  }

  std::mt19937_64 rng_;
  SchedulerConfig config_;
  std::vector<ImageKind> images_;
  std::vector<std::vector<Piece>> prefixes_;
  int next_request_idx_ = 0;
};

TEST(SchedulerTraceTest, RandomTracesKeepEveryInvariant) {
  TraceTotals totals;
  for (uint32_t seed = 1; seed <= kNumSeeds; ++seed) {
    Trace trace(seed);
    const std::string error = trace.run(totals);
    ASSERT_EQ(error, "") << "seed " << seed << " (block_size " << trace.config().block_size << ", "
                         << trace.config().num_blocks << " blocks, budget " << trace.config().max_num_batched_tokens
                         << ")";
  }
  // The traces must actually reach the paths they are meant to test.
  EXPECT_GE(totals.num_steps, kNumSeeds * kStepsPerSeed);
  EXPECT_GT(totals.num_compared, 1000);
  EXPECT_GT(totals.num_preemptions, 100);
  EXPECT_GT(totals.num_prefix_hit_tokens, 1000);
  EXPECT_GT(totals.num_encoder_cache_hits, 50);
  EXPECT_GT(totals.num_block_evictions, 100);
  EXPECT_GT(totals.num_mid_step_aborts, 100);
  EXPECT_GT(totals.num_mid_step_preemptions, 100);
  std::printf(
      "trace totals: %lld steps, %lld finished (%lld compared with the reference), %lld preemptions, %lld "
      "prefix-hit tokens, %lld encoder cache hits, %lld block evictions, %lld mid-step aborts, %lld mid-step "
      "preemptions\n",
      static_cast<long long>(totals.num_steps), static_cast<long long>(totals.num_finished),
      static_cast<long long>(totals.num_compared), static_cast<long long>(totals.num_preemptions),
      static_cast<long long>(totals.num_prefix_hit_tokens), static_cast<long long>(totals.num_encoder_cache_hits),
      static_cast<long long>(totals.num_block_evictions), static_cast<long long>(totals.num_mid_step_aborts),
      static_cast<long long>(totals.num_mid_step_preemptions));
}

}  // namespace
}  // namespace fovea::engine
