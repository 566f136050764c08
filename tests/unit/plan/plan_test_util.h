// Helpers for plan tests: the published-checkpoint fixtures of tests/data/plan (configs and the tensor byte sums
// made by tools/golden/make_plan_fixtures.py from the real libraries) and plan inputs for them. No test cases.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "io/model_config.h"
#include "io/preprocessor_config.h"
#include "plan/gpu_catalog.h"
#include "plan/memory_plan.h"

namespace fovea::plan::testing {

inline constexpr const char* kBf16 = "qwen3-vl-32b-instruct";
inline constexpr const char* kFp8 = "qwen3-vl-32b-instruct-fp8";
inline constexpr const char* kW4a16 = "qwen3-vl-32b-thinking-w4a16";
inline constexpr const char* kAwq = "qwen3-32b-awq";
inline constexpr const char* kVl8b = "qwen3-vl-8b-instruct";

inline std::string fixture_dir(const std::string& name) {
  return std::string(FOVEA_SOURCE_DIR) + "/tests/data/plan/" + name;
}

inline nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return nlohmann::json::parse(buffer.str());
}

// weight_bytes.json's entry for one checkpoint.
inline nlohmann::json tensor_sums(const std::string& name) {
  return read_json(std::string(FOVEA_SOURCE_DIR) + "/tests/data/plan/weight_bytes.json").at("checkpoints").at(name);
}

inline io::ModelConfig load_config(const std::string& name) {
  base::Result<io::ModelConfig> config = io::read_model_config(fixture_dir(name));
  EXPECT_TRUE(config.ok()) << config.status().message();
  return config.ok() ? std::move(config).value() : io::ModelConfig{};
}

// Plan inputs for a fixture on a catalogue GPU, reading the fixture's preprocessor_config.json as `fovea plan` does.
inline PlanInputs inputs_for(const std::string& name, const std::string& gpu_name) {
  PlanInputs inputs;
  inputs.config = load_config(name);
  base::Result<GpuSpec> gpu = find_gpu(gpu_name);
  EXPECT_TRUE(gpu.ok()) << gpu.status().message();
  if (gpu.ok()) inputs.gpu = *gpu;
  if (inputs.config.has_vision()) {
    base::Result<io::ImageProcessorConfig> image = io::load_image_processor_config(fixture_dir(name));
    EXPECT_TRUE(image.ok());
    if (image.ok() && !image->source_file.empty()) {
      inputs.preprocessor_max_pixels = image->size.longest_edge;
      inputs.preprocessor_source = image->source_file;
    }
  }
  return inputs;
}

// The deployment of the user story: 2 x RTX 4090, utilisation 0.9, 131072 tokens, FP8 KV cache; 3 images and no
// video per prompt, vision tower sharded (profiles/medium-vl.yaml).
inline PlanInputs two_4090s(const std::string& name) {
  PlanInputs inputs = inputs_for(name, "4090");
  inputs.options.tensor_parallel_size = 2;
  inputs.options.gpu_memory_utilization = 0.9;
  inputs.options.max_model_len = 131072;
  inputs.options.kv_cache_dtype = KvCacheDtype::kFp8E4m3;
  inputs.options.max_images_per_prompt = 3;
  inputs.options.max_videos_per_prompt = 0;
  inputs.options.mm_encoder_tp_mode = EncoderTpMode::kWeights;
  return inputs;
}

inline double gib(uint64_t num_bytes) {
  return static_cast<double>(num_bytes) / static_cast<double>(uint64_t{1} << 30);
}

}  // namespace fovea::plan::testing
