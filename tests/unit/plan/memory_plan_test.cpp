// The memory plan: the user story's 2 x RTX 4090 cases (FP8 Qwen3-VL-32B does not fit at 131072 tokens with an FP8
// KV cache; the 4-bit one fits with 7-11 GiB of KV cache per GPU), workspace rules, suggestions, JSON keys, and the
// peer-to-peer all-reduce's buffers (on, off, tp = 1).
#include "plan/memory_plan.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "io/tensor_parallel_layout.h"
#include "io/vision_step_budget.h"
#include "plan/plan_report.h"
#include "plan/plan_suggestions.h"
#include "plan_test_util.h"

namespace fovea::plan {
namespace {

using testing::gib;
using testing::two_4090s;

const Suggestion* find_suggestion(const MemoryPlan& plan, const std::string& kind) {
  for (const Suggestion& suggestion : plan.suggestions) {
    if (suggestion.kind == kind) return &suggestion;
  }
  return nullptr;
}

MemoryPlan plan_of(const PlanInputs& inputs) {
  base::Result<MemoryPlan> plan = plan_memory(inputs);
  EXPECT_TRUE(plan.ok()) << plan.status().message();
  return plan.ok() ? std::move(plan).value() : MemoryPlan{};
}

// The image ceiling of profiles/medium-vl.yaml: 1536 x 1536 pixels (2304 tokens an image).
constexpr int64_t kProfileMaxPixels = 1536 * 1536;

TEST(MemoryPlan, Fp8On2x4090DoesNotFitAndSaysWhatWould) {
  PlanInputs inputs = two_4090s(testing::kFp8);
  inputs.options.max_pixels = kProfileMaxPixels;
  const MemoryPlan plan = plan_of(inputs);
  ASSERT_EQ(plan.per_gpu.size(), 2u);
  EXPECT_FALSE(plan.fits);
  EXPECT_EQ(plan.problem, FitProblem::kKvCacheBelowMaxModelLen) << plan.verdict;
  const GpuMemoryPlan& gpu = plan.per_gpu[0];
  EXPECT_GT(gpu.kv_cache.num_tokens, 0);
  EXPECT_LT(gpu.kv_cache.num_tokens, 131072);
  EXPECT_NE(plan.verdict.find(std::to_string(gpu.kv_cache.num_tokens)), std::string::npos) << plan.verdict;

  const Suggestion* shorter = find_suggestion(plan, "max_model_len");
  ASSERT_NE(shorter, nullptr);
  EXPECT_TRUE(shorter->fits);
  EXPECT_GE(shorter->kv_cache_tokens, gpu.kv_cache.num_tokens);
  const Suggestion* four_bit = find_suggestion(plan, "weight_format");
  ASSERT_NE(four_bit, nullptr);
  EXPECT_TRUE(four_bit->fits);
  EXPECT_GT(gib(four_bit->saved_bytes_per_gpu), 6.0);
  const Suggestion* more_gpus = find_suggestion(plan, "tensor_parallel_size");
  ASSERT_NE(more_gpus, nullptr);
  EXPECT_TRUE(more_gpus->fits);
  EXPECT_EQ(find_suggestion(plan, "kv_cache_dtype"), nullptr);  // already FP8
}

TEST(MemoryPlan, FourBitOn2x4090FitsWithSevenToElevenGibOfKvCache) {
  PlanInputs inputs = two_4090s(testing::kW4a16);
  inputs.options.max_pixels = kProfileMaxPixels;
  const MemoryPlan plan = plan_of(inputs);
  ASSERT_EQ(plan.per_gpu.size(), 2u);
  EXPECT_TRUE(plan.fits) << plan.verdict;
  const double kv_gib = gib(plan.per_gpu[0].kv_cache.num_bytes);
  EXPECT_GE(kv_gib, 7.0);
  EXPECT_LE(kv_gib, 11.0);
  EXPECT_GE(plan.per_gpu[0].kv_cache.num_tokens, 131072);
  EXPECT_GE(plan.max_concurrency, 1.0);
  EXPECT_TRUE(plan.suggestions.empty());
}

// profiles/medium-vl.yaml, read as the server would read its vLLM keys, on the 4-bit fixture and two RTX 4090s.
TEST(MemoryPlan, MediumVlProfileFits) {
  const YAML::Node profile = YAML::LoadFile(std::string(FOVEA_SOURCE_DIR) + "/profiles/medium-vl.yaml");
  PlanInputs inputs = testing::inputs_for(testing::kW4a16, "4090");
  PlanOptions& options = inputs.options;
  options.tensor_parallel_size = profile["tensor-parallel-size"].as<int64_t>();
  options.max_model_len = profile["max-model-len"].as<int64_t>();
  options.gpu_memory_utilization = profile["gpu-memory-utilization"].as<double>();
  options.kv_cache_dtype = *parse_kv_cache_dtype(profile["kv-cache-dtype"].as<std::string>());
  options.max_images_per_prompt = profile["limit-mm-per-prompt"]["image"].as<int64_t>();
  options.max_videos_per_prompt = profile["limit-mm-per-prompt"]["video"].as<int64_t>();
  options.max_pixels = profile["mm-processor-kwargs"]["max_pixels"].as<int64_t>();
  options.mm_encoder_tp_mode = *parse_encoder_tp_mode(profile["mm-encoder-tp-mode"].as<std::string>());
  EXPECT_EQ(options.max_pixels, kProfileMaxPixels);
  const MemoryPlan plan = plan_of(inputs);
  EXPECT_TRUE(plan.fits) << plan.verdict;
  EXPECT_EQ(plan.max_model_len, 131072);
  EXPECT_EQ(plan.tensor_parallel_size, 2);
  const double kv_gib = gib(plan.per_gpu[0].kv_cache.num_bytes);
  EXPECT_GE(kv_gib, 7.0);
  EXPECT_LE(kv_gib, 11.0);
}

TEST(MemoryPlan, WeightsMatchTheLibrariesTensorsWithinOnePercent) {
  for (const char* name : {testing::kFp8, testing::kW4a16}) {
    const MemoryPlan plan = plan_of(two_4090s(name));
    const nlohmann::json sums = testing::tensor_sums(name);
    for (int component_idx = 0; component_idx < io::kNumModelComponents; ++component_idx) {
      const auto component = static_cast<io::ModelComponent>(component_idx);
      const double want = sums.at("components").at(std::string(io::component_name(component))).at("bytes");
      EXPECT_LE(std::abs(static_cast<double>(plan.checkpoint_bytes[component]) - want), 0.01 * want)
          << name << " " << io::component_name(component);
    }
    // Two GPUs hold the checkpoint once, plus what both replicate (norms, vision embeddings, row-parallel biases).
    const double per_gpu_sum = 2.0 * static_cast<double>(plan.per_gpu[0].weights_bytes);
    const double total = sums.at("total").at("bytes").get<double>();
    EXPECT_GE(per_gpu_sum, total * 0.999) << name;
    EXPECT_LE(per_gpu_sum, total * 1.01) << name;
  }
}

TEST(MemoryPlan, CheckpointImageCeilingIsResizedToOneEncoderStep) {
  // The checkpoint's own ceiling (16777216 pixels) is above what one encoder step holds: the server resizes such
  // images down to 16384 patches, so the plan counts one step's workspace and the encoder cache, and says so.
  const MemoryPlan plan = plan_of(two_4090s(testing::kW4a16));
  EXPECT_EQ(plan.vision_workload.max_pixels, io::kMaxVisionPatchesPerStep * 16 * 16);
  EXPECT_EQ(plan.vision_workload.num_tokens, 3 * 4096);
  EXPECT_EQ(plan.per_gpu[0].vision.num_patches, io::kMaxVisionPatchesPerStep);
  EXPECT_TRUE(plan.fits) << plan.verdict;
  EXPECT_GE(gib(plan.per_gpu[0].kv_cache.num_bytes), 7.0);
  EXPECT_LE(gib(plan.per_gpu[0].kv_cache.num_bytes), 11.0);
  bool noted = false;
  for (const std::string& note : plan.notes) noted = noted || note.find("resized") != std::string::npos;
  EXPECT_TRUE(noted);
}

TEST(MemoryPlan, DecoderWorkspaceGrowsWithTheStep) {
  const io::ModelConfig config = testing::load_config(testing::kBf16);
  DecoderWorkspace small = decoder_workspace(config, 2, 2, 1024, 64);
  DecoderWorkspace large = decoder_workspace(config, 2, 2, 2048, 64);
  EXPECT_EQ(large.activations, 2 * small.activations);
  EXPECT_EQ(large.sampler, small.sampler);
  DecoderWorkspace more_rows = decoder_workspace(config, 2, 2, 2048, 128);
  EXPECT_EQ(more_rows.sampler, 2 * large.sampler);
  // The sampler's fp32 probabilities and sort keys/indices: 12 bytes per vocabulary entry per row.
  EXPECT_EQ(large.sampler, 64u * 151936u * 12u);
}

TEST(MemoryPlan, ImagesAreBoundedByTheLimitAndTheContext) {
  const io::VisionConfig vision = *testing::load_config(testing::kBf16).vision_config;
  // Qwen3-VL's own ceiling (16777216 pixels) is resized down to one encoder step: 16384 patches, 4096 tokens.
  VisionWorkload three = vision_workload(vision, 16777216, 3, 131072);
  EXPECT_EQ(three.max_pixels, io::kMaxVisionPatchesPerStep * 16 * 16);
  EXPECT_EQ(three.max_tokens_per_image, 4096);
  EXPECT_EQ(three.num_tokens, 3 * 4096);
  EXPECT_EQ(three.num_patches, 4 * 3 * 4096);
  VisionWorkload small = vision_workload(vision, 1003520, 3, 131072);
  EXPECT_EQ(small.max_tokens_per_image, 1003520 / (32 * 32));
  VisionWorkload unlimited = vision_workload(vision, 16777216, 999, 40000);
  EXPECT_EQ(unlimited.num_tokens, 40000);
  EXPECT_EQ(vision_workload(vision, 16777216, 0, 131072).num_patches, 0);
}

TEST(MemoryPlan, VisionWorkspaceIsTheEnginesStepAndEncoderCache) {
  const io::VisionConfig vision = *testing::load_config(testing::kBf16).vision_config;
  const VisionWorkload three = vision_workload(vision, 16777216, 3, 131072);
  const io::VisionStepBudget budget = io::vision_step_budget(vision, 8192);
  VisionWorkspace sharded = vision_workspace(vision, 2, 2, EncoderTpMode::kWeights, three, 8192);
  VisionWorkspace data = vision_workspace(vision, 2, 2, EncoderTpMode::kData, three, 8192);
  EXPECT_EQ(sharded.num_patches, budget.max_patches_per_step);
  EXPECT_EQ(data.num_patches, budget.max_patches_per_step);
  EXPECT_LT(sharded.transient, data.transient);  // weights mode holds a 1/tp slice of the widest buffers
  // The encoder cache: twice the larger of a step's prompt tokens and one encoder step's tokens, each with its
  // embedding and three DeepStack rows of out_hidden_size (5120) in bf16.
  EXPECT_EQ(budget.encoder_cache_tokens, 2 * 8192);
  EXPECT_EQ(sharded.encoder_output, data.encoder_output);
  EXPECT_EQ(sharded.encoder_output, 2u * 8192u * 5120u * 4u * 2u);
  EXPECT_EQ(io::vision_step_budget(vision, 1024).encoder_cache_tokens, 2 * 4096);
}

TEST(MemoryPlan, TextModelHasNoVisionWorkspace) {
  PlanInputs inputs = testing::inputs_for(testing::kAwq, "h100");
  const MemoryPlan plan = plan_of(inputs);
  EXPECT_TRUE(plan.fits) << plan.verdict;
  EXPECT_EQ(plan.per_gpu[0].vision.transient, 0u);
  EXPECT_EQ(plan.max_model_len, 40960);
  EXPECT_TRUE(plan.defaults_for_large_gpus);
  EXPECT_EQ(plan.max_num_batched_tokens, 8192);
  EXPECT_EQ(plan.kv_shape.element_bytes, 2);  // auto: the checkpoint's float16
}

TEST(MemoryPlan, WeightsAloneTooLarge) {
  PlanInputs inputs = testing::inputs_for(testing::kBf16, "4090");
  inputs.options.max_model_len = 8192;
  const MemoryPlan plan = plan_of(inputs);
  EXPECT_FALSE(plan.fits);
  EXPECT_EQ(plan.problem, FitProblem::kWeightsExceedBudget);
  EXPECT_NE(plan.verdict.find("weights alone"), std::string::npos);
  EXPECT_NE(find_suggestion(plan, "tensor_parallel_size"), nullptr);
  EXPECT_NE(find_suggestion(plan, "weight_format"), nullptr);
  EXPECT_EQ(find_suggestion(plan, "max_model_len"), nullptr);
}

TEST(MemoryPlan, RefusesTheTensorParallelSizesTheLoaderRefuses) {
  PlanInputs inputs = testing::inputs_for(testing::kBf16, "4090");
  inputs.options.tensor_parallel_size = 2;
  inputs.config.text_config.intermediate_size += 1;  // an MLP width that two ranks cannot split
  base::Result<MemoryPlan> plan = plan_memory(inputs);
  ASSERT_FALSE(plan.ok());
  base::Result<io::TensorParallelLayout> layout = io::TensorParallelLayout::create(inputs.config, 2);
  ASSERT_FALSE(layout.ok());
  EXPECT_EQ(plan.status().message(), layout.status().message());
  EXPECT_NE(plan.status().message().find("intermediate_size"), std::string::npos) << plan.status().message();
}

TEST(MemoryPlan, UtilizationSuggestionIsTheSmallestThatFits) {
  PlanInputs inputs = two_4090s(testing::kW4a16);
  inputs.options.max_pixels = kProfileMaxPixels;
  inputs.options.gpu_memory_utilization = 0.8;
  const MemoryPlan plan = plan_of(inputs);
  if (plan.fits) GTEST_SKIP() << "fits at 0.8 already";
  const Suggestion* utilization = find_suggestion(plan, "gpu_memory_utilization");
  ASSERT_NE(utilization, nullptr);
  EXPECT_TRUE(utilization->fits);
  const double value = std::stod(utilization->flags.front().second);
  PlanInputs lower = inputs;
  lower.options.gpu_memory_utilization = value - 0.01;
  EXPECT_FALSE(compute_memory_plan(lower)->fits);
}

TEST(MemoryPlan, JsonHasTheDocumentedKeys) {
  const MemoryPlan plan = plan_of(two_4090s(testing::kFp8));
  const nlohmann::json json = nlohmann::json::parse(plan_to_json(plan));
  EXPECT_TRUE(json.at("fits").is_boolean());
  EXPECT_TRUE(json.at("max_concurrency").is_number());
  ASSERT_EQ(json.at("per_gpu").size(), 2u);
  for (const char* key : {"weights_bytes", "kv_cache_bytes", "kv_cache_tokens", "weights", "workspace", "overhead",
                          "budget_bytes", "workspace_bytes", "overhead_bytes"}) {
    EXPECT_TRUE(json.at("per_gpu")[0].contains(key)) << key;
  }
  EXPECT_EQ(json.at("per_gpu")[0].at("weights_bytes").get<uint64_t>(), plan.per_gpu[0].weights_bytes);
  ASSERT_FALSE(json.at("suggestions").empty());
  for (const char* key : {"kind", "message", "flags", "fits", "kv_cache_tokens", "max_concurrency"}) {
    EXPECT_TRUE(json.at("suggestions")[0].contains(key)) << key;
  }
  EXPECT_EQ(json.at("kv_cache").at("bytes_per_token_per_gpu").get<uint64_t>(), 64u * 1024u);
  EXPECT_FALSE(plan_to_table(plan).empty());
}

// The peer-to-peer all-reduce's staging and flags (PeerAllReduce::create) count once per GPU at tp > 1 unless
// --disable-custom-all-reduce, and only where the server would set it up: cards with peer access (not GeForce RTX
// 4090 pairs, whose driver refuses it), more than two GPUs only over NVLink.
TEST(RuntimeOverhead, PeerAllReduceBuffersAtTensorParallelUnlessDisabled) {
  const GpuSpec pcie = *find_gpu("a6000");
  const GpuSpec geforce = *find_gpu("4090");
  const GpuSpec nvlink = *find_gpu("h100");
  ASSERT_FALSE(pcie.nvlink);
  ASSERT_TRUE(pcie.peer_access);
  ASSERT_FALSE(geforce.peer_access);
  ASSERT_TRUE(nvlink.nvlink);
  const auto peer_bytes = [](const GpuSpec& gpu, int64_t tp, bool disabled) {
    return runtime_overhead(gpu, tp, 64, /*enforce_eager=*/false, disabled).peer_all_reduce;
  };
  EXPECT_EQ(peer_bytes(pcie, 2, false), kPeerAllReduceBytes);
  EXPECT_EQ(peer_bytes(nvlink, 2, false), kPeerAllReduceBytes);
  EXPECT_EQ(peer_bytes(nvlink, 8, false), kPeerAllReduceBytes);
  EXPECT_EQ(peer_bytes(geforce, 2, false), 0u);  // no peer access: NCCL only
  EXPECT_EQ(peer_bytes(pcie, 1, false), 0u);
  EXPECT_EQ(peer_bytes(nvlink, 1, false), 0u);
  EXPECT_EQ(peer_bytes(pcie, 2, true), 0u);
  EXPECT_EQ(peer_bytes(nvlink, 4, true), 0u);
  EXPECT_EQ(peer_bytes(pcie, 4, false), 0u);     // four GPUs over PCIe: NCCL only
  EXPECT_EQ(peer_bytes(nvlink, 16, false), 0u);  // more ranks than the kernel takes
  const RuntimeOverhead on = runtime_overhead(nvlink, 2, 64, false, false);
  const RuntimeOverhead off = runtime_overhead(nvlink, 2, 64, false, true);
  EXPECT_EQ(on.total() - off.total(), kPeerAllReduceBytes);
}

TEST(MemoryPlan, PeerAllReduceBuffersLeaveLessForTheKvCache) {
  PlanInputs inputs = two_4090s(testing::kW4a16);
  inputs.gpu = *find_gpu("h100");
  const MemoryPlan on = plan_of(inputs);
  inputs.options.disable_custom_all_reduce = true;
  const MemoryPlan off = plan_of(inputs);
  ASSERT_EQ(on.per_gpu.size(), 2u);
  ASSERT_EQ(off.per_gpu.size(), 2u);
  for (size_t gpu_idx = 0; gpu_idx < 2; ++gpu_idx) {
    EXPECT_EQ(on.per_gpu[gpu_idx].overhead.peer_all_reduce, kPeerAllReduceBytes);
    EXPECT_EQ(off.per_gpu[gpu_idx].overhead.peer_all_reduce, 0u);
    EXPECT_EQ(off.per_gpu[gpu_idx].free_for_kv_bytes - on.per_gpu[gpu_idx].free_for_kv_bytes, kPeerAllReduceBytes);
  }
  const nlohmann::json json = nlohmann::json::parse(plan_to_json(on));
  EXPECT_EQ(json.at("per_gpu")[0].at("overhead").at("peer_all_reduce_bytes").get<uint64_t>(), kPeerAllReduceBytes);
  EXPECT_NE(plan_to_table(on).find("peer all-reduce"), std::string::npos);
  EXPECT_EQ(plan_to_table(off).find("peer all-reduce"), std::string::npos);

  // The users' two RTX 4090s: no peer access, nothing counted, no row.
  const MemoryPlan geforce = plan_of(two_4090s(testing::kW4a16));
  EXPECT_EQ(geforce.per_gpu.at(0).overhead.peer_all_reduce, 0u);
  EXPECT_EQ(plan_to_table(geforce).find("peer all-reduce"), std::string::npos);

  PlanInputs one_gpu = testing::inputs_for(testing::kW4a16, "h100");
  EXPECT_EQ(plan_of(one_gpu).per_gpu.at(0).overhead.peer_all_reduce, 0u);
}

TEST(PlanOptions, JsonFlags) {
  PlanOptions options;
  ASSERT_TRUE(parse_limit_mm_per_prompt(R"({"image": 3, "video": 0})", options).ok());
  EXPECT_EQ(options.max_images_per_prompt, 3);
  EXPECT_EQ(options.max_videos_per_prompt, 0);
  ASSERT_TRUE(parse_limit_mm_per_prompt(R"({"image": {"count": 5, "width": 512}})", options).ok());
  EXPECT_EQ(options.max_images_per_prompt, 5);
  EXPECT_FALSE(parse_limit_mm_per_prompt(R"({"images": 3})", options).ok());
  EXPECT_FALSE(parse_limit_mm_per_prompt(R"({"image": -1})", options).ok());
  EXPECT_FALSE(parse_limit_mm_per_prompt("image=3", options).ok());
  std::vector<std::string> ignored;
  ASSERT_TRUE(parse_mm_processor_kwargs(R"({"max_pixels": 1048576, "min_pixels": 4096})", options, ignored).ok());
  EXPECT_EQ(options.max_pixels, 1048576);
  EXPECT_EQ(ignored, std::vector<std::string>{"min_pixels"});
  ASSERT_TRUE(parse_mm_processor_kwargs(R"({"size": {"longest_edge": 2359296}})", options, ignored).ok());
  EXPECT_EQ(options.max_pixels, 2359296);
  EXPECT_FALSE(parse_mm_processor_kwargs(R"({"max_pixels": "big"})", options, ignored).ok());
  options.max_num_seqs = 512;
  options.max_num_batched_tokens = 256;
  EXPECT_FALSE(options.validate().ok());
  EXPECT_FALSE(parse_encoder_tp_mode("both").ok());
}

}  // namespace
}  // namespace fovea::plan
