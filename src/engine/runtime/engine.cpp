// Engine::start and the engine's thread-safe shell: model loading on the backend, KV cache sizing, the engine
// thread (inbox of new requests and aborts -> EngineLoop steps), submit/abort/stats/shutdown.
// Must not contain per-step generation logic (engine_loop.cpp) or HTTP.
#include "engine/runtime/engine.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include "backend/cpu/cpu_backend.h"
#include "base/log.h"
#include "engine/runtime/engine_loop.h"
#include "engine/runtime/input_processor.h"
#include "engine/sampling/generation_defaults.h"
#include "engine/sampling/model_sampling_info.h"
#include "io/generation_config.h"
#include "io/model_config.h"
#include "model/model.h"

namespace fovea::engine {
namespace {

// Vision patches one encoder call holds at most: bigger images are resized down to it (InputLimits).
constexpr int64_t kMaxVisionPatches = 16384;
// Without a configured size, the KV cache gets this share of available host memory (times memory_utilization),
// at most what max_num_seqs full-length sequences need.
constexpr double kCpuKvShareOfAvailable = 0.5;

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

uint64_t available_host_bytes() {
  const long pages = sysconf(_SC_AVPHYS_PAGES);
  const long page_size = sysconf(_SC_PAGESIZE);
  return pages > 0 && page_size > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size) : 0;
}

// vLLM's get_diff_sampling_param: the generation config's sampling keys that its file sets.
GenerationDefaults generation_defaults(const io::GenerationConfig& config, bool use_generation_config) {
  GenerationDefaults defaults;
  if (!use_generation_config) return defaults;
  if (config.in_file("temperature")) defaults.temperature = config.temperature;
  if (config.in_file("top_p")) defaults.top_p = config.top_p;
  if (config.in_file("top_k")) defaults.top_k = static_cast<int32_t>(config.top_k);
  if (config.in_file("min_p") && config.min_p) defaults.min_p = *config.min_p;
  if (config.in_file("repetition_penalty")) defaults.repetition_penalty = config.repetition_penalty;
  if (config.max_new_tokens) defaults.max_tokens = *config.max_new_tokens;
  return defaults;
}

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
  std::unique_ptr<backend::cpu::CpuBackend> backend_;
  std::unique_ptr<model::Model> model_;
  std::unique_ptr<InputProcessor> input_;
  std::unique_ptr<EngineLoop> loop_;  // touched only by the engine thread once it runs

  // Shared with the streams (weakly), so a stream that outlives the engine cancels into nothing.
  std::shared_ptr<EngineInbox> inbox_ = std::make_shared<EngineInbox>();
  std::thread thread_;
};

base::Status EngineImpl::init(const EngineConfig& config) {
  config_ = config;
  const auto load_start = std::chrono::steady_clock::now();
  FOVEA_ASSIGN_OR_RETURN(io::ModelConfig model_config, io::load_model_config(config.model_dir));
  if (config.device != "auto" && config.device != "cpu") {
    return base::unsupported("device '{}' is not supported yet; use --device cpu", config.device);
  }
  FOVEA_ASSIGN_OR_RETURN(tensor::DType act, parse_dtype(config.dtype, model_config.dtype, "--dtype"));
  if (act == tensor::DType::kF8E4M3) return base::invalid_argument("--dtype fp8 is not an activation dtype");
  FOVEA_ASSIGN_OR_RETURN(tensor::DType kv_dtype, parse_dtype(config.kv_cache_dtype, dtype_label(act),
                                                             "--kv-cache-dtype"));
  const io::TextConfig& text = model_config.text_config;
  const int64_t max_model_len = config.max_model_len.value_or(text.max_position_embeddings);
  if (max_model_len < 2) return base::invalid_argument("--max-model-len must be at least 2");
  if (config.block_size < 1) return base::invalid_argument("--block-size must be at least 1");
  if (config.max_num_seqs < 1) return base::invalid_argument("--max-num-seqs must be at least 1");
  if (config.max_num_batched_tokens < 1) return base::invalid_argument("--max-num-batched-tokens must be at least 1");

  backend::cpu::CpuBackendOptions backend_options;
  backend_options.num_threads = config.num_threads;
  backend_ = std::make_unique<backend::cpu::CpuBackend>(backend_options);

  const int64_t blocks_per_seq = (max_model_len + config.block_size - 1) / config.block_size;
  model::ModelOptions options;
  options.activation_dtype = act;
  options.text_limits = {config.max_num_batched_tokens, config.max_num_seqs, blocks_per_seq};
  options.max_vision_patches = model_config.has_vision() ? kMaxVisionPatches : 0;
  std::fprintf(stderr, "fovea: loading %s (%s, %s) ...\n", config.model_dir.c_str(), model_config.model_type.c_str(),
               dtype_label(act));
  FOVEA_ASSIGN_OR_RETURN(model_, model::Model::load(config.model_dir, *backend_, options));

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
  FOVEA_ASSIGN_OR_RETURN(input_, InputProcessor::create(config.model_dir, model_config, std::move(limits)));
  FOVEA_ASSIGN_OR_RETURN(generation_config_, io::load_generation_config(config.model_dir, model_config));
  defaults_ = generation_defaults(generation_config_, config.use_generation_config);
  sampling_info_.eos_token_id = input_->eos_token_id();
  for (int64_t id : generation_config_.eos_token_id) {
    sampling_info_.generation_eos_token_ids.push_back(static_cast<int32_t>(id));
  }
  if (!sampling_info_.eos_token_id && !sampling_info_.generation_eos_token_ids.empty()) {
    sampling_info_.eos_token_id = sampling_info_.generation_eos_token_ids.front();
  }
  sampling_info_.max_model_len = max_model_len;
  sampling_info_.vocab_size = text.vocab_size;

  // KV cache: the configured block count or bytes, else a share of free host memory capped at what max_num_seqs
  // full-length sequences need; never less than one full-length sequence.
  const uint64_t bytes_per_block = model::kv_cache_bytes_per_block(text, config.block_size, kv_dtype);
  int64_t num_blocks = 0;
  if (config.num_kv_blocks) {
    num_blocks = *config.num_kv_blocks;
  } else if (config.kv_cache_memory_bytes) {
    num_blocks = static_cast<int64_t>(static_cast<uint64_t>(*config.kv_cache_memory_bytes) / bytes_per_block);
  } else {
    const auto budget = static_cast<uint64_t>(static_cast<double>(available_host_bytes()) *
                                              config.memory_utilization * kCpuKvShareOfAvailable);
    num_blocks = std::min(static_cast<int64_t>(budget / bytes_per_block), blocks_per_seq * config.max_num_seqs);
    num_blocks = std::max(num_blocks, blocks_per_seq + 1);
  }
  SchedulerConfig scheduler_config;
  scheduler_config.max_num_batched_tokens = config.max_num_batched_tokens;
  scheduler_config.max_num_seqs = static_cast<int32_t>(config.max_num_seqs);
  scheduler_config.max_model_len = max_model_len;
  scheduler_config.block_size = config.block_size;
  scheduler_config.num_blocks = static_cast<int32_t>(std::min<int64_t>(num_blocks, INT32_MAX));
  scheduler_config.enable_prefix_caching = config.enable_prefix_caching;
  if (model_config.has_vision()) {
    const int64_t merge = model_config.vision_config->spatial_merge_size;
    scheduler_config.max_encoder_cost_per_step = options.max_vision_patches;
    scheduler_config.encoder_cache_size_tokens =
        std::max(config.max_num_batched_tokens, options.max_vision_patches / (merge * merge)) * 2;
  }
  FOVEA_RETURN_IF_ERROR(scheduler_config.validate());
  FOVEA_ASSIGN_OR_RETURN(model::KvCache cache, model_->allocate_kv_cache(scheduler_config.num_blocks,
                                                                          config.block_size, kv_dtype));
  loop_ = std::make_unique<EngineLoop>(
      scheduler_config, std::make_unique<ModelRunner>(*backend_, *model_, std::move(cache)), input_->tokenizer());

  info_.architecture = model_config.architectures.empty() ? model_config.model_type : model_config.architectures[0];
  info_.dtype = dtype_label(act);
  info_.kv_cache_dtype = dtype_label(kv_dtype);
  info_.quantization = model_config.quantization_config ? "checkpoint" : "none";
  info_.max_model_len = max_model_len;
  info_.num_kv_blocks = scheduler_config.num_blocks;
  info_.kv_block_size_tokens = config.block_size;
  info_.kv_cache_tokens = static_cast<int64_t>(scheduler_config.num_blocks) * config.block_size;
  info_.max_concurrency = static_cast<double>(info_.kv_cache_tokens) / static_cast<double>(max_model_len);
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
    if (config_.max_num_queued_requests && inbox_->stats.num_waiting + inbox_->num_queued >= *config_.max_num_queued_requests) {
      return base::make_error(base::StatusCode::kUnavailable,
                              "the server's waiting queue is full; retry in a few seconds");
    }
  }
  FOVEA_ASSIGN_OR_RETURN(ProcessedPrompt processed, input_->process(request.prompt));
  FOVEA_ASSIGN_OR_RETURN(SamplingParams params, apply_generation_defaults(request.sampling, defaults_));
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
    }
    std::lock_guard lock(inbox_->mutex);
    inbox_->stats = loop_->stats();
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
