// The built `fovea plan` binary: --json on the fixture configs (exit 0 when it fits, 3 when not), the table, and a
// one-line error naming the closest GPUs for an unknown --gpu.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "cli_test_util.h"

namespace {

using fovea::plan::testing::RunResult;

RunResult run_fovea(const std::string& arguments) { return fovea::plan::testing::run_fovea("plan " + arguments); }

std::string fixture(const std::string& name) { return fovea::plan::testing::plan_fixture(name); }

TEST(PlanCli, Fp8On2x4090DoesNotFitAsJson) {
  RunResult run = run_fovea(fixture("qwen3-vl-32b-instruct-fp8") +
                            " --gpu 4090 --tensor-parallel-size 2 --max-model-len 131072 --kv-cache-dtype fp8 "
                            "--gpu-memory-utilization 0.9 --limit-mm-per-prompt '{\"image\": 3, \"video\": 0}' --json");
  EXPECT_EQ(run.exit_code, 3) << run.output;
  const nlohmann::json plan = nlohmann::json::parse(run.output);
  EXPECT_FALSE(plan.at("fits").get<bool>());
  ASSERT_EQ(plan.at("per_gpu").size(), 2u);
  for (const nlohmann::json& gpu : plan.at("per_gpu")) {
    EXPECT_GT(gpu.at("weights_bytes").get<uint64_t>(), uint64_t{16} << 30);
    EXPECT_TRUE(gpu.at("kv_cache_bytes").is_number_unsigned());
    EXPECT_LT(gpu.at("kv_cache_tokens").get<int64_t>(), 131072);
    EXPECT_TRUE(gpu.at("weights").contains("decoder_layers"));
  }
  EXPECT_TRUE(plan.at("max_concurrency").is_number());
  ASSERT_FALSE(plan.at("suggestions").empty());
  for (const nlohmann::json& suggestion : plan.at("suggestions")) {
    EXPECT_FALSE(suggestion.at("message").get<std::string>().empty());
    EXPECT_TRUE(suggestion.contains("kv_cache_tokens"));
  }
}

TEST(PlanCli, AwqConfigAloneWithGpuMemory) {
  RunResult run = run_fovea("--model-config " + fixture("qwen3-32b-awq/config.json") +
                            " --gpu-memory 80GiB --max-model-len 32K --json");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  const nlohmann::json plan = nlohmann::json::parse(run.output);
  EXPECT_TRUE(plan.at("fits").get<bool>());
  EXPECT_EQ(plan.at("settings").at("max_model_len").get<int64_t>(), 32768);
  EXPECT_EQ(plan.at("per_gpu").size(), 1u);
  EXPECT_TRUE(plan.at("images").is_null());
}

TEST(PlanCli, TableNamesTheVerdict) {
  RunResult run = run_fovea(fixture("qwen3-vl-32b-instruct") +
                            " --gpu h200 --max-model-len 32768 "
                            "--limit-mm-per-prompt '{\"image\": 1, \"video\": 0}'");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("verdict   fits"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("Maximum concurrency for 32768 tokens per request"), std::string::npos);
}

TEST(PlanCli, UnknownGpuIsOneLineWithTheClosestNames) {
  RunResult run = run_fovea(fixture("qwen3-vl-32b-instruct") + " --gpu rtx4080");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.output.rfind("fovea: error: ", 0), 0u) << run.output;
  EXPECT_NE(run.output.find("RTX 4090"), std::string::npos) << run.output;
  EXPECT_EQ(run.output.find('\n'), run.output.size() - 1) << run.output;
}

TEST(PlanCli, ContradictingQuantizationIsAnError) {
  RunResult run =
      run_fovea(fixture("qwen3-vl-32b-instruct-fp8") + " --gpu 4090 --tensor-parallel-size 2 --quantization awq");
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("quantized with fp8"), std::string::npos) << run.output;
}

}  // namespace
