// `fovea plan [MODEL_DIR | --model-config FILE] (--gpu NAME | --gpu-memory SIZE) [vLLM serving flags] [--json]`:
// will this model fit on these GPUs with these settings, before anything is downloaded or loaded. Exit code 0 when it
// fits, 3 when it does not, 1-2 on errors. Must not contain planning arithmetic (that is plan/).
#include <cctype>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "cli/command_registry.h"
#include "plan/gpu_catalog.h"
#include "plan/model_inputs.h"
#include "plan/plan_report.h"
#include "plan/plan_suggestions.h"

namespace fovea::cli {
namespace {

constexpr int kExitDoesNotFit = 3;

// A token count as vLLM writes them: digits with an optional k/m (x1000) or K/M (x1024) suffix ("128k", "32K").
base::Result<int64_t> parse_token_count(const std::string& text, std::string_view flag) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  std::string suffix = text.substr(digits);
  int64_t scale = suffix.empty()  ? 1
                  : suffix == "k" ? 1000
                  : suffix == "K" ? 1024
                  : suffix == "m" ? 1000000
                  : suffix == "M" ? 1048576
                                  : 0;
  if (digits == 0 || digits > 12 || scale == 0) {
    return base::invalid_argument("{} '{}' is not a count; write an integer such as 131072 or 128k", flag, text);
  }
  return std::stoll(text.substr(0, digits)) * scale;
}

class PlanCommand : public Command {
 public:
  void configure(CLI::App& app) override {
    app.add_option("model_dir", model_dir_, "Hugging Face model folder (config.json; safetensors headers if present)");
    app.add_option("--model-config", model_config_,
                   "a config.json alone (a preprocessor_config.json beside it is read)");
    app.add_option("--gpu", gpu_name_,
                   "GPU from the catalogue: 4090, rtx3090, a100-80gb, h100, h200, ... "
                   "(--list-gpus)");
    app.add_option("--gpu-memory", gpu_memory_, "usable memory of one GPU instead of --gpu, e.g. 24GiB");
    app.add_flag("--list-gpus", list_gpus_, "print the GPU catalogue and exit");
    app.add_option("--tensor-parallel-size", options_.tensor_parallel_size, "GPUs the model is split over");
    app.add_option("--max-model-len", max_model_len_,
                   "context length (prompt + output) of one request; auto: what the KV cache holds");
    app.add_option("--kv-cache-dtype", kv_cache_dtype_, "auto, bfloat16, float16, fp8, fp8_e4m3, fp8_e5m2");
    app.add_option("--gpu-memory-utilization", options_.gpu_memory_utilization,
                   "fraction of each GPU's memory fovea may use (default 0.9)");
    app.add_option("--max-num-seqs", max_num_seqs_, "sequences running at once");
    app.add_option("--max-num-batched-tokens", max_num_batched_tokens_, "tokens computed per step");
    app.add_option("--limit-mm-per-prompt", limit_mm_, R"(items per prompt, JSON: '{"image": 3, "video": 0}')");
    app.add_option("--mm-processor-kwargs", mm_processor_kwargs_, R"(image processor overrides: '{"max_pixels": N}')");
    app.add_option("--mm-encoder-tp-mode", encoder_tp_mode_, "weights (vision tower sharded) or data (replicated)");
    app.add_option("--quantization,-q", quantization_, "must agree with the checkpoint; fp8 quantizes at load time");
    app.add_flag("--enforce-eager", options_.enforce_eager, "no CUDA graphs");
    app.add_flag("--disable-custom-all-reduce", options_.disable_custom_all_reduce,
                 "NCCL for every all-reduce: no peer-to-peer all-reduce buffers at tp > 1");
    app.add_flag("--json", json_, "print one JSON object instead of the table");
  }

  int run() override {
    if (list_gpus_) {
      std::printf("%s", plan::gpu_catalog_table().c_str());
      return 0;
    }
    base::Result<plan::PlanInputs> inputs = gather();
    if (!inputs.ok()) return report_error(inputs.status());
    base::Result<plan::MemoryPlan> plan = plan::plan_memory(*inputs);
    if (!plan.ok()) return report_error(plan.status());
    std::string text = json_ ? plan::plan_to_json(*plan) + "\n" : plan::plan_to_table(*plan);
    std::fwrite(text.data(), 1, text.size(), stdout);
    return plan->fits ? 0 : kExitDoesNotFit;
  }

 private:
  base::Status read_model(plan::PlanInputs& inputs) {
    if (model_dir_.empty() == model_config_.empty()) {
      return base::invalid_argument("fovea plan needs a model folder or --model-config FILE (one of them)");
    }
    return model_dir_.empty() ? plan::read_model_config_file(model_config_, inputs)
                              : plan::read_model_folder(model_dir_, inputs);
  }

  base::Status read_options(plan::PlanInputs& inputs) {
    plan::PlanOptions& options = inputs.options;
    options = options_;
    if (max_model_len_ == "auto" || max_model_len_ == "-1") {
      options.max_model_len_auto_fit = true;
    } else if (max_model_len_) {
      FOVEA_ASSIGN_OR_RETURN(options.max_model_len, parse_token_count(*max_model_len_, "--max-model-len"));
    }
    if (max_num_seqs_) options.max_num_seqs = *max_num_seqs_;
    if (max_num_batched_tokens_) {
      FOVEA_ASSIGN_OR_RETURN(options.max_num_batched_tokens,
                             parse_token_count(*max_num_batched_tokens_, "--max-num-batched-tokens"));
    }
    FOVEA_ASSIGN_OR_RETURN(options.kv_cache_dtype, plan::parse_kv_cache_dtype(kv_cache_dtype_));
    FOVEA_ASSIGN_OR_RETURN(options.mm_encoder_tp_mode, plan::parse_encoder_tp_mode(encoder_tp_mode_));
    if (quantization_) options.quantization = *quantization_;
    if (limit_mm_) FOVEA_RETURN_IF_ERROR(plan::parse_limit_mm_per_prompt(*limit_mm_, options));
    if (mm_processor_kwargs_) {
      std::vector<std::string> ignored;
      FOVEA_RETURN_IF_ERROR(plan::parse_mm_processor_kwargs(*mm_processor_kwargs_, options, ignored));
      for (const std::string& key : ignored) {
        inputs.notes.push_back("--mm-processor-kwargs " + key + " does not change memory and is not planned for");
      }
    }
    if (gpu_name_.empty() == gpu_memory_.empty()) {
      return base::invalid_argument(
          "fovea plan needs --gpu NAME or --gpu-memory SIZE (one of them); "
          "--list-gpus shows the catalogue");
    }
    if (!gpu_name_.empty()) {
      FOVEA_ASSIGN_OR_RETURN(inputs.gpu, plan::find_gpu(gpu_name_));
    } else {
      FOVEA_ASSIGN_OR_RETURN(uint64_t memory_bytes, plan::parse_memory_size(gpu_memory_, "--gpu-memory"));
      inputs.gpu = plan::custom_gpu(memory_bytes);
    }
    return options.validate();
  }

  base::Result<plan::PlanInputs> gather() {
    plan::PlanInputs inputs;
    FOVEA_RETURN_IF_ERROR(read_model(inputs));
    FOVEA_RETURN_IF_ERROR(read_options(inputs));
    return inputs;
  }

  std::string model_dir_;
  std::string model_config_;
  std::string gpu_name_;
  std::string gpu_memory_;
  bool list_gpus_ = false;
  plan::PlanOptions options_;
  std::optional<std::string> max_model_len_;
  std::string kv_cache_dtype_ = "auto";
  std::optional<int64_t> max_num_seqs_;
  std::optional<std::string> max_num_batched_tokens_;
  std::optional<std::string> limit_mm_;
  std::optional<std::string> mm_processor_kwargs_;
  std::string encoder_tp_mode_ = "weights";
  std::optional<std::string> quantization_;
  bool json_ = false;
};

}  // namespace

FOVEA_REGISTER_COMMAND(PlanCommand, "plan", "will a model fit on these GPUs? weights, workspace, KV cache, verdict");

}  // namespace fovea::cli
