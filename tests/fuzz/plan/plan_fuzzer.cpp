// Fuzz target: bytes as config.json through parse_model_config and the planner (with suggestions), at a tensor-
// parallel size, KV dtype and max-model-len mode picked from the input's length; and the same bytes as every flag
// value plan parses and as a driver GPU information file.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "io/model_config.h"
#include "plan/gpu_catalog.h"
#include "plan/local_gpus.h"
#include "plan/plan_report.h"
#include "plan/plan_suggestions.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  using namespace fovea;

  plan::PlanOptions options;
  std::vector<std::string> ignored;
  (void)plan::parse_limit_mm_per_prompt(text, options);
  (void)plan::parse_mm_processor_kwargs(text, options, ignored);
  (void)plan::parse_memory_size(text, "--gpu-memory");
  (void)plan::find_gpu(text);
  (void)plan::gpu_model_from_proc_information(text);

  base::Result<io::ModelConfig> config = io::parse_model_config(text, "config.json");
  if (!config.ok()) return 0;
  plan::PlanInputs inputs;
  inputs.config = std::move(config).value();
  inputs.gpu = plan::custom_gpu(uint64_t{24} << 30);
  const int64_t tensor_parallel_sizes[] = {1, 2, 4, 8};
  inputs.options.tensor_parallel_size = tensor_parallel_sizes[size % 4];
  inputs.options.kv_cache_dtype = size % 2 == 0 ? plan::KvCacheDtype::kAuto : plan::KvCacheDtype::kFp8E4m3;
  inputs.options.max_images_per_prompt = static_cast<int64_t>(size % 5);
  inputs.options.max_model_len_auto_fit = size % 3 == 0;
  base::Result<plan::MemoryPlan> plan = plan::plan_memory(inputs);
  if (plan.ok()) {
    (void)plan::plan_to_json(*plan);
    (void)plan::plan_to_table(*plan);
  }
  return 0;
}
