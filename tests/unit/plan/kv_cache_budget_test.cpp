// plan_kv_cache, the server's start-up sizing: budget = total x utilization less what the reading shows in use and
// what is reserved; whole blocks; vLLM's refusal when one max-model-len request does not fit, auto-fit, the
// overrides; and that compute_memory_plan's KV cache is exactly plan_kv_cache of the reading its estimates imply.
#include "plan/kv_cache_budget.h"

#include <gtest/gtest.h>

#include "plan_test_util.h"

namespace fovea::plan {
namespace {

constexpr uint64_t kGiB = uint64_t{1} << 30;

// Qwen3-VL-32B at tp 2 with an FP8 cache: 64 KiB a token, 1 MiB a block of 16 (from the fixture's config).
KvCacheShape qwen3_vl_32b_tp2_fp8() {
  base::Result<KvCacheShape> shape = kv_cache_shape(testing::load_config(testing::kFp8).text_config, 1, 2);
  EXPECT_TRUE(shape.ok());
  return shape.ok() ? *shape : KvCacheShape{};
}

TEST(KvCacheBudget, BudgetLessUsedLessReservedInWholeBlocks) {
  KvCacheRequest request;
  request.shape = qwen3_vl_32b_tp2_fp8();
  ASSERT_EQ(request.shape.bytes_per_block(), uint64_t{1} << 20);
  request.gpu_memory_utilization = 0.9;
  request.max_model_len = 131072;
  request.reserved_bytes = 100 << 20;
  GpuMemoryReading reading{24 * kGiB, 12 * kGiB + (5 << 19)};  // 12 GiB + 2.5 MiB in use
  const KvCacheBudget budget = plan_kv_cache(reading, request);
  EXPECT_EQ(budget.budget_bytes, static_cast<uint64_t>(24.0 * 0.9 * static_cast<double>(kGiB)));
  EXPECT_EQ(budget.used_bytes, 12 * kGiB - (5 << 19));
  EXPECT_EQ(budget.available_bytes, budget.budget_bytes - budget.used_bytes - request.reserved_bytes);
  EXPECT_EQ(budget.capacity.num_blocks, static_cast<int64_t>(budget.available_bytes >> 20));
  EXPECT_EQ(budget.capacity.num_tokens, budget.capacity.num_blocks * 16);
  EXPECT_TRUE(budget.fits()) << budget.message;
  EXPECT_DOUBLE_EQ(budget.max_concurrency, static_cast<double>(budget.capacity.num_blocks) / 8192.0);
}

TEST(KvCacheBudget, RefusesWhenOneRequestDoesNotFitAndSaysTheLongestThatDoes) {
  KvCacheRequest request;
  request.shape = qwen3_vl_32b_tp2_fp8();
  request.gpu_memory_utilization = 0.9;
  request.max_model_len = 131072;
  GpuMemoryReading reading{24 * kGiB, 24 * kGiB - 20 * kGiB};  // 20 GiB used: 1.6 GiB left, 1638 blocks
  const KvCacheBudget budget = plan_kv_cache(reading, request);
  EXPECT_EQ(budget.problem, KvCacheProblem::kBelowMaxModelLen);
  EXPECT_EQ(budget.capacity.num_tokens, 1638 * 16);
  EXPECT_NE(budget.message.find("--max-model-len 26208 or less"), std::string::npos) << budget.message;
  EXPECT_EQ(budget.message.find('\n'), std::string::npos);

  request.max_model_len_auto_fit = true;
  const KvCacheBudget auto_fit = plan_kv_cache(reading, request);
  EXPECT_TRUE(auto_fit.fits()) << auto_fit.message;
  EXPECT_EQ(auto_fit.max_model_len, 26208);
  EXPECT_DOUBLE_EQ(auto_fit.max_concurrency, 1.0);
}

TEST(KvCacheBudget, NoMemoryLeftIsAProblemEvenUnderAutoFit) {
  KvCacheRequest request;
  request.shape = qwen3_vl_32b_tp2_fp8();
  request.max_model_len = 4096;
  request.max_model_len_auto_fit = true;
  request.reserved_bytes = kGiB;
  GpuMemoryReading reading{24 * kGiB, 3 * kGiB};  // 21 GiB used of a 21.6 GiB budget, 1 GiB still to come
  const KvCacheBudget budget = plan_kv_cache(reading, request);
  EXPECT_EQ(budget.problem, KvCacheProblem::kNoMemoryLeft);
  EXPECT_EQ(budget.capacity.num_blocks, 0);
  EXPECT_NE(budget.message.find("--gpu-memory-utilization"), std::string::npos) << budget.message;
  // A reading whose free exceeds its total (a bad measurement) counts as nothing in use.
  const KvCacheBudget odd = plan_kv_cache({kGiB, 2 * kGiB}, request);
  EXPECT_EQ(odd.used_bytes, 0u);
}

TEST(KvCacheBudget, OverridesReplaceTheFractionButMustBeFree) {
  KvCacheRequest request;
  request.shape = qwen3_vl_32b_tp2_fp8();
  request.max_model_len = 8192;
  GpuMemoryReading reading{24 * kGiB, 10 * kGiB};
  request.kv_cache_memory_bytes = 4 * kGiB + 12345;
  KvCacheBudget by_bytes = plan_kv_cache(reading, request);
  EXPECT_TRUE(by_bytes.fits()) << by_bytes.message;
  EXPECT_EQ(by_bytes.capacity.num_blocks, 4096);
  request.num_gpu_blocks_override = 100;  // takes precedence, as in vLLM
  KvCacheBudget by_blocks = plan_kv_cache(reading, request);
  EXPECT_EQ(by_blocks.capacity.num_blocks, 100);
  EXPECT_EQ(by_blocks.problem, KvCacheProblem::kBelowMaxModelLen);  // 1600 tokens < 8192
  request.num_gpu_blocks_override.reset();
  request.kv_cache_memory_bytes = 11 * kGiB;
  KvCacheBudget too_large = plan_kv_cache(reading, request);
  EXPECT_EQ(too_large.problem, KvCacheProblem::kOverrideExceedsFreeMemory);
  EXPECT_NE(too_large.message.find("--kv-cache-memory-bytes"), std::string::npos) << too_large.message;
}

// One implementation: the planner's KV cache is plan_kv_cache of total - (weights + workspace + overheads other than
// the CUDA graphs), with the graphs reserved.
TEST(KvCacheBudget, PlannerUsesTheSameSizing) {
  for (const char* name : {testing::kFp8, testing::kW4a16}) {
    PlanInputs inputs = testing::two_4090s(name);
    inputs.options.max_pixels = 1536 * 1536;
    base::Result<MemoryPlan> plan = compute_memory_plan(inputs);
    ASSERT_TRUE(plan.ok()) << plan.status().message();
    const GpuMemoryPlan& gpu = plan->per_gpu.front();
    GpuMemoryReading reading;
    reading.total_bytes = gpu.total_bytes;
    reading.free_bytes =
        gpu.total_bytes - (gpu.weights_bytes + gpu.workspace_bytes + gpu.overhead.total() - gpu.overhead.cuda_graphs);
    KvCacheRequest request;
    request.shape = plan->kv_shape;
    request.gpu_memory_utilization = 0.9;
    request.max_model_len = 131072;
    request.reserved_bytes = gpu.overhead.cuda_graphs;
    const KvCacheBudget budget = plan_kv_cache(reading, request);
    EXPECT_EQ(budget.capacity.num_blocks, gpu.kv_cache.num_blocks) << name;
    EXPECT_EQ(budget.capacity.num_bytes, gpu.kv_cache.num_bytes) << name;
    EXPECT_EQ(budget.fits(), plan->fits) << name;
    EXPECT_DOUBLE_EQ(budget.max_concurrency, plan->max_concurrency) << name;
  }
}

TEST(KvCacheBudget, PlannerAutoFitShortensMaxModelLen) {
  PlanInputs inputs = testing::two_4090s(testing::kFp8);
  inputs.options.max_pixels = 1536 * 1536;
  inputs.options.max_model_len.reset();
  inputs.options.max_model_len_auto_fit = true;
  base::Result<MemoryPlan> plan = compute_memory_plan(inputs);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_TRUE(plan->fits) << plan->verdict;
  EXPECT_EQ(plan->max_model_len, plan->per_gpu.front().kv_cache.num_tokens);
  EXPECT_LT(plan->max_model_len, 131072);
}

}  // namespace
}  // namespace fovea::plan
