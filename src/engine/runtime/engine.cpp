// Engine::start and the engine's thread-safe shell: model loading on the backend, KV cache sizing, the engine
// thread (inbox of new requests and aborts -> EngineLoop steps), submit/abort/stats/shutdown.
// Must not contain per-step generation logic (engine_loop.cpp) or HTTP.
#include "engine/runtime/engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <random>
#include <thread>

#include "backend/cpu/cpu_backend.h"
#include "backend/cuda/cuda_factory.h"
#include "backend/gpu_telemetry.h"
#include "base/log.h"
#include "engine/runtime/device_memory.h"
#include "engine/runtime/engine_loop.h"
#include "engine/runtime/input_processor.h"
#include "engine/runtime/model_runner.h"
#include "engine/sampling/generation_defaults.h"
#include "engine/sampling/model_sampling_info.h"
#include "io/generation_config.h"
#include "io/model_config.h"
#include "io/vision_step_budget.h"
#include "model/model.h"

namespace fovea::engine {
namespace {

base::Result<tensor::DType> parse_dtype(const std::string& name, const std::string& fallback, const char* flag) {
  const std::string value = name == "auto" ? fallback : name;
  if (value == "bfloat16" || value == "bf16" || value.empty()) return tensor::DType::kBF16;
  if (value == "float16" || value == "half" || value == "fp16") return tensor::DType::kF16;
  if (value == "float32" || value == "float" || value == "fp32") return tensor::DType::kF32;
  if (value == "fp8" || value == "fp8_e4m3") return tensor::DType::kF8E4M3;
  return base::invalid_argument("{} '{}' is not supported; use auto, bfloat16, float16 or float32", flag, name);
}

const char* dtype_label(tensor::DType dtype) {
  switch (dtype) {
    case tensor::DType::kF32: return "float32";
    case tensor::DType::kF16: return "float16";
    case tensor::DType::kF8E4M3: return "fp8_e4m3";
    default: return "bfloat16";
  }
}

base::Result<model::LoadFormat> parse_load_format(const std::string& name) {
  if (name == "auto" || name == "safetensors" || name.empty()) return model::LoadFormat::kSafetensors;
  if (name == "dummy") return model::LoadFormat::kDummy;
  return base::invalid_argument("--load-format '{}' is not supported; use auto, safetensors or dummy", name);
}

// "auto": the first CUDA card when this build has CUDA and the machine a card, else the CPU.
std::string resolve_device(const std::string& device) {
  if (device == "auto" || device.empty()) return backend::cuda::cuda_device_count() > 0 ? "cuda" : "cpu";
  return device;
}

base::Result<std::unique_ptr<backend::Backend>> create_backend(const std::string& device, int num_threads) {
  if (device == "cpu") {
    backend::cpu::CpuBackendOptions options;
    options.num_threads = num_threads;
    return std::unique_ptr<backend::Backend>(std::make_unique<backend::cpu::CpuBackend>(options));
  }
  if (device == "cuda" || device.starts_with("cuda:")) return backend::cuda::create_cuda_backend(device);
  return base::invalid_argument("--device '{}' is not a device; use auto, cpu, cuda or cuda:N", device);
}

// Blocks and context length: the config's sizing rule over the measured memory, or without one the overrides,
// else max_num_seqs sequences of max_model_len tokens.
base::Result<KvCacheSizing> size_kv_cache(const EngineConfig& config, const io::TextConfig& text,
                                          tensor::DType kv_dtype, int64_t max_model_len, uint64_t reserved_bytes,
                                          backend::Backend& backend) {
  const auto blocks_for = [&](int64_t num_tokens) { return (num_tokens + config.block_size - 1) / config.block_size; };
  KvCacheSizing out{0, max_model_len};
  if (!config.kv_cache_sizer) {
    const uint64_t bytes_per_block = model::kv_cache_bytes_per_block(text, config.block_size, kv_dtype);
    if (config.num_kv_blocks) {
      out.num_blocks = *config.num_kv_blocks;
    } else if (config.kv_cache_memory_bytes) {
      out.num_blocks = static_cast<int64_t>(static_cast<uint64_t>(*config.kv_cache_memory_bytes) / bytes_per_block);
    } else {
      out.num_blocks = blocks_for(max_model_len) * config.max_num_seqs;
    }
    return out;
  }
  FOVEA_ASSIGN_OR_RETURN(DeviceMemory memory, read_device_memory(backend));
  KvCacheSizingInput input;
  input.text_config = &text;
  input.kv_element_bytes = tensor::dtype_size_bytes(kv_dtype);
  input.block_size_tokens = config.block_size;
  input.total_bytes = memory.total_bytes;
  input.free_bytes = memory.free_bytes;
  input.memory_utilization = config.memory_utilization;
  input.max_model_len = max_model_len;
  input.max_model_len_auto_fit = config.max_model_len_auto_fit;
  input.reserved_bytes = reserved_bytes;
  input.kv_cache_memory_bytes = config.kv_cache_memory_bytes;
  input.num_gpu_blocks_override = config.num_kv_blocks;
  FOVEA_ASSIGN_OR_RETURN(out, config.kv_cache_sizer(input));
  if (out.max_model_len < 2 || out.num_blocks < 1) {
    return base::make_error(base::StatusCode::kResourceExhausted,
                            "the KV cache holds only {} blocks of {} tokens, too few to serve; free memory or lower "
                            "--max-model-len",
                            out.num_blocks, config.block_size);
  }
  // A share of host memory can be far more than the sequences need: keep max_num_seqs full-length ones.
  if (backend.device().kind == backend::DeviceKind::kCpu && !config.num_kv_blocks && !config.kv_cache_memory_bytes) {
    out.num_blocks = std::min(out.num_blocks, blocks_for(out.max_model_len) * config.max_num_seqs);
  }
  return out;
}

// vLLM's get_diff_sampling_param: the generation config's sampling keys that its file sets (none with
// --generation-config vllm), then --override-generation-config. A max_new_tokens given by the overrides or by a
// --generation-config folder also caps what requests ask for.
base::Result<GenerationDefaults> generation_defaults(const EngineConfig& config, const io::ModelConfig& model_config,
                                                     io::GenerationConfig& generation_config) {
  const bool from_folder = !config.generation_config_dir.empty();
  FOVEA_ASSIGN_OR_RETURN(generation_config, io::load_generation_config(
                                                from_folder ? config.generation_config_dir : config.model_dir,
                                                model_config));
  GenerationDefaults defaults;
  if (config.use_generation_config) {
    const io::GenerationConfig& file = generation_config;
    if (file.in_file("temperature")) defaults.temperature = file.temperature;
    if (file.in_file("top_p")) defaults.top_p = file.top_p;
    if (file.in_file("top_k")) defaults.top_k = static_cast<int32_t>(file.top_k);
    if (file.in_file("min_p") && file.min_p) defaults.min_p = *file.min_p;
    if (file.in_file("repetition_penalty")) defaults.repetition_penalty = file.repetition_penalty;
    if (file.max_new_tokens) defaults.max_tokens = *file.max_new_tokens;
    if (from_folder) defaults.max_tokens_cap = file.max_new_tokens;
  }
  const GenerationDefaults& overrides = config.generation_overrides;
  if (overrides.temperature) defaults.temperature = overrides.temperature;
  if (overrides.top_p) defaults.top_p = overrides.top_p;
  if (overrides.top_k) defaults.top_k = overrides.top_k;
  if (overrides.min_p) defaults.min_p = overrides.min_p;
  if (overrides.repetition_penalty) defaults.repetition_penalty = overrides.repetition_penalty;
  if (overrides.presence_penalty) defaults.presence_penalty = overrides.presence_penalty;
  if (overrides.frequency_penalty) defaults.frequency_penalty = overrides.frequency_penalty;
  if (overrides.max_tokens) {
    defaults.max_tokens = overrides.max_tokens;
    defaults.max_tokens_cap = overrides.max_tokens;
  }
  return defaults;
}

// A requested max_tokens the context cannot hold is kOutOfRange (the server's context_length_exceeded), checked
// before bind_to_model so that code is not lost; the prompt alone is checked by the input processor.
base::Status check_context_length(const SamplingParams& params, int64_t num_prompt_tokens, int64_t max_model_len) {
  if (!params.max_tokens_requested || !params.max_tokens || num_prompt_tokens + *params.max_tokens <= max_model_len) {
    return base::Status();
  }
  return base::out_of_range(
      "This model's maximum context length is {} tokens, but the request has {} prompt tokens and asks for {} "
      "output tokens; shorten the prompt or lower max_tokens.",
      max_model_len, num_prompt_tokens, *params.max_tokens);
}

std::string quantization_label(const io::ModelConfig& model_config) {
  if (!model_config.quantization_config) return "none";
  return model_config.quantization_config->describe();
}

// GiB with two decimals from 1 GiB up, else MiB with one.
std::string format_bytes(uint64_t num_bytes) {
  const auto value = static_cast<double>(num_bytes);
  if (num_bytes >= (uint64_t{1} << 30)) return fmt::format("{:.2f} GiB", value / static_cast<double>(uint64_t{1} << 30));
  return fmt::format("{:.1f} MiB", value / static_cast<double>(uint64_t{1} << 20));
}

// Prints weight-loading progress for `device` on stderr, at most once a second, and the last report on demand.
class LoadProgressPrinter {
 public:
  explicit LoadProgressPrinter(std::string device) : device_(std::move(device)) {}

  void update(const model::LoadProgress& progress) {
    last_ = progress;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_print_ < std::chrono::seconds(1)) return;
    last_print_ = now;
    print("loading");
  }

  void print(const char* what) const {
    if (last_.bytes_total > 0) {
      std::fprintf(stderr, "fovea: %s [%s] %s / %s (%.0f%%), %lld / %lld tensors\n", what, device_.c_str(),
                   format_bytes(last_.bytes_loaded).c_str(), format_bytes(last_.bytes_total).c_str(),
                   100.0 * static_cast<double>(last_.bytes_loaded) / static_cast<double>(last_.bytes_total),
                   static_cast<long long>(last_.num_tensors_loaded), static_cast<long long>(last_.num_tensors_total));
    } else {
      std::fprintf(stderr, "fovea: %s [%s] %s, %lld tensors\n", what, device_.c_str(),
                   format_bytes(last_.bytes_loaded).c_str(), static_cast<long long>(last_.num_tensors_loaded));
    }
  }

 private:
  std::string device_;
  model::LoadProgress last_;
  std::chrono::steady_clock::time_point last_print_ = std::chrono::steady_clock::now();
};

uint64_t kv_cache_allocated_bytes(const model::KvCache& cache) {
  uint64_t num_bytes = 0;
  for (const std::unique_ptr<backend::Buffer>& buffer : cache.buffers) num_bytes += buffer->size_bytes();
  return num_bytes;
}

GpuStatus to_gpu_status(const backend::GpuReading& reading) {
  GpuStatus status;
  status.gpu_idx = reading.gpu_idx;
  status.name = reading.name;
  status.memory_total_bytes = reading.memory_total_bytes;
  status.memory_used_bytes = reading.memory_used_bytes;
  status.utilization_ratio = reading.utilization_ratio;
  status.temperature_celsius = reading.temperature_celsius;
  status.power_watts = reading.power_watts;
  status.power_limit_watts = reading.power_limit_watts;
  return status;
}

// Steps that fail one after the other before the engine counts as dead (a sticky device error fails every step;
// one failed step only fails its requests).
constexpr int64_t kMaxConsecutiveStepFailures = 3;

// What callers hand the engine thread, under one mutex.
struct EngineInbox {
  std::mutex mutex;
  std::condition_variable wake;
  std::vector<AcceptedRequest> new_requests;
  std::vector<std::string> aborts;
  bool accepting = true;
  bool stop = false;  // the thread exits at its next wake-up, aborting what is left
  EngineStats stats;  // snapshot after each step
  int64_t num_queued = 0;  // accepted but not yet added to the scheduler

  void abort(const std::string& request_id) {
    {
      std::lock_guard lock(mutex);
      aborts.push_back(request_id);
    }
    wake.notify_all();
  }
};

class EngineImpl final : public Engine {
 public:
  EngineImpl() = default;
  ~EngineImpl() override { shutdown(std::chrono::milliseconds(0)); }

  base::Status init(const EngineConfig& config);

  base::Result<std::unique_ptr<RequestStream>> submit(GenerateRequest request) override;
  void abort(const std::string& request_id) override;
  EngineStats stats() const override;
  std::vector<GpuStatus> gpu_status() const override;
  const EngineInfo& info() const override { return info_; }
  const text::Tokenizer& tokenizer() const override { return input_->tokenizer(); }
  void shutdown(std::chrono::milliseconds timeout) override;

 private:
  void run_thread();

  EngineConfig config_;
  EngineInfo info_;
  io::GenerationConfig generation_config_;
  GenerationDefaults defaults_;
  ModelSamplingInfo sampling_info_;
  std::unique_ptr<backend::Backend> backend_;
  std::unique_ptr<model::Model> model_;
  std::unique_ptr<InputProcessor> input_;
  std::unique_ptr<EngineLoop> loop_;  // touched only by the engine thread once it runs
  // Seeds of unseeded requests, in submission order (--seed).
  std::mutex seed_mutex_;
  std::mt19937_64 seed_generator_;

  // Shared with the streams (weakly), so a stream that outlives the engine cancels into nothing.
  std::shared_ptr<EngineInbox> inbox_ = std::make_shared<EngineInbox>();
  std::thread thread_;
  std::unique_ptr<backend::GpuTelemetry> telemetry_;  // null on the CPU or without NVML
  int64_t num_consecutive_step_failures_ = 0;         // engine thread only
};

base::Status EngineImpl::init(const EngineConfig& config) {
  config_ = config;
  const auto load_start = std::chrono::steady_clock::now();
  FOVEA_ASSIGN_OR_RETURN(io::ModelConfig model_config, io::load_model_config(config.model_dir));
  FOVEA_ASSIGN_OR_RETURN(tensor::DType act, parse_dtype(config.dtype, model_config.dtype, "--dtype"));
  if (act == tensor::DType::kF8E4M3) return base::invalid_argument("--dtype fp8 is not an activation dtype");
  FOVEA_ASSIGN_OR_RETURN(tensor::DType kv_dtype, parse_dtype(config.kv_cache_dtype, dtype_label(act),
                                                             "--kv-cache-dtype"));
  FOVEA_ASSIGN_OR_RETURN(model::LoadFormat load_format, parse_load_format(config.load_format));
  const io::TextConfig& text = model_config.text_config;
  const int64_t model_max_len = text.max_position_embeddings;
  const int64_t requested_max_len = config.max_model_len.value_or(model_max_len);
  if (requested_max_len < 2) return base::invalid_argument("--max-model-len must be at least 2");
  if (requested_max_len > model_max_len) {
    return base::invalid_argument(
        "--max-model-len {} is longer than this model's max_position_embeddings ({}); pass {} or less, or auto",
        requested_max_len, model_max_len, model_max_len);
  }
  if (config.block_size < 1) return base::invalid_argument("--block-size must be at least 1");
  if (config.max_num_seqs < 1) return base::invalid_argument("--max-num-seqs must be at least 1");
  if (config.max_num_batched_tokens < 1) return base::invalid_argument("--max-num-batched-tokens must be at least 1");

  const std::string device = resolve_device(config.device);
  FOVEA_ASSIGN_OR_RETURN(backend_, create_backend(device, config.num_threads));
  seed_generator_.seed(config.seed.value_or(draw_random_seed()));

  // Block tables are as wide as the longest sequence the cache may admit (auto-fit only shortens it).
  const int64_t widest_blocks_per_seq = (requested_max_len + config.block_size - 1) / config.block_size;
  model::ModelOptions options;
  options.activation_dtype = act;
  options.load_format = load_format;
  options.dummy_seed = config.seed.value_or(0);
  options.quantization = config.quantization;
  options.text_limits = {config.max_num_batched_tokens, config.max_num_seqs, widest_blocks_per_seq};
  // The planner reserves the same: io::vision_step_budget is the one rule for the encoder's step and cache.
  // No images allowed (--limit-mm-per-prompt image=0): no vision workspace or encoder cache, as the plan says.
  const io::VisionStepBudget vision_budget = model_config.has_vision() && config.max_images_per_prompt > 0
                                                 ? io::vision_step_budget(*model_config.vision_config,
                                                                          config.max_num_batched_tokens)
                                                 : io::VisionStepBudget{};
  options.max_vision_patches = vision_budget.max_patches_per_step;
  std::fprintf(stderr, "fovea: loading %s (%s, %s%s) on %s ...\n", config.model_dir.c_str(),
               model_config.model_type.c_str(), dtype_label(act),
               load_format == model::LoadFormat::kDummy ? ", dummy weights" : "", device.c_str());
  const std::string device_label = backend::device_name(backend_->device());
  LoadProgressPrinter progress(device_label);
  options.on_load_progress = [&progress](const model::LoadProgress& update) { progress.update(update); };
  FOVEA_ASSIGN_OR_RETURN(model_, model::Model::load(config.model_dir, *backend_, options));
  progress.print("loaded weights");

  SchedulerConfig scheduler_config;
  scheduler_config.max_num_batched_tokens = config.max_num_batched_tokens;
  scheduler_config.max_num_seqs = static_cast<int32_t>(config.max_num_seqs);
  scheduler_config.block_size = config.block_size;
  scheduler_config.enable_prefix_caching = config.enable_prefix_caching;
  uint64_t encoder_cache_bytes = 0;
  if (vision_budget.max_patches_per_step > 0) {
    scheduler_config.max_encoder_cost_per_step = vision_budget.max_patches_per_step;
    scheduler_config.encoder_cache_size_tokens = vision_budget.encoder_cache_tokens;
    encoder_cache_bytes = static_cast<uint64_t>(vision_budget.encoder_cache_tokens) *
                          io::encoder_cache_bytes_per_token(*model_config.vision_config, tensor::dtype_size_bytes(act));
  }
  FOVEA_ASSIGN_OR_RETURN(KvCacheSizing kv, size_kv_cache(config, text, kv_dtype, requested_max_len,
                                                        encoder_cache_bytes, *backend_));
  const int64_t max_model_len = kv.max_model_len;
  scheduler_config.max_model_len = max_model_len;
  scheduler_config.num_blocks = static_cast<int32_t>(std::min<int64_t>(kv.num_blocks, INT32_MAX));
  FOVEA_RETURN_IF_ERROR(scheduler_config.validate());

  InputLimits limits;
  limits.max_model_len = max_model_len;
  limits.max_images_per_prompt = config.max_images_per_prompt;
  limits.max_image_patches = options.max_vision_patches;
  limits.min_pixels = config.min_pixels;
  limits.max_pixels = config.max_pixels;
  limits.media.allowed_local_media_path = config.media.allowed_local_media_path;
  limits.media.allowed_media_domains = config.media.allowed_media_domains;
  limits.media.max_bytes = static_cast<uint64_t>(std::max<int64_t>(config.media.max_image_bytes, 0));
  limits.media.timeout_ms = config.media.fetch_timeout_ms;
  FOVEA_ASSIGN_OR_RETURN(input_, InputProcessor::create(config.model_dir, model_config, std::move(limits),
                                                        config.chat_template));
  FOVEA_ASSIGN_OR_RETURN(defaults_, generation_defaults(config, model_config, generation_config_));
  sampling_info_.eos_token_id = input_->eos_token_id();
  for (int64_t id : generation_config_.eos_token_id) {
    sampling_info_.generation_eos_token_ids.push_back(static_cast<int32_t>(id));
  }
  if (!sampling_info_.eos_token_id && !sampling_info_.generation_eos_token_ids.empty()) {
    sampling_info_.eos_token_id = sampling_info_.generation_eos_token_ids.front();
  }
  sampling_info_.max_model_len = max_model_len;
  sampling_info_.vocab_size = text.vocab_size;

  FOVEA_ASSIGN_OR_RETURN(model::KvCache cache, model_->allocate_kv_cache(scheduler_config.num_blocks,
                                                                          config.block_size, kv_dtype));
  const uint64_t kv_cache_bytes = kv_cache_allocated_bytes(cache);
  ModelRunnerOptions runner_options;
  runner_options.enforce_eager = config.enforce_eager;
  loop_ = std::make_unique<EngineLoop>(
      scheduler_config, std::make_unique<ModelRunner>(*backend_, *model_, std::move(cache), runner_options),
      input_->tokenizer());

  info_.architecture = model_config.architectures.empty() ? model_config.model_type : model_config.architectures[0];
  info_.device = device;
  info_.dtype = dtype_label(act);
  info_.kv_cache_dtype = dtype_label(kv_dtype);
  info_.quantization = model_->quantized_to_fp8_at_load() ? "fp8 per tensor, quantized at load time (--quantization fp8)"
                                                          : quantization_label(model_config);
  info_.load_format = load_format == model::LoadFormat::kDummy ? "dummy" : "safetensors";
  info_.max_model_len = max_model_len;
  info_.num_kv_blocks = scheduler_config.num_blocks;
  info_.kv_block_size_tokens = config.block_size;
  info_.kv_cache_tokens = static_cast<int64_t>(scheduler_config.num_blocks) * config.block_size;
  info_.kv_cache_bytes = kv_cache_bytes;
  FOVEA_ASSIGN_OR_RETURN(DeviceUsageReading usage, read_device_usage(*backend_));
  info_.memory.push_back(
      device_memory_use(device_label, usage, model_->weight_bytes(), model_->workspace_bytes(), kv_cache_bytes));
  if (usage.is_gpu) {
    base::Result<std::unique_ptr<backend::GpuTelemetry>> telemetry = backend::open_gpu_telemetry(device_label);
    if (telemetry.ok()) {
      telemetry_ = std::move(*telemetry);
    } else {
      FOVEA_LOG_WARN("no GPU gauges on /metrics: {}", telemetry.status().message());
    }
  }
  // vLLM's "maximum concurrency": cache blocks over the blocks one max_model_len request needs.
  const int64_t blocks_per_request = (max_model_len + config.block_size - 1) / config.block_size;
  info_.max_concurrency = static_cast<double>(scheduler_config.num_blocks) / static_cast<double>(blocks_per_request);
  info_.load_time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
  info_.supports_images = model_config.has_vision();
  inbox_->stats = loop_->stats();
  std::fprintf(stderr, "fovea: loaded in %.2f s; KV cache: %lld tokens (%lld blocks)\n", info_.load_time_s,
               static_cast<long long>(info_.kv_cache_tokens), static_cast<long long>(info_.num_kv_blocks));
  thread_ = std::thread([this] { run_thread(); });
  return base::Status();
}

base::Result<std::unique_ptr<RequestStream>> EngineImpl::submit(GenerateRequest request) {
  if (request.request_id.empty()) return base::invalid_argument("the request needs a non-empty request_id");
  {
    std::lock_guard lock(inbox_->mutex);
    if (!inbox_->accepting) return base::make_error(base::StatusCode::kUnavailable, "the server is shutting down");
    if (inbox_->stats.engine_dead) {
      return base::make_error(base::StatusCode::kUnavailable,
                              "the engine's last steps all failed (see the server log); restart the server");
    }
    if (config_.max_num_queued_requests && inbox_->stats.num_waiting + inbox_->num_queued >= *config_.max_num_queued_requests) {
      return base::make_error(base::StatusCode::kUnavailable,
                              "the server's waiting queue is full; retry in a few seconds");
    }
  }
  FOVEA_ASSIGN_OR_RETURN(ProcessedPrompt processed, input_->process(request.prompt));
  FOVEA_ASSIGN_OR_RETURN(SamplingParams params, apply_generation_defaults(request.sampling, defaults_));
  if (!params.seed) {
    std::lock_guard lock(seed_mutex_);
    params.generator_seed = seed_generator_();
  }
  FOVEA_RETURN_IF_ERROR(check_context_length(params, static_cast<int64_t>(processed.token_ids.size()),
                                             sampling_info_.max_model_len));
  FOVEA_RETURN_IF_ERROR(bind_to_model(params, sampling_info_, static_cast<int64_t>(processed.token_ids.size())));

  auto core_request = std::make_shared<Request>();
  core_request->request_id = request.request_id;
  core_request->prompt_token_ids = processed.token_ids;
  for (const PromptImage& image : processed.images) {
    core_request->multimodal_inputs.push_back({image.content_hash, image.placeholder_start_idx,
                                               image.num_placeholder_tokens,
                                               std::max<int64_t>(image.pixels.grid_thw[0] * image.pixels.grid_thw[1] *
                                                                     image.pixels.grid_thw[2],
                                                                 1)});
  }
  fill_request_limits(params, *core_request);
  core_request->cache_salt = request.cache_salt;
  auto shared_params = std::make_shared<const SamplingParams>(std::move(params));
  core_request->sampling_params = shared_params;
  FOVEA_RETURN_IF_ERROR(core_request->validate());

  AcceptedRequest accepted;
  accepted.request = std::move(core_request);
  accepted.params = std::move(shared_params);
  accepted.prompt = std::make_shared<const ProcessedPrompt>(std::move(processed));
  accepted.channel = std::make_shared<RequestChannel>();
  accepted.output = request.output;
  accepted.arrival = EngineClock::now();
  auto stream = std::make_unique<ChannelStream>(accepted.channel,
                                                [inbox = std::weak_ptr<EngineInbox>(inbox_), id = request.request_id] {
                                                  if (auto alive = inbox.lock()) alive->abort(id);
                                                });
  {
    std::lock_guard lock(inbox_->mutex);
    if (!inbox_->accepting) return base::make_error(base::StatusCode::kUnavailable, "the server is shutting down");
    inbox_->new_requests.push_back(std::move(accepted));
    ++inbox_->num_queued;
  }
  inbox_->wake.notify_all();
  return std::unique_ptr<RequestStream>(std::move(stream));
}

void EngineImpl::abort(const std::string& request_id) { inbox_->abort(request_id); }

EngineStats EngineImpl::stats() const {
  std::lock_guard lock(inbox_->mutex);
  EngineStats stats = inbox_->stats;
  stats.num_waiting += inbox_->num_queued;
  return stats;
}

std::vector<GpuStatus> EngineImpl::gpu_status() const {
  if (telemetry_ == nullptr) return {};
  base::Result<backend::GpuReading> reading = telemetry_->read();
  if (!reading.ok()) return {};
  return {to_gpu_status(*reading)};
}

void EngineImpl::run_thread() {
  while (true) {
    std::vector<AcceptedRequest> new_requests;
    std::vector<std::string> aborts;
    {
      std::unique_lock lock(inbox_->mutex);
      inbox_->wake.wait(lock, [&] {
        return inbox_->stop || !inbox_->new_requests.empty() || !inbox_->aborts.empty() || loop_->has_work();
      });
      if (inbox_->stop) break;
      new_requests.swap(inbox_->new_requests);
      aborts.swap(inbox_->aborts);
    }
    // Requests first, so an abort sent right after submit finds its request.
    for (AcceptedRequest& accepted : new_requests) loop_->add(std::move(accepted));
    for (const std::string& request_id : aborts) loop_->abort(request_id);
    if (loop_->has_work()) {
      base::Status status = loop_->step();
      if (!status.ok()) FOVEA_LOG_ERROR("engine step: {}", status.to_string());
      num_consecutive_step_failures_ = status.ok() ? 0 : num_consecutive_step_failures_ + 1;
    }
    std::lock_guard lock(inbox_->mutex);
    inbox_->stats = loop_->stats();
    inbox_->stats.engine_dead = num_consecutive_step_failures_ >= kMaxConsecutiveStepFailures;
    inbox_->num_queued -= static_cast<int64_t>(new_requests.size());
  }
  loop_->abort_all();
}

void EngineImpl::shutdown(std::chrono::milliseconds timeout) {
  {
    std::lock_guard lock(inbox_->mutex);
    if (!thread_.joinable()) return;
    inbox_->accepting = false;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(inbox_->mutex);
      if (inbox_->stats.num_running + inbox_->stats.num_waiting + inbox_->num_queued == 0) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  {
    std::lock_guard lock(inbox_->mutex);
    inbox_->stop = true;
  }
  inbox_->wake.notify_all();
  thread_.join();
}

}  // namespace

base::Result<std::unique_ptr<Engine>> Engine::start(const EngineConfig& config) {
  auto engine = std::make_unique<EngineImpl>();
  FOVEA_RETURN_IF_ERROR(engine->init(config));
  return std::unique_ptr<Engine>(std::move(engine));
}

}  // namespace fovea::engine
