// Scheduler with a fake runner, one behaviour per case: chunked prefill, mixed decode and prefill, preemption and
// recompute, aborts in every state, n > 1, encoder budget and cache, finish reasons, validation. Every step is
// followed by the full invariant check of fake_runner.h.
#include "engine/core/scheduler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "base/sha256.h"
#include "fake_runner.h"

namespace fovea::engine {
namespace {

using testing::Harness;
using testing::reference_output;

constexpr int32_t kPlaceholder = 9;

SchedulerConfig small_config() {
  SchedulerConfig config;
  config.max_num_batched_tokens = 64;
  config.max_num_seqs = 8;
  config.max_model_len = 64;
  config.block_size = 4;
  config.num_blocks = 32;
  config.max_encoder_cost_per_step = 100;
  config.encoder_cache_size_tokens = 100;
  return config;
}

std::vector<int32_t> tokens_from(int32_t first, int32_t count) {
  std::vector<int32_t> out(static_cast<size_t>(count));
  std::iota(out.begin(), out.end(), first);
  return out;
}

Request text_request(const std::string& request_id, std::vector<int32_t> prompt, int64_t max_tokens) {
  Request request;
  request.request_id = request_id;
  request.prompt_token_ids = std::move(prompt);
  request.max_tokens = max_tokens;
  return request;
}

ContentHash image_hash(uint8_t seed) { return base::Sha256::digest(std::vector<uint8_t>{0x1B, seed}); }

// A prompt of text and images: each image is `num_tokens` placeholders; text tokens count up from `first_text`.
struct PromptPart {
  int32_t num_text_tokens = 0;
  int32_t image_seed = -1;  // -1: text only
  int32_t num_image_tokens = 0;
  int64_t encoder_cost = 0;
};
Request mixed_request(const std::string& request_id, const std::vector<PromptPart>& parts, int64_t max_tokens,
                      int32_t first_text = 100) {
  Request request = text_request(request_id, {}, max_tokens);
  for (const PromptPart& part : parts) {
    for (int32_t i = 0; i < part.num_text_tokens; ++i) request.prompt_token_ids.push_back(first_text++);
    if (part.image_seed >= 0) {
      request.multimodal_inputs.push_back({image_hash(static_cast<uint8_t>(part.image_seed)),
                                           static_cast<int64_t>(request.prompt_token_ids.size()), part.num_image_tokens,
                                           part.encoder_cost});
      request.prompt_token_ids.insert(request.prompt_token_ids.end(), static_cast<size_t>(part.num_image_tokens),
                                      kPlaceholder);
    }
  }
  return request;
}

// Each finished sequence of a request equals what the deterministic fake model produces for it.
void expect_reference(const Harness& harness, SeqId seq_id) {
  const Sequence* seq = harness.finished_sequence(seq_id);
  ASSERT_NE(seq, nullptr) << "sequence " << seq_id << " did not finish";
  const testing::ReferenceOutput expected = reference_output(
      seq->request(), seq->child_idx(), harness.scheduler().config().max_model_len, harness.vocab_size());
  const std::span<const int32_t> output = seq->output_token_ids();
  EXPECT_EQ(std::vector<int32_t>(output.begin(), output.end()), expected.output_token_ids) << "sequence " << seq_id;
  EXPECT_EQ(seq->finish_reason(), expected.finish_reason) << "sequence " << seq_id;
}

const ScheduledSequence* entry_for(const SchedulerOutput& output, SeqId seq_id) {
  for (const ScheduledSequence& entry : output.scheduled) {
    if (entry.seq_id == seq_id) return &entry;
  }
  return nullptr;
}

TEST(SchedulerTest, ChunkedPrefillProgressesUnderASmallBudget) {
  SchedulerConfig config = small_config();
  config.max_num_batched_tokens = 4;
  Harness harness(config);
  const SeqId seq_id = harness.add(text_request("a", tokens_from(100, 10), 3))[0];
  const std::vector<std::pair<int64_t, int64_t>> expected_chunks = {{0, 4}, {4, 4}, {8, 2}, {10, 1}, {11, 1}};
  for (const auto& [num_computed, num_new] : expected_chunks) {
    ASSERT_EQ(harness.step(), "");
    const ScheduledSequence* entry = entry_for(harness.last_output(), seq_id);
    ASSERT_NE(entry, nullptr);
    EXPECT_EQ(entry->num_computed_tokens, num_computed);
    EXPECT_EQ(entry->num_new_tokens, num_new);
    EXPECT_EQ(entry->samples, num_computed + num_new >= 10);
    EXPECT_EQ(entry->admitted, num_computed == 0);
  }
  EXPECT_FALSE(harness.scheduler().has_unfinished_sequences());
  expect_reference(harness, seq_id);
}

TEST(SchedulerTest, DecodeAndPrefillChunksShareOneStep) {
  SchedulerConfig config = small_config();
  config.max_num_batched_tokens = 8;
  Harness harness(config);
  const SeqId first = harness.add(text_request("a", tokens_from(100, 4), 5))[0];
  ASSERT_EQ(harness.step(), "");
  const SeqId second = harness.add(text_request("b", tokens_from(200, 20), 5))[0];
  ASSERT_EQ(harness.step(), "");
  const SchedulerOutput& output = harness.last_output();
  ASSERT_EQ(output.scheduled.size(), 2u);
  EXPECT_EQ(output.scheduled[0].seq_id, first);  // running first
  EXPECT_EQ(output.scheduled[0].num_new_tokens, 1);
  EXPECT_TRUE(output.scheduled[0].samples);
  EXPECT_EQ(output.scheduled[1].seq_id, second);
  EXPECT_EQ(output.scheduled[1].num_new_tokens, 7);
  EXPECT_FALSE(output.scheduled[1].samples);
  EXPECT_EQ(output.num_scheduled_tokens, 8);
  ASSERT_EQ(harness.run_to_completion(), "");
  expect_reference(harness, first);
  expect_reference(harness, second);
}

TEST(SchedulerTest, PreemptsTheNewestSequenceWhenBlocksRunOutAndItFinishesTheSame) {
  SchedulerConfig config = small_config();
  config.max_model_len = 32;
  config.num_blocks = 8;  // 32 tokens: one full-length sequence, not two
  Harness harness(config);
  const SeqId older = harness.add(text_request("old", tokens_from(100, 12), 16))[0];
  const SeqId newer = harness.add(text_request("new", tokens_from(300, 12), 16))[0];
  bool saw_preemption = false;
  for (int step_idx = 0; step_idx < 200 && harness.scheduler().has_unfinished_sequences(); ++step_idx) {
    ASSERT_EQ(harness.step(), "") << "step " << step_idx;
    const std::vector<SeqId>& preempted = harness.last_output().preempted_seq_ids;
    if (!preempted.empty()) {
      saw_preemption = true;
      EXPECT_EQ(preempted, std::vector<SeqId>{newer});
      const Sequence* victim = harness.scheduler().find(newer);
      ASSERT_NE(victim, nullptr);
      EXPECT_EQ(victim->status(), SequenceStatus::kPreempted);
      EXPECT_TRUE(victim->block_ids().empty());
      EXPECT_EQ(victim->num_computed_tokens(), 0);
      EXPECT_EQ(harness.scheduler().waiting_seq_ids().front(), newer);
    }
  }
  EXPECT_TRUE(saw_preemption);
  expect_reference(harness, older);
  expect_reference(harness, newer);
  EXPECT_GE(harness.finished_sequence(newer)->num_preemptions(), 1);
  EXPECT_EQ(harness.finished_sequence(older)->num_preemptions(), 0);
  EXPECT_GE(harness.scheduler().stats().num_preemptions, 1);
}

TEST(SchedulerTest, AbortFreesBlocksAtOnceInEveryState) {
  SchedulerConfig config = small_config();
  config.max_num_seqs = 2;
  Harness harness(config);
  const SeqId running = harness.add(text_request("running", tokens_from(100, 9), 50))[0];
  const SeqId preempted = harness.add(text_request("preempted", tokens_from(200, 9), 50))[0];
  const SeqId waiting = harness.add(text_request("waiting", tokens_from(300, 9), 50))[0];
  ASSERT_EQ(harness.step(), "");
  ASSERT_EQ(harness.step(), "");
  ASSERT_TRUE(harness.scheduler().preempt_sequence(preempted));
  ASSERT_EQ(harness.check(), "");
  EXPECT_EQ(harness.scheduler().find(preempted)->status(), SequenceStatus::kPreempted);
  EXPECT_EQ(harness.scheduler().find(waiting)->status(), SequenceStatus::kWaiting);

  const BlockPool& pool = harness.scheduler().kv_cache_manager().block_pool();
  const int32_t free_before = pool.num_free_blocks();
  const int32_t running_blocks = static_cast<int32_t>(harness.scheduler().find(running)->block_ids().size());
  for (const char* request_id : {"waiting", "preempted", "running"}) {
    std::vector<std::unique_ptr<Sequence>> aborted = harness.scheduler().abort_request(request_id);
    ASSERT_EQ(aborted.size(), 1u);
    EXPECT_EQ(aborted[0]->finish_reason(), FinishReason::kAbort);
    EXPECT_TRUE(aborted[0]->block_ids().empty());
    ASSERT_EQ(harness.check(), "") << request_id;
  }
  EXPECT_EQ(pool.num_free_blocks(), free_before + running_blocks);
  EXPECT_EQ(pool.num_free_blocks(), pool.num_blocks());
  EXPECT_TRUE(harness.scheduler().abort_request("running").empty());
  EXPECT_FALSE(harness.scheduler().has_unfinished_sequences());
  ASSERT_EQ(harness.step(), "");
  std::vector<SeqId> finished = harness.last_output().finished_seq_ids;
  std::sort(finished.begin(), finished.end());
  EXPECT_EQ(finished, (std::vector<SeqId>{running, preempted, waiting}));
}

TEST(SchedulerTest, AbortBetweenScheduleAndUpdateIgnoresItsToken) {
  Harness harness(small_config());
  const SeqId aborted = harness.add(text_request("a", tokens_from(100, 10), 20))[0];
  const SeqId kept = harness.add(text_request("b", tokens_from(100, 10), 4))[0];
  ASSERT_EQ(harness.step(), "");
  harness.begin_step();
  ASSERT_NE(entry_for(harness.last_output(), aborted), nullptr);
  harness.keep_finished(harness.scheduler().finish_sequence(aborted, FinishReason::kAbort));
  EXPECT_EQ(
      harness.scheduler().kv_cache_manager().block_pool().ref_count(harness.scheduler().find(kept)->block_ids()[0]), 1);
  ASSERT_EQ(harness.end_step(), "");
  EXPECT_EQ(harness.finished_sequence(aborted)->num_output_tokens(), 1);
  ASSERT_EQ(harness.run_to_completion(), "");
  expect_reference(harness, kept);
}

TEST(SchedulerTest, NGreaterThanOneFansOutIntoChildrenSharingThePrompt) {
  Harness harness(small_config());
  Request request = text_request("n3", tokens_from(100, 9), 6);
  request.n = 3;
  const std::vector<SeqId> children = harness.add(request);
  ASSERT_EQ(children.size(), 3u);
  ASSERT_EQ(harness.step(), "");
  const SchedulerOutput& output = harness.last_output();
  ASSERT_EQ(output.scheduled.size(), 3u);
  EXPECT_EQ(output.scheduled[0].num_new_tokens, 9);
  // The later children hit the first child's two full prompt blocks, cached in this same step.
  EXPECT_EQ(output.scheduled[1].num_computed_tokens, 8);
  EXPECT_EQ(output.scheduled[2].num_computed_tokens, 8);
  const BlockPool& pool = harness.scheduler().kv_cache_manager().block_pool();
  const Sequence* first = harness.scheduler().find(children[0]);
  for (SeqId child : children) {
    const Sequence* seq = harness.scheduler().find(child);
    EXPECT_EQ(seq->block_ids()[0], first->block_ids()[0]);
    EXPECT_EQ(seq->block_ids()[1], first->block_ids()[1]);
    EXPECT_EQ(seq->child_idx(), static_cast<int32_t>(child - children[0]));
  }
  EXPECT_EQ(pool.ref_count(first->block_ids()[0]), 3);
  EXPECT_EQ(first->num_prefix_cached_tokens(), 0);
  EXPECT_EQ(harness.scheduler().find(children[2])->num_prefix_cached_tokens(), 8);
  ASSERT_EQ(harness.run_to_completion(), "");
  for (SeqId child : children) expect_reference(harness, child);
  const auto output_of = [&](SeqId child) {
    const std::span<const int32_t> tokens = harness.finished_sequence(child)->output_token_ids();
    return std::vector<int32_t>(tokens.begin(), tokens.end());
  };
  EXPECT_NE(output_of(children[0]), output_of(children[1]));
}

TEST(SchedulerTest, EncoderBudgetStopsTheChunkBeforeAnImageThatCannotRun) {
  SchedulerConfig config = small_config();
  config.max_encoder_cost_per_step = 10;  // one image per step
  Harness harness(config);
  const Request request = mixed_request("img", {{2, 1, 8, 10}, {2, 2, 8, 10}, {3}}, 2);
  const SeqId seq_id = harness.add(request)[0];
  ASSERT_EQ(harness.step(), "");
  const ScheduledSequence* entry = entry_for(harness.last_output(), seq_id);
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->num_new_tokens, 12);  // up to the second image's first placeholder
  EXPECT_EQ(entry->encoder_input_idxs, std::vector<int32_t>{0});
  EXPECT_EQ(harness.last_output().num_scheduled_encoder_cost, 10);
  ASSERT_EQ(harness.step(), "");
  entry = entry_for(harness.last_output(), seq_id);
  EXPECT_EQ(entry->num_computed_tokens, 12);
  EXPECT_EQ(entry->num_new_tokens, 11);
  EXPECT_EQ(entry->encoder_input_idxs, std::vector<int32_t>{1});
  ASSERT_EQ(harness.run_to_completion(), "");
  expect_reference(harness, seq_id);
  EXPECT_EQ(harness.runner().num_encoder_runs(), 2);
}

TEST(SchedulerTest, EncoderCacheCapacityEvictsTheUnheldImageFirst) {
  SchedulerConfig config = small_config();
  config.encoder_cache_size_tokens = 8;  // one image's embeddings at a time
  Harness harness(config);
  const Request request = mixed_request("img", {{2, 1, 8, 10}, {2, 2, 8, 10}, {3}}, 2);
  const SeqId seq_id = harness.add(request)[0];
  ASSERT_EQ(harness.step(), "");
  EXPECT_EQ(entry_for(harness.last_output(), seq_id)->num_new_tokens, 12);
  // The first image's placeholders are all computed: nobody holds it any more, but it stays cached.
  const EncoderCache& cache = harness.scheduler().encoder_cache();
  EXPECT_TRUE(cache.contains(image_hash(1)));
  EXPECT_TRUE(cache.holders(image_hash(1)).empty());
  ASSERT_EQ(harness.step(), "");
  ASSERT_EQ(harness.last_output().evicted_encoder_hashes.size(), 1u);
  EXPECT_EQ(to_hex(harness.last_output().evicted_encoder_hashes[0]), to_hex(image_hash(1)));
  EXPECT_EQ(entry_for(harness.last_output(), seq_id)->encoder_input_idxs, std::vector<int32_t>{1});
  ASSERT_EQ(harness.run_to_completion(), "");
  expect_reference(harness, seq_id);
}

TEST(SchedulerTest, ImagePlaceholdersSpanChunksWhileTheEncoderRunsOnce) {
  SchedulerConfig config = small_config();
  config.max_num_batched_tokens = 4;
  Harness harness(config);
  const SeqId seq_id = harness.add(mixed_request("img", {{2, 1, 8, 10}, {2}}, 2))[0];
  std::vector<std::vector<int32_t>> runs;
  for (int step_idx = 0; step_idx < 3; ++step_idx) {
    ASSERT_EQ(harness.step(), "");
    runs.push_back(entry_for(harness.last_output(), seq_id)->encoder_input_idxs);
    if (step_idx < 2) {
      EXPECT_EQ(harness.scheduler().encoder_cache().holders(image_hash(1)), std::vector<SeqId>{seq_id});
    }
  }
  // Chunks [0,4) [4,8) [8,12): the image (tokens 2..9) runs with the first chunk that reaches it.
  EXPECT_EQ(runs, (std::vector<std::vector<int32_t>>{{0}, {}, {}}));
  EXPECT_TRUE(harness.scheduler().encoder_cache().holders(image_hash(1)).empty());
  ASSERT_EQ(harness.run_to_completion(), "");
  expect_reference(harness, seq_id);
}

TEST(SchedulerTest, ImageNeededAgainLaterDoesNotPinTheEncoderCache) {
  // Room for image 1 (5 tokens) or image 2 (8), not both. Holding image 1 for its second occurrence while image 2
  // waits for room would never finish.
  SchedulerConfig config = small_config();
  config.encoder_cache_size_tokens = 10;
  Harness harness(config);
  const SeqId seq_id = harness.add(mixed_request("aba", {{1, 1, 5, 3}, {1, 2, 8, 3}, {1, 1, 5, 3}, {1}}, 2))[0];
  ASSERT_EQ(harness.run_to_completion(100), "");
  expect_reference(harness, seq_id);
  EXPECT_EQ(harness.runner().num_encoder_runs(), 3);  // image 1 was evicted for image 2, then ran again
}

TEST(SchedulerTest, RepeatedImageSkipsTheEncoder) {
  Harness harness(small_config());
  const SeqId first = harness.add(mixed_request("one", {{3, 5, 8, 10}, {2}}, 2, 100))[0];
  ASSERT_EQ(harness.run_to_completion(), "");
  const SeqId second = harness.add(mixed_request("two", {{5, 5, 8, 10}, {2}}, 2, 500))[0];
  ASSERT_EQ(harness.step(), "");
  const ScheduledSequence* entry = entry_for(harness.last_output(), second);
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->num_computed_tokens, 0);  // different text: no prefix hit
  EXPECT_TRUE(entry->encoder_input_idxs.empty());
  EXPECT_EQ(harness.scheduler().stats().num_encoder_runs, 1);
  EXPECT_EQ(harness.scheduler().stats().num_encoder_cache_hits, 1);
  ASSERT_EQ(harness.run_to_completion(), "");
  expect_reference(harness, first);
  expect_reference(harness, second);
}

TEST(SchedulerTest, SameTokensWithADifferentImageDoNotHitThePrefixCache) {
  Harness harness(small_config());
  harness.add(mixed_request("a", {{1, 1, 8, 10}, {4}}, 1));
  ASSERT_EQ(harness.run_to_completion(), "");
  const SeqId other_image = harness.add(mixed_request("b", {{1, 2, 8, 10}, {4}}, 1))[0];
  ASSERT_EQ(harness.step(), "");
  EXPECT_EQ(entry_for(harness.last_output(), other_image)->num_computed_tokens, 0);
  ASSERT_EQ(harness.run_to_completion(), "");
  const SeqId same_image = harness.add(mixed_request("c", {{1, 1, 8, 10}, {4}}, 1))[0];
  ASSERT_EQ(harness.step(), "");
  EXPECT_EQ(entry_for(harness.last_output(), same_image)->num_computed_tokens, 12);
  ASSERT_EQ(harness.run_to_completion(), "");
  expect_reference(harness, same_image);
}

TEST(SchedulerTest, FinishesOnStopTokenMaxTokensAndMaxModelLen) {
  Harness harness(small_config());
  // The fake model's third token becomes a stop token: it finishes there, and min_tokens 4 ignores it.
  Request probe = text_request("probe", tokens_from(100, 5), 10);
  const std::vector<int32_t> expected = reference_output(probe, 0, 64, harness.vocab_size()).output_token_ids;
  Request stop = probe;
  stop.request_id = "stop";
  stop.stop_token_ids = {expected[2]};
  Request min_tokens = stop;
  min_tokens.request_id = "min";
  min_tokens.min_tokens = 4;
  const SeqId stop_id = harness.add(stop)[0];
  const SeqId min_id = harness.add(min_tokens)[0];
  const SeqId length_id = harness.add(text_request("len", tokens_from(200, 60), 100))[0];
  ASSERT_EQ(harness.run_to_completion(), "");
  EXPECT_EQ(harness.finished_sequence(stop_id)->finish_reason(), FinishReason::kStopToken);
  EXPECT_EQ(harness.finished_sequence(stop_id)->num_output_tokens(), 3);
  EXPECT_NE(harness.finished_sequence(min_id)->num_output_tokens(), 3);
  EXPECT_EQ(harness.finished_sequence(length_id)->finish_reason(), FinishReason::kMaxModelLen);
  EXPECT_EQ(harness.finished_sequence(length_id)->num_tokens(), 64);
  for (SeqId seq_id : {stop_id, min_id, length_id}) expect_reference(harness, seq_id);
}

TEST(SchedulerTest, FinishSequenceFromOutsideForAStopString) {
  Harness harness(small_config());
  const SeqId seq_id = harness.add(text_request("s", tokens_from(100, 6), 30))[0];
  ASSERT_EQ(harness.step(), "");
  ASSERT_EQ(harness.step(), "");
  std::unique_ptr<Sequence> finished = harness.scheduler().finish_sequence(seq_id, FinishReason::kStopString);
  ASSERT_NE(finished, nullptr);
  EXPECT_EQ(finished->finish_reason(), FinishReason::kStopString);
  EXPECT_EQ(finished->num_output_tokens(), 2);
  EXPECT_TRUE(finished->block_ids().empty());
  EXPECT_EQ(harness.scheduler().finish_sequence(seq_id, FinishReason::kAbort), nullptr);
  ASSERT_EQ(harness.check(), "");
  ASSERT_EQ(harness.step(), "");
  EXPECT_EQ(harness.last_output().finished_seq_ids, std::vector<SeqId>{seq_id});
  EXPECT_TRUE(harness.last_output().empty());
}

TEST(SchedulerTest, MaxNumSeqsLimitsAdmission) {
  SchedulerConfig config = small_config();
  config.max_num_seqs = 2;
  Harness harness(config);
  for (const char* request_id : {"a", "b", "c"}) harness.add(text_request(request_id, tokens_from(100, 3), 2));
  ASSERT_EQ(harness.step(), "");
  EXPECT_EQ(harness.last_output().scheduled.size(), 2u);
  EXPECT_EQ(harness.scheduler().running_seq_ids().size(), 2u);
  EXPECT_EQ(harness.scheduler().waiting_seq_ids().size(), 1u);
  ASSERT_EQ(harness.run_to_completion(), "");
  EXPECT_EQ(harness.finished().size(), 3u);
}

TEST(SchedulerTest, ResetPrefixCacheOnlyWhenIdle) {
  Harness harness(small_config());
  harness.add(text_request("a", tokens_from(100, 9), 3));
  ASSERT_EQ(harness.step(), "");
  EXPECT_FALSE(harness.scheduler().reset_prefix_cache());
  ASSERT_EQ(harness.run_to_completion(), "");
  EXPECT_TRUE(harness.scheduler().reset_prefix_cache());
  const SeqId again = harness.add(text_request("b", tokens_from(100, 9), 3))[0];
  ASSERT_EQ(harness.step(), "");
  EXPECT_EQ(entry_for(harness.last_output(), again)->num_computed_tokens, 0);
  const SchedulerStats stats = harness.scheduler().stats();
  EXPECT_EQ(stats.prefix_cache.num_admissions, 2);
  EXPECT_EQ(stats.prefix_cache.num_hit_tokens, 0);
}

TEST(SchedulerTest, RefusesRequestsItCouldNeverServe) {
  SchedulerConfig config = small_config();
  config.max_encoder_cost_per_step = 20;
  config.encoder_cache_size_tokens = 16;
  Scheduler scheduler(config);
  const auto add = [&](Request request) { return scheduler.add_request(std::make_shared<const Request>(request)); };
  const auto expect_refused = [&](const Request& request, const std::string& needle) {
    const base::Result<std::vector<SeqId>> result = add(request);
    ASSERT_FALSE(result.ok()) << needle;
    EXPECT_EQ(result.status().code(), base::StatusCode::kInvalidArgument);
    EXPECT_NE(result.status().message().find(needle), std::string::npos) << result.status().message();
  };
  expect_refused(text_request("empty", {}, 4), "prompt is empty");
  expect_refused(text_request("long", tokens_from(0, 64), 4), "--max-model-len");
  expect_refused(text_request("zero", tokens_from(0, 4), 0), "max_tokens");
  Request bad_n = text_request("n", tokens_from(0, 4), 4);
  bad_n.n = 0;
  expect_refused(bad_n, "n is 0");
  expect_refused(mixed_request("big", {{1, 1, 17, 5}}, 4), "encoder cache size");
  expect_refused(mixed_request("costly", {{1, 1, 8, 21}}, 4), "encoder budget");
  Request outside = mixed_request("outside", {{1, 1, 8, 5}}, 4);
  outside.multimodal_inputs[0].placeholder_start_idx = 2;
  expect_refused(outside, "outside");
  Request overlapping = mixed_request("overlap", {{1, 1, 4, 5}, {0, 2, 4, 5}}, 4);
  overlapping.multimodal_inputs[1].placeholder_start_idx = 3;
  expect_refused(overlapping, "overlap");
  EXPECT_FALSE(scheduler.has_unfinished_sequences());
  ASSERT_TRUE(add(text_request("dup", tokens_from(0, 4), 4)).ok());
  expect_refused(text_request("dup", tokens_from(0, 4), 4), "already used");
  EXPECT_EQ(scheduler.sequences().size(), 1u);
}

TEST(SchedulerConfigTest, RefusesLimitsWithoutProgress) {
  SchedulerConfig config = small_config();
  EXPECT_TRUE(config.validate().ok());
  config.num_blocks = 15;  // 60 tokens < max_model_len 64
  EXPECT_NE(config.validate().message().find("--max-model-len"), std::string::npos);
  config = small_config();
  config.max_num_batched_tokens = 0;
  EXPECT_NE(config.validate().message().find("--max-num-batched-tokens"), std::string::npos);
  config = small_config();
  config.max_num_seqs = 0;
  EXPECT_NE(config.validate().message().find("--max-num-seqs"), std::string::npos);
}

}  // namespace
}  // namespace fovea::engine
