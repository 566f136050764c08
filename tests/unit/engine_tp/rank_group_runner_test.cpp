// RankGroupRunner on the tiny Qwen3-VL checkpoint, two CPU ranks: a prefill step's logits equal TP=1's (f32
// rounding), and a rank that fails mid-step (its prompt is missing) makes the step fail with that rank's error
// instead of leaving rank 0 blocked in an all-reduce, after which the group refuses every step; a step the watchdog
// times out is named in its error.
// Must not contain scheduler code (the step is built by hand).
#include "engine/runtime/rank_group_runner.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <numeric>
#include <thread>

#include "tp_test_util.h"

namespace fovea::engine {
namespace {

constexpr int64_t kBlockSize = 16;
constexpr int64_t kNumBlocks = 8;

// One text request of `num_tokens` prompt tokens, prefilled in one step into block 0...
struct TextStep {
  std::shared_ptr<ProcessedPrompt> prompt = std::make_shared<ProcessedPrompt>();
  std::shared_ptr<Request> request = std::make_shared<Request>();
  SchedulerOutput output;

  explicit TextStep(int64_t num_tokens) {
    for (int64_t idx = 0; idx < num_tokens; ++idx)
      prompt->token_ids.push_back(static_cast<int32_t>((idx * 37 + 5) % 1000));
    request->request_id = "r0";
    request->prompt_token_ids = prompt->token_ids;
    ScheduledSequence seq;
    seq.seq_id = 1;
    seq.request = request;
    seq.admitted = true;
    seq.num_new_tokens = num_tokens;
    seq.token_ids = prompt->token_ids;
    seq.block_ids = {0, 1};
    seq.samples = true;
    output.scheduled.push_back(seq);
    output.num_scheduled_tokens = num_tokens;
  }
};

std::vector<std::unique_ptr<ModelRunner>> make_runners(testing::Ranks& ranks) {
  std::vector<std::unique_ptr<ModelRunner>> runners;
  for (size_t idx = 0; idx < ranks.models.size(); ++idx) {
    base::Result<model::KvCache> cache =
        ranks.models[idx]->allocate_kv_cache(kNumBlocks, kBlockSize, tensor::DType::kF32);
    EXPECT_TRUE(cache.ok()) << cache.status().message();
    ModelRunnerOptions options;
    options.copy_logits = idx == 0;
    runners.push_back(
        std::make_unique<ModelRunner>(*ranks.backends[idx], *ranks.models[idx], std::move(*cache), options));
  }
  return runners;
}

TEST(RankGroupRunnerTest, PrefillLogitsEqualOneRank) {
  TextStep step(20);
  testing::Ranks one;
  ASSERT_TRUE(testing::load_ranks(1, true, one).ok());
  std::vector<std::unique_ptr<ModelRunner>> single = make_runners(one);
  single[0]->add_prompt("r0", step.prompt);
  base::Result<RunnerOutput> want = single[0]->execute(step.output);
  ASSERT_TRUE(want.ok()) << want.status().message();

  testing::Ranks two;
  ASSERT_TRUE(testing::load_ranks(2, true, two).ok());
  RankGroupRunner group(std::move(two.threads), make_runners(two), two.communicator_ptrs());
  group.add_prompt("r0", step.prompt);
  base::Result<RunnerOutput> got = group.execute(step.output);
  ASSERT_TRUE(got.ok()) << got.status().message();
  ASSERT_EQ(got->seq_ids, want->seq_ids);
  ASSERT_EQ(got->vocab_size, want->vocab_size);
  ASSERT_EQ(got->logits.size(), want->logits.size());
  double max_error = 0;
  double max_value = 0;
  for (size_t idx = 0; idx < want->logits.size(); ++idx) {
    max_error = std::max(max_error, static_cast<double>(std::fabs(got->logits[idx] - want->logits[idx])));
    max_value = std::max(max_value, static_cast<double>(std::fabs(want->logits[idx])));
  }
  EXPECT_LT(max_error, 1e-4 * max_value);
  EXPECT_FALSE(group.failed_permanently());
}

TEST(RankGroupRunnerTest, AFailingRankFailsTheStepAndStopsTheGroup) {
  TextStep step(20);
  testing::Ranks two;
  ASSERT_TRUE(testing::load_ranks(2, true, two).ok());
  std::vector<std::unique_ptr<ModelRunner>> runners = make_runners(two);
  // Only rank 0 knows the prompt: rank 1 fails before its first collective while rank 0 runs into one.
  runners[0]->add_prompt("r0", step.prompt);
  RankGroupRunner group(std::move(two.threads), std::move(runners), two.communicator_ptrs());
  base::Result<RunnerOutput> failed = group.execute(step.output);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("rank 1"), std::string::npos) << failed.status().message();
  EXPECT_NE(failed.status().message().find("no registered prompt"), std::string::npos) << failed.status().message();
  EXPECT_TRUE(group.failed_permanently());
  base::Result<RunnerOutput> later = group.execute(step.output);
  ASSERT_FALSE(later.ok());
  EXPECT_EQ(later.status().code(), base::StatusCode::kUnavailable);
}

TEST(RankGroupRunnerTest, ATimedOutStepIsNamedInItsError) {
  TextStep step(20);
  testing::Ranks two;
  ASSERT_TRUE(testing::load_ranks(2, true, two).ok());
  std::vector<std::unique_ptr<ModelRunner>> runners = make_runners(two);
  for (const std::unique_ptr<ModelRunner>& runner : runners) runner->add_prompt("r0", step.prompt);
  StepWatchdog watchdog;
  watchdog.limit = std::chrono::milliseconds(300);
  two.threads->set_step_watchdog(std::move(watchdog));
  // Rank 1 waits at the start of the step until its communicator is aborted; rank 0 waits in the first all-reduce.
  const RankStepHook hang = [](int rank_idx, backend::Communicator& comm) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (rank_idx == 1 && comm.health().ok() && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  };
  RankGroupRunner group(std::move(two.threads), std::move(runners), two.communicator_ptrs(), hang);
  base::Result<RunnerOutput> timed_out = group.execute(step.output);
  ASSERT_FALSE(timed_out.ok());
  EXPECT_NE(timed_out.status().message().find("engine step 1 (1 sequences, 20 tokens) did not finish"),
            std::string::npos)
      << timed_out.status().message();
  EXPECT_TRUE(group.failed_permanently());
}

}  // namespace
}  // namespace fovea::engine
