// `fovea check [--config FILE.yaml] [MODEL_DIR | --model DIR] [any fovea serve flag] [--gpu NAME | --gpu-memory SIZE]
// [--json]`: validates a serve config with the server's own parser and messages (serve/), then plans its memory on
// the GPUs (plan/), without loading weights. Exit code 0 when it fits, 3 when it does not, 1-2 on errors. Must not
// contain flag checks of its own (serve/ has them) or planning arithmetic (plan/ has it).
#include <fmt/format.h>
#include <sys/stat.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/command_registry.h"
#include "plan/gpu_catalog.h"
#include "plan/local_gpus.h"
#include "plan/model_inputs.h"
#include "plan/plan_report.h"
#include "plan/plan_suggestions.h"
#include "serve/serve_config.h"
#include "serve/serve_config_parser.h"
#include "serve/serve_flags.h"

namespace fovea::cli {
namespace {

constexpr int kExitDoesNotFit = 3;

plan::KvCacheDtype plan_kv_cache_dtype(serve::KvCacheDtype dtype) {
  switch (dtype) {
    case serve::KvCacheDtype::kAuto:
      return plan::KvCacheDtype::kAuto;
    case serve::KvCacheDtype::kFloat16:
      return plan::KvCacheDtype::kFloat16;
    case serve::KvCacheDtype::kBfloat16:
      return plan::KvCacheDtype::kBFloat16;
    case serve::KvCacheDtype::kFp8E4m3:
      return plan::KvCacheDtype::kFp8E4m3;
    case serve::KvCacheDtype::kFp8E5m2:
      return plan::KvCacheDtype::kFp8E5m2;
  }
  return plan::KvCacheDtype::kAuto;
}

// The planner's view of a validated serve config (the flags that change memory).
plan::PlanOptions plan_options_from(const serve::ServeConfig& config) {
  plan::PlanOptions options;
  options.tensor_parallel_size = config.tensor_parallel_size;
  options.max_model_len = config.max_model_len_tokens;
  options.max_model_len_auto_fit = config.max_model_len_auto_fit;
  options.kv_cache_dtype = plan_kv_cache_dtype(config.kv_cache_dtype);
  options.gpu_memory_utilization = config.gpu_memory_utilization;
  if (config.max_num_seqs) options.max_num_seqs = *config.max_num_seqs;
  options.max_num_batched_tokens = config.max_num_batched_tokens;
  options.max_images_per_prompt = config.limit_mm_per_prompt.num_images;
  options.max_videos_per_prompt = config.limit_mm_per_prompt.num_videos;
  options.max_pixels = config.mm_processor_kwargs.max_pixels;
  options.mm_encoder_tp_mode = config.mm_encoder_tp_mode == serve::MmEncoderTpMode::kData
                                   ? plan::EncoderTpMode::kData
                                   : plan::EncoderTpMode::kWeights;
  if (config.quantization != serve::QuantizationMethod::kAuto) {
    options.quantization = serve::quantization_name(config.quantization);
  }
  options.block_size_tokens = config.block_size;
  if (config.kv_cache_memory_bytes)
    options.kv_cache_memory_bytes = static_cast<uint64_t>(*config.kv_cache_memory_bytes);
  options.num_gpu_blocks_override = config.num_gpu_blocks_override;
  return options;
}

bool is_folder(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

class CheckCommand : public Command {
 public:
  void configure(CLI::App& app) override {
    app_ = &app;
    // Everything that is not check's own option goes, in order, to the server's parser.
    app.allow_extras();
    app.add_option("--gpu", gpu_name_,
                   "GPU from the catalogue (fovea plan --list-gpus); default: this machine's, from the NVIDIA driver");
    app.add_option("--gpu-memory", gpu_memory_, "usable memory of one GPU instead of --gpu, e.g. 24GiB");
    app.add_flag("--json", json_, "print one JSON object: the config (secrets redacted), notes and the plan");
    app.footer("Every `fovea serve` argument is accepted and checked as the server checks it:\n" +
               serve::serve_flags_usage());
  }

  int run() override {
    base::Result<serve::ParsedServeArgs> parsed = serve::parse_serve_args(app_->remaining());
    if (!parsed.ok()) return report_error(parsed.status());
    if (parsed->help_requested) {
      std::printf("%s", app_->help().c_str());
      return 0;
    }
    const serve::ServeConfig& config = parsed->config;
    if (base::Status status = check_model_folder(config); !status.ok()) return report_error(status);
    if (base::Status status = serve::check_serve_config_paths(config); !status.ok()) return report_error(status);

    plan::PlanInputs inputs;
    std::vector<std::string> notes = parsed->notes;
    if (base::Status status = plan::read_model_folder(config.model, inputs); !status.ok()) {
      return report_error(status);
    }
    if (base::Status status = choose_gpu(config, inputs.gpu, notes); !status.ok()) return report_error(status);
    inputs.options = plan_options_from(config);
    if (config.dtype == serve::ModelDtype::kFloat32) {
      notes.push_back("--dtype float32 is not planned for: the plan assumes the checkpoint's own dtype");
    }
    base::Result<plan::MemoryPlan> plan = plan::plan_memory(inputs);
    if (!plan.ok()) return report_error(plan.status());

    const std::string source = config.config_file.empty() ? "the command line" : config.config_file;
    std::string text;
    if (json_) {
      nlohmann::ordered_json document = {{"config_valid", true},
                                         {"config_source", source},
                                         {"config", serve::serve_config_to_json(config)},
                                         {"notes", notes},
                                         {"plan", nlohmann::ordered_json::parse(plan::plan_to_json(*plan))}};
      text = document.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
    } else {
      text = "config    " + source + ": every key and value is valid for fovea serve (model " + config.model +
             ", port " + std::to_string(config.port) + ")\n";
      for (const std::string& note : notes) text += "note      " + note + "\n";
      text += "\n" + plan::plan_to_table(*plan);
    }
    std::fwrite(text.data(), 1, text.size(), stdout);
    return plan->fits ? 0 : kExitDoesNotFit;
  }

 private:
  // The server loads a local folder only; a Hugging Face id in a profile must be replaced by --model DIR.
  static base::Status check_model_folder(const serve::ServeConfig& config) {
    if (config.model.empty()) {
      return base::invalid_argument(
          "no model is given; pass the model folder (positional, --model DIR or `model:` in the config)");
    }
    if (!is_folder(config.model)) {
      return base::not_found(
          "model {} is not a local folder and fovea does not download models; pass --model DIR with the downloaded "
          "folder (its config.json alone is enough for the plan)",
          config.model);
    }
    return base::Status();
  }

  base::Status choose_gpu(const serve::ServeConfig& config, plan::GpuSpec& gpu, std::vector<std::string>& notes) {
    if (!gpu_name_.empty() && !gpu_memory_.empty()) {
      return base::invalid_argument("fovea check takes --gpu NAME or --gpu-memory SIZE, not both");
    }
    if (!gpu_name_.empty()) {
      FOVEA_ASSIGN_OR_RETURN(gpu, plan::find_gpu(gpu_name_));
      return base::Status();
    }
    if (!gpu_memory_.empty()) {
      FOVEA_ASSIGN_OR_RETURN(uint64_t memory_bytes, plan::parse_memory_size(gpu_memory_, "--gpu-memory"));
      gpu = plan::custom_gpu(memory_bytes);
      return base::Status();
    }
    const std::vector<std::string> local = plan::local_gpu_models();
    if (local.empty()) {
      return base::not_found(
          "this machine shows no NVIDIA GPU ({}); pass --gpu NAME or --gpu-memory SIZE to plan for one",
          plan::kNvidiaProcGpusDir);
    }
    base::Result<plan::GpuSpec> found = plan::find_gpu(local.front());
    if (!found.ok()) {
      return base::not_found(
          "this machine's GPU '{}' is not in fovea's catalogue; pass --gpu-memory SIZE with its usable memory",
          local.front());
    }
    gpu = *found;
    notes.push_back(fmt::format("planned for this machine's GPU: {} ({} found)", gpu.name, local.size()));
    if (static_cast<int64_t>(local.size()) < config.tensor_parallel_size) {
      notes.push_back(fmt::format("--tensor-parallel-size {} needs {} GPUs but this machine has {}",
                                  config.tensor_parallel_size, config.tensor_parallel_size, local.size()));
    }
    return base::Status();
  }

  CLI::App* app_ = nullptr;
  std::string gpu_name_;
  std::string gpu_memory_;
  bool json_ = false;
};

}  // namespace

FOVEA_REGISTER_COMMAND(
    CheckCommand, "check",
    "validate a serve config (every key, the server's messages) and plan its memory, loading nothing");

}  // namespace fovea::cli
