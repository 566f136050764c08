// The engine step watchdog on CPU ranks joined by thread communicators: a rank blocked in a collective makes the
// run fail within the limit plus a little, naming the rank, with the communicators aborted; a slow step under the
// limit is untouched; a rank that ignores the abort is reported as stuck; the limit's sources (config, FOVEA_ and
// VLLM_ variables, default); and a whole Engine at TP=2 whose rank hangs fails the request, turns engine_dead and
// refuses later requests. Must not contain model numerics.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "backend/communicator.h"
#include "backend/cpu/cpu_backend.h"
#include "engine/runtime/engine.h"
#include "engine/runtime/rank_threads.h"
#include "engine/runtime/step_timeout.h"
#include "tp_test_util.h"

namespace fovea::engine {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Two CPU ranks with thread communicators, as the engine builds them at --device cpu --tensor-parallel-size 2.
struct TwoRanks {
  std::vector<std::unique_ptr<backend::Backend>> backends;
  std::vector<std::unique_ptr<backend::Communicator>> communicators;

  TwoRanks() {
    std::vector<backend::Backend*> pointers;
    for (int rank_idx = 0; rank_idx < 2; ++rank_idx) {
      backend::cpu::CpuBackendOptions options;
      options.num_threads = 1;
      backends.push_back(std::make_unique<backend::cpu::CpuBackend>(options));
      pointers.push_back(backends.back().get());
    }
    base::Result<std::vector<std::unique_ptr<backend::Communicator>>> created = backend::create_communicators(pointers);
    EXPECT_TRUE(created.ok()) << created.status().message();
    if (created.ok()) communicators = std::move(*created);
  }

  void abort_all() {
    for (const auto& comm : communicators) comm->abort();
  }

  // One barrier on rank_idx's communicator: returns when both ranks reached it, or with an error once aborted.
  base::Status barrier(int rank_idx) {
    backend::Backend& rank_backend = *backends[static_cast<size_t>(rank_idx)];
    return communicators[static_cast<size_t>(rank_idx)]->barrier(rank_backend.default_stream());
  }
};

TEST(StepWatchdogTest, ARankBlockedInACollectiveFailsTheStepAndNamesIt) {
  TwoRanks ranks;
  ASSERT_EQ(ranks.communicators.size(), 2u);
  RankThreads threads(2);
  std::atomic<int> num_aborts{0};
  threads.set_on_failure([&] {
    ++num_aborts;
    ranks.abort_all();
  });
  StepWatchdog watchdog;
  watchdog.limit = milliseconds(500);
  threads.set_step_watchdog(std::move(watchdog));

  // Both ranks meet once; then rank 1 enters a second barrier that rank 0 never joins: it waits until aborted.
  const Clock::time_point start = Clock::now();
  const base::Status status = threads.run(
      [&](int rank_idx) -> base::Status {
        FOVEA_RETURN_IF_ERROR(ranks.barrier(rank_idx));
        return rank_idx == 1 ? ranks.barrier(rank_idx) : base::Status();
      },
      [] { return std::string("engine step 7 (1 sequences, 3 tokens)"); });
  const double elapsed_s = seconds_since(start);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), base::StatusCode::kUnavailable);
  EXPECT_GE(elapsed_s, 0.45);
  EXPECT_LT(elapsed_s, 2.0);
  EXPECT_TRUE(contains(status.message(), "engine step 7")) << status.message();
  EXPECT_TRUE(contains(status.message(), "rank(s) 1 had not returned")) << status.message();
  EXPECT_TRUE(contains(status.message(), "0.5 s")) << status.message();
  EXPECT_GE(num_aborts.load(), 1);
  // The threads still run (the communicators stay aborted, as the engine is dead).
  ASSERT_EQ(threads.num_ranks(), 2);
  testing::expect_every_rank_runs(threads);
}

// Steps of 250 ms under a 600 ms limit, 1.5 s in all: the watchdog wakes at the first step's deadline during a later
// step and re-arms for that one, and no step is timed out.
TEST(StepWatchdogTest, SlowStepsUnderTheLimitAreUntouched) {
  TwoRanks ranks;
  ASSERT_EQ(ranks.communicators.size(), 2u);
  RankThreads threads(2);
  std::atomic<int> num_aborts{0};
  threads.set_on_failure([&] { ++num_aborts; });
  StepWatchdog watchdog;
  watchdog.limit = milliseconds(600);
  threads.set_step_watchdog(std::move(watchdog));
  for (int step_idx = 0; step_idx < 6; ++step_idx) {
    const base::Status status = threads.run([&](int rank_idx) -> base::Status {
      if (rank_idx == 1) std::this_thread::sleep_for(milliseconds(250));
      return ranks.barrier(rank_idx);
    });
    EXPECT_TRUE(status.ok()) << status.message();
  }
  EXPECT_EQ(num_aborts.load(), 0);
}

TEST(StepWatchdogTest, ARankThatIgnoresTheAbortIsReportedStuck) {
  RankThreads threads(2);
  std::atomic<int> num_aborts{0};
  threads.set_on_failure([&] { ++num_aborts; });
  std::atomic<bool> stuck_called{false};
  std::string stuck_message;
  StepWatchdog watchdog;
  watchdog.limit = milliseconds(200);
  watchdog.grace = milliseconds(200);
  watchdog.on_stuck = [&](const std::string& message) {
    stuck_message = message;
    stuck_called = true;
  };
  threads.set_step_watchdog(std::move(watchdog));
  const base::Status status = threads.run([&](int rank_idx) -> base::Status {
    if (rank_idx == 1) std::this_thread::sleep_for(milliseconds(1200));
    return base::Status();
  });
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(contains(status.message(), "rank(s) 1 had not returned")) << status.message();
  ASSERT_TRUE(stuck_called.load());
  EXPECT_TRUE(contains(stuck_message, "rank(s) 1 still had not returned")) << stuck_message;
  EXPECT_EQ(num_aborts.load(), 1);
}

TEST(StepTimeoutTest, ConfigThenFoveaThenVllmThenSixtySeconds) {
  EXPECT_EQ(*step_timeout(std::nullopt, nullptr, nullptr), milliseconds(60000));
  EXPECT_EQ(*step_timeout(std::nullopt, nullptr, "12"), milliseconds(12000));
  EXPECT_EQ(*step_timeout(std::nullopt, "0.5", "12"), milliseconds(500));
  EXPECT_EQ(*step_timeout(2.0, "0.5", "12"), milliseconds(2000));
  EXPECT_EQ(*step_timeout(std::nullopt, "0", nullptr), std::nullopt);
  EXPECT_EQ(*step_timeout(std::nullopt, nullptr, "-1"), std::nullopt);
  EXPECT_EQ(*step_timeout(0.0, nullptr, nullptr), std::nullopt);
  const auto bad = step_timeout(std::nullopt, "1m", nullptr);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(contains(bad.status().message(), "FOVEA_ENGINE_ITERATION_TIMEOUT_S='1m'")) << bad.status().message();
  const auto bad_vllm = step_timeout(std::nullopt, nullptr, "");
  ASSERT_FALSE(bad_vllm.ok());
  EXPECT_TRUE(contains(bad_vllm.status().message(), "VLLM_ENGINE_ITERATION_TIMEOUT_S")) << bad_vllm.status().message();
}

GenerateRequest ids_request(const std::string& request_id, int64_t max_tokens) {
  GenerateRequest request;
  request.request_id = request_id;
  request.prompt.token_ids = std::vector<int32_t>{11, 42, 7, 99, 5};
  request.sampling.max_tokens = max_tokens;
  request.sampling.temperature = 0.0;
  request.sampling.ignore_eos = true;
  return request;
}

// The request's last update, or nullopt if none came within `timeout`.
std::optional<RequestUpdate> last_update(RequestStream& stream, std::chrono::seconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    std::optional<RequestUpdate> update = stream.next(milliseconds(50));
    if (update && update->finished) return update;
  }
  return std::nullopt;
}

TEST(StepWatchdogTest, AnEngineWhoseRankHangsFailsTheRequestAndIsDead) {
  EngineConfig config;
  config.model_dir = std::string(FOVEA_SOURCE_DIR) + "/tests/golden/model/data/checkpoints/qwen3-tiny";
  config.device = "cpu";
  config.tensor_parallel_size = 2;
  config.dtype = "float32";
  config.max_model_len = 64;
  config.max_num_seqs = 2;
  config.max_num_batched_tokens = 64;
  config.num_threads = 2;
  config.step_timeout_s = 0.5;
  // Once `hang` is set, rank 1 waits at the start of each step until its communicator is aborted (as a rank whose
  // GPU stopped answering), while rank 0 runs into the step's first all-reduce and waits for it there.
  std::atomic<bool> hang{false};
  config.rank_step_hook = [&hang](int rank_idx, backend::Communicator& comm) {
    if (rank_idx != 1 || !hang.load()) return;
    const Clock::time_point give_up = Clock::now() + std::chrono::seconds(20);
    while (comm.health().ok() && Clock::now() < give_up) std::this_thread::sleep_for(milliseconds(2));
  };
  auto started = Engine::start(config);
  ASSERT_TRUE(started.ok()) << started.status().message();
  std::unique_ptr<Engine> engine = std::move(*started);

  // Healthy steps first: the watchdog leaves them alone.
  auto healthy = engine->submit(ids_request("healthy", 4));
  ASSERT_TRUE(healthy.ok()) << healthy.status().message();
  std::optional<RequestUpdate> healthy_end = last_update(**healthy, std::chrono::seconds(30));
  ASSERT_TRUE(healthy_end.has_value());
  EXPECT_FALSE(healthy_end->error_message.has_value()) << *healthy_end->error_message;
  EXPECT_FALSE(engine->stats().engine_dead);

  hang = true;
  const Clock::time_point start = Clock::now();
  auto hung = engine->submit(ids_request("hung", 4));
  ASSERT_TRUE(hung.ok()) << hung.status().message();
  std::optional<RequestUpdate> hung_end = last_update(**hung, std::chrono::seconds(10));
  const double elapsed_s = seconds_since(start);
  ASSERT_TRUE(hung_end.has_value()) << "the hung request never finished";
  ASSERT_TRUE(hung_end->error_message.has_value());
  EXPECT_TRUE(contains(*hung_end->error_message, "restart the server")) << *hung_end->error_message;
  EXPECT_LT(elapsed_s, 2.5);

  // engine_dead is published right after the failed step.
  const Clock::time_point dead_deadline = Clock::now() + std::chrono::seconds(5);
  while (!engine->stats().engine_dead && Clock::now() < dead_deadline) std::this_thread::sleep_for(milliseconds(5));
  EXPECT_TRUE(engine->stats().engine_dead);
  auto refused = engine->submit(ids_request("after", 4));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), base::StatusCode::kUnavailable);
  EXPECT_TRUE(contains(refused.status().message(), "restart the server")) << refused.status().message();
  const Clock::time_point stop = Clock::now();
  engine->shutdown(milliseconds(1000));
  EXPECT_LT(seconds_since(stop), 3.0);
}

}  // namespace
}  // namespace fovea::engine
