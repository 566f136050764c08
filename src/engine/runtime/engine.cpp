// Engine::start and the engine's thread-safe shell: model loading on the backend (one per tensor-parallel rank, in
// parallel), KV cache sizing, the engine thread (inbox of new requests and aborts -> EngineLoop steps),
// submit/abort/stats/shutdown.
// Must not contain per-step generation logic (engine_loop.cpp) or HTTP.
#include "engine/runtime/engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <random>
#include <thread>

#include "backend/communicator.h"
#include "backend/cpu/cpu_backend.h"
#include "backend/cuda/cuda_factory.h"
#include "backend/gpu_telemetry.h"
#include "base/log.h"
#include "engine/runtime/device_memory.h"
#include "engine/runtime/engine_loop.h"
#include "engine/runtime/input_processor.h"
#include "engine/runtime/model_runner.h"
#include "engine/runtime/rank_group_runner.h"
#include "engine/runtime/rank_threads.h"
#include "engine/runtime/step_timeout.h"
#include "engine/sampling/generation_defaults.h"
#include "engine/sampling/model_sampling_info.h"
#include "io/generation_config.h"
#include "io/model_config.h"
#include "io/tensor_parallel_layout.h"
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

// The device of each tensor-parallel rank: one rank runs on `device`; N ranks on cuda:0..N-1 (device cuda) or on N
// CPU backends (device cpu).
base::Result<std::vector<std::string>> rank_devices(const std::string& device, int num_ranks) {
  if (num_ranks == 1) return std::vector<std::string>{device};
  if (device == "cpu") return std::vector<std::string>(static_cast<size_t>(num_ranks), "cpu");
  if (device != "cuda") {
    return base::invalid_argument(
        "--device {} with --tensor-parallel-size {}: the ranks take cuda:0 to cuda:{}; pass --device cuda and pick the "
        "GPUs with CUDA_VISIBLE_DEVICES",
        device, num_ranks, num_ranks - 1);
  }
  const int num_gpus = backend::cuda::cuda_device_count();
  if (num_gpus < num_ranks) {
    return base::invalid_argument(
        "--tensor-parallel-size {} needs {} GPUs, one per rank, but {} {} visible; pass --tensor-parallel-size {} or "
        "less, or make more GPUs visible (CUDA_VISIBLE_DEVICES)",
        num_ranks, num_ranks, num_gpus, num_gpus == 1 ? "is" : "are", std::max(num_gpus, 1));
  }
  std::vector<std::string> devices;
  for (int rank_idx = 0; rank_idx < num_ranks; ++rank_idx) devices.push_back(fmt::format("cuda:{}", rank_idx));
  return devices;
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
// `rank_text` is the text config with one rank's KV heads (the whole model's at TP=1): what one rank's cache holds.
base::Result<KvCacheSizing> size_kv_cache(const EngineConfig& config, const io::TextConfig& text,
                                          const io::TextConfig& rank_text, tensor::DType kv_dtype,
                                          int64_t max_model_len, uint64_t reserved_bytes, backend::Backend& backend) {
  const auto blocks_for = [&](int64_t num_tokens) { return (num_tokens + config.block_size - 1) / config.block_size; };
  KvCacheSizing out{0, max_model_len};
  if (!config.kv_cache_sizer) {
    const uint64_t bytes_per_block = model::kv_cache_bytes_per_block(rank_text, config.block_size, kv_dtype);
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
  input.tensor_parallel_size = config.tensor_parallel_size;
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

// Prints weight-loading progress for `device` on stderr, at most once a second, and the last report on demand: the
// checkpoint bytes and tensors the rank has gone through (each rank reaches the same end) beside the weight bytes
// the rank holds, which tensor parallelism divides.
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

  void print(const char* what) const { std::fprintf(stderr, "%s\n", line(what).c_str()); }

  // The final line; it also names the checkpoint tensors the model did not use (an lm_head a tied model ignores,
  // parts fovea does not run), so a total short of 100% reads as what it is.
  void print_loaded() const {
    std::string text = line("loaded weights");
    if (last_.bytes_total > 0 && last_.num_tensors_loaded < last_.num_tensors_total) {
      const int64_t num_unused = last_.num_tensors_total - last_.num_tensors_loaded;
      text += fmt::format("; {} checkpoint tensor{} ({}) not used by this model", num_unused,
                          num_unused == 1 ? "" : "s", format_bytes(last_.bytes_total - last_.bytes_loaded));
    }
    std::fprintf(stderr, "%s\n", text.c_str());
  }

 private:
  std::string line(const char* what) const {
    if (last_.bytes_total == 0) {
      return fmt::format("fovea: {} [{}] {}, {} tensors", what, device_, format_bytes(last_.bytes_loaded),
                         last_.num_tensors_loaded);
    }
    // tools/gpu/check-monitoring.sh and tests/server read the start of this line: keep "X / Y (P%), a / b tensors".
    return fmt::format("fovea: {} [{}] {} / {} ({:.0f}%), {} / {} tensors of the checkpoint, {} on this device", what,
                       device_, format_bytes(last_.bytes_loaded), format_bytes(last_.bytes_total),
                       100.0 * static_cast<double>(last_.bytes_loaded) / static_cast<double>(last_.bytes_total),
                       last_.num_tensors_loaded, last_.num_tensors_total, format_bytes(last_.device_bytes));
  }

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

// How long the step watchdog waits, after aborting the communicators, for the ranks of a timed-out step to return
// before it marks the engine dead without them (a device that ignores the abort).
constexpr std::chrono::milliseconds kStepAbortGrace{5000};

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
  bool ranks_stuck = false;  // the step watchdog gave up on a rank: dead even while the engine thread is blocked

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

  // Loads rank r's model on backends_[r] (all ranks at once on `threads`), printing each rank's progress.
  base::Status load_models(RankThreads& threads, const model::ModelOptions& options);

  EngineConfig config_;
  EngineInfo info_;
  io::GenerationConfig generation_config_;
  GenerationDefaults defaults_;
  ModelSamplingInfo sampling_info_;
  // One per tensor-parallel rank (one at TP=1), destroyed after the loop: backends, their communicators, models.
  std::vector<std::unique_ptr<backend::Backend>> backends_;
  std::vector<std::unique_ptr<backend::Communicator>> communicators_;  // empty at TP=1
  std::vector<std::unique_ptr<model::Model>> models_;
  std::unique_ptr<InputProcessor> input_;
  std::unique_ptr<EngineLoop> loop_;  // touched only by the engine thread once it runs
  // Seeds of unseeded requests, in submission order (--seed).
  std::mutex seed_mutex_;
  std::mt19937_64 seed_generator_;

  // Shared with the streams (weakly), so a stream that outlives the engine cancels into nothing.
  std::shared_ptr<EngineInbox> inbox_ = std::make_shared<EngineInbox>();
  std::thread thread_;
  std::vector<std::unique_ptr<backend::GpuTelemetry>> telemetry_;  // one per GPU rank; empty on the CPU or without NVML
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
  const int num_ranks = config.tensor_parallel_size;
  if (num_ranks < 1) return base::invalid_argument("--tensor-parallel-size must be at least 1, not {}", num_ranks);
  io::TextConfig rank_text = text;  // what one rank's KV cache holds
  if (num_ranks > 1) {
    // Heads, widths and vocabulary that do not split are refused before anything is allocated.
    FOVEA_ASSIGN_OR_RETURN(io::TensorParallelLayout layout,
                           io::TensorParallelLayout::create(model_config, num_ranks, config.shard_vision_weights));
    rank_text.num_key_value_heads = layout.num_kv_heads_per_rank();
  }
  std::optional<std::chrono::milliseconds> step_limit;
  if (num_ranks > 1) {
    FOVEA_ASSIGN_OR_RETURN(step_limit,
                           step_timeout(config.step_timeout_s, std::getenv("FOVEA_ENGINE_ITERATION_TIMEOUT_S"),
                                        std::getenv("VLLM_ENGINE_ITERATION_TIMEOUT_S")));
  }

  const std::string device = resolve_device(config.device);
  FOVEA_ASSIGN_OR_RETURN(std::vector<std::string> devices, rank_devices(device, num_ranks));
  // CPU ranks share the cores.
  const int threads_per_rank =
      num_ranks == 1 ? config.num_threads
                     : std::max(1, (config.num_threads > 0 ? config.num_threads
                                                           : static_cast<int>(std::thread::hardware_concurrency())) /
                                       num_ranks);
  for (const std::string& rank_device : devices) {
    FOVEA_ASSIGN_OR_RETURN(std::unique_ptr<backend::Backend> rank_backend,
                           create_backend(rank_device, threads_per_rank));
    backends_.push_back(std::move(rank_backend));
  }
  if (num_ranks > 1) {
    std::vector<backend::Backend*> backend_ptrs;
    for (const std::unique_ptr<backend::Backend>& rank_backend : backends_) backend_ptrs.push_back(rank_backend.get());
    // --disable-custom-all-reduce: NCCL for every size; otherwise the peer kernel where the cards allow it.
    const backend::SmallAllReduce small_all_reduce = config.disable_custom_all_reduce
                                                         ? backend::SmallAllReduce::kNcclOnly
                                                         : backend::SmallAllReduce::kPeerWherePossible;
    FOVEA_ASSIGN_OR_RETURN(communicators_, backend::create_communicators(backend_ptrs, small_all_reduce));
  }
  backend::Backend& backend0 = *backends_[0];
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
  options.tp_size = num_ranks;
  options.shard_vision_weights = config.shard_vision_weights;
  std::string devices_text = devices[0];
  for (size_t rank_idx = 1; rank_idx < devices.size(); ++rank_idx) devices_text += "," + devices[rank_idx];
  std::fprintf(stderr, "fovea: loading %s (%s, %s%s) on %s%s ...\n", config.model_dir.c_str(),
               model_config.model_type.c_str(), dtype_label(act),
               load_format == model::LoadFormat::kDummy ? ", dummy weights" : "", devices_text.c_str(),
               num_ranks > 1 ? fmt::format(" (tensor parallel {})", num_ranks).c_str() : "");
  auto threads = std::make_unique<RankThreads>(num_ranks);
  threads->set_on_failure([this] {
    for (const std::unique_ptr<backend::Communicator>& comm : communicators_) comm->abort();
  });
  FOVEA_RETURN_IF_ERROR(load_models(*threads, options));
  model::Model& model0 = *models_[0];

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
  // Every rank holds the same number of blocks: the fewest any rank's memory fits.
  FOVEA_ASSIGN_OR_RETURN(KvCacheSizing kv, size_kv_cache(config, text, rank_text, kv_dtype, requested_max_len,
                                                         encoder_cache_bytes, backend0));
  for (size_t rank_idx = 1; rank_idx < backends_.size(); ++rank_idx) {
    FOVEA_ASSIGN_OR_RETURN(KvCacheSizing rank_kv, size_kv_cache(config, text, rank_text, kv_dtype, requested_max_len,
                                                                encoder_cache_bytes, *backends_[rank_idx]));
    kv.num_blocks = std::min(kv.num_blocks, rank_kv.num_blocks);
    kv.max_model_len = std::min(kv.max_model_len, rank_kv.max_model_len);
  }
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

  std::vector<std::unique_ptr<ModelRunner>> runners;
  std::vector<uint64_t> kv_cache_bytes_of_rank;
  for (size_t rank_idx = 0; rank_idx < models_.size(); ++rank_idx) {
    FOVEA_ASSIGN_OR_RETURN(model::KvCache cache, models_[rank_idx]->allocate_kv_cache(scheduler_config.num_blocks,
                                                                                      config.block_size, kv_dtype));
    kv_cache_bytes_of_rank.push_back(kv_cache_allocated_bytes(cache));
    ModelRunnerOptions runner_options;
    runner_options.enforce_eager = config.enforce_eager;
    runner_options.copy_logits = rank_idx == 0;
    runners.push_back(
        std::make_unique<ModelRunner>(*backends_[rank_idx], *models_[rank_idx], std::move(cache), runner_options));
  }
  const uint64_t kv_cache_bytes = kv_cache_bytes_of_rank[0];
  std::unique_ptr<StepRunner> step_runner;
  if (num_ranks == 1) {
    step_runner = std::move(runners[0]);  // TP=1: the engine thread runs the model itself, as before
  } else {
    std::vector<backend::Communicator*> comm_ptrs;
    for (const std::unique_ptr<backend::Communicator>& comm : communicators_) comm_ptrs.push_back(comm.get());
    // Set after loading: a load may take minutes and has no limit.
    if (step_limit) {
      StepWatchdog watchdog;
      watchdog.limit = *step_limit;
      watchdog.grace = kStepAbortGrace;
      watchdog.on_stuck = [inbox = inbox_](const std::string&) {
        std::lock_guard lock(inbox->mutex);
        inbox->ranks_stuck = true;
        inbox->stats.engine_dead = true;
      };
      threads->set_step_watchdog(std::move(watchdog));
      FOVEA_LOG_INFO("engine step watchdog: a step longer than {:.1f} s fails and stops the engine",
                     std::chrono::duration<double>(*step_limit).count());
    }
    step_runner = std::make_unique<RankGroupRunner>(std::move(threads), std::move(runners), std::move(comm_ptrs),
                                                    config.rank_step_hook);
  }
  loop_ = std::make_unique<EngineLoop>(scheduler_config, std::move(step_runner), input_->tokenizer());

  info_.architecture = model_config.architectures.empty() ? model_config.model_type : model_config.architectures[0];
  info_.device = devices_text;
  info_.dtype = dtype_label(act);
  info_.kv_cache_dtype = dtype_label(kv_dtype);
  info_.quantization = model0.quantized_to_fp8_at_load() ? "fp8 per tensor, quantized at load time (--quantization fp8)"
                                                         : quantization_label(model_config);
  info_.load_format = load_format == model::LoadFormat::kDummy ? "dummy" : "safetensors";
  info_.max_model_len = max_model_len;
  info_.num_kv_blocks = scheduler_config.num_blocks;
  info_.kv_block_size_tokens = config.block_size;
  info_.kv_cache_tokens = static_cast<int64_t>(scheduler_config.num_blocks) * config.block_size;
  info_.kv_cache_bytes = kv_cache_bytes;
  for (size_t rank_idx = 0; rank_idx < backends_.size(); ++rank_idx) {
    const std::string device_label = backend::device_name(backends_[rank_idx]->device());
    FOVEA_ASSIGN_OR_RETURN(DeviceUsageReading usage, read_device_usage(*backends_[rank_idx]));
    const model::Model& rank_model = *models_[rank_idx];
    info_.memory.push_back(device_memory_use(device_label, usage, rank_model.weight_bytes(),
                                             rank_model.workspace_bytes(), kv_cache_bytes_of_rank[rank_idx]));
    if (!usage.is_gpu) continue;
    base::Result<std::unique_ptr<backend::GpuTelemetry>> telemetry = backend::open_gpu_telemetry(device_label);
    if (telemetry.ok()) {
      telemetry_.push_back(std::move(*telemetry));
    } else {
      FOVEA_LOG_WARN("no GPU gauges on /metrics for {}: {}", device_label, telemetry.status().message());
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

base::Status EngineImpl::load_models(RankThreads& threads, const model::ModelOptions& options) {
  const auto num_ranks = static_cast<int>(backends_.size());
  models_.resize(backends_.size());
  std::vector<std::unique_ptr<LoadProgressPrinter>> printers;
  for (const std::unique_ptr<backend::Backend>& rank_backend : backends_) {
    printers.push_back(std::make_unique<LoadProgressPrinter>(backend::device_name(rank_backend->device())));
  }
  // A rank that fails to load (out of memory, a bad shard) makes the others stop at their next collective or finish
  // loading; the error names the rank.
  return threads.run([&](int rank_idx) -> base::Status {
    const auto idx = static_cast<size_t>(rank_idx);
    model::ModelOptions rank_options = options;
    rank_options.tp_rank = rank_idx;
    rank_options.communicator = num_ranks > 1 ? communicators_[idx].get() : nullptr;
    LoadProgressPrinter& progress = *printers[idx];
    rank_options.on_load_progress = [&progress](const model::LoadProgress& update) { progress.update(update); };
    FOVEA_ASSIGN_OR_RETURN(models_[idx], model::Model::load(config_.model_dir, *backends_[idx], rank_options));
    progress.print_loaded();
    return base::Status();
  });
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
  std::vector<GpuStatus> out;
  for (const std::unique_ptr<backend::GpuTelemetry>& telemetry : telemetry_) {
    base::Result<backend::GpuReading> reading = telemetry->read();
    if (reading.ok()) out.push_back(to_gpu_status(*reading));
  }
  return out;
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
      // EngineLoop::step logs its own failures (once per failed step).
      const base::Status status = loop_->step();
      num_consecutive_step_failures_ = status.ok() ? 0 : num_consecutive_step_failures_ + 1;
    }
    std::lock_guard lock(inbox_->mutex);
    inbox_->stats = loop_->stats();
    inbox_->stats.engine_dead = num_consecutive_step_failures_ >= kMaxConsecutiveStepFailures ||
                                loop_->runner_failed() || inbox_->ranks_stuck;
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
