// The memory plan of one GPU: budget = memory x gpu_memory_utilization; KV cache = what weights, workspace and
// overheads leave of it, in whole blocks (vLLM's determine_available_memory, with fovea's own estimates).
#include "plan/memory_plan.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "io/tensor_parallel_layout.h"
#include "io/vision_step_budget.h"

namespace fovea::plan {
namespace {

constexpr uint64_t kGiB = uint64_t{1} << 30;

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// vLLM's defaults for the OpenAI server (EngineArgs.get_batch_defaults): GPUs of at least 70 GiB other than the A100
// get 8192 batched tokens and 1024 sequences, the others 2048 and 256.
bool large_gpu_defaults(const GpuSpec& gpu) {
  return gpu.memory_bytes >= 70 * kGiB && lower(gpu.name).find("a100") == std::string::npos;
}

std::string gib(uint64_t num_bytes) { return format_gib(num_bytes); }

// The names --kv-cache-dtype and config.json use for the activation dtypes.
std::string torch_dtype_name(tensor::DType dtype) {
  switch (dtype) {
    case tensor::DType::kBF16:
      return "bfloat16";
    case tensor::DType::kF16:
      return "float16";
    case tensor::DType::kF32:
      return "float32";
    default:
      return lower(std::string(tensor::dtype_name(dtype)));
  }
}

// Every check a tensor-parallel size must pass before shapes are split (vLLM's own start-up checks).
base::Status check_tensor_parallel(const io::ModelConfig& config, const PlanOptions& options) {
  const int64_t tp = options.tensor_parallel_size;
  const io::TextConfig& text = config.text_config;
  if (text.num_attention_heads % tp != 0) {
    return base::invalid_argument(
        "--tensor-parallel-size {} does not divide the model's {} attention heads; vLLM (and fovea) need it to", tp,
        text.num_attention_heads);
  }
  if (config.vision_config && options.mm_encoder_tp_mode == EncoderTpMode::kWeights &&
      config.vision_config->num_heads % tp != 0) {
    return base::invalid_argument(
        "--tensor-parallel-size {} does not divide the vision tower's {} heads; use --mm-encoder-tp-mode data or a "
        "tp that divides them",
        tp, config.vision_config->num_heads);
  }
  return base::Status();
}

// Bounds that keep every product of the plan inside 64 bits (config.json is untrusted); real models are far below.
base::Status check_plannable(const io::ModelConfig& config) {
  struct Bound {
    const char* field;
    int64_t value;
    int64_t limit;
  };
  const io::TextConfig& text = config.text_config;
  std::vector<Bound> bounds = {
      {"vocab_size", text.vocab_size, int64_t{1} << 24},
      {"hidden_size", text.hidden_size, int64_t{1} << 20},
      {"intermediate_size", text.intermediate_size, int64_t{1} << 20},
      {"num_hidden_layers", text.num_hidden_layers, int64_t{1} << 12},
      {"num_attention_heads", text.num_attention_heads, int64_t{1} << 12},
      {"num_key_value_heads", text.num_key_value_heads, int64_t{1} << 12},
      {"head_dim", text.head_dim, int64_t{1} << 12},
      {"max_position_embeddings", text.max_position_embeddings, int64_t{1} << 26},
  };
  if (config.vision_config) {
    const io::VisionConfig& vision = *config.vision_config;
    bounds.insert(bounds.end(),
                  {{"vision_config.depth", vision.depth, int64_t{1} << 12},
                   {"vision_config.hidden_size", vision.hidden_size, int64_t{1} << 20},
                   {"vision_config.intermediate_size", vision.intermediate_size, int64_t{1} << 20},
                   {"vision_config.num_heads", vision.num_heads, int64_t{1} << 12},
                   {"vision_config.in_channels", vision.in_channels, 16},
                   {"vision_config.patch_size", vision.patch_size, 64},
                   {"vision_config.spatial_merge_size", vision.spatial_merge_size, 8},
                   {"vision_config.temporal_patch_size", vision.temporal_patch_size, 16},
                   {"vision_config.out_hidden_size", vision.out_hidden_size, int64_t{1} << 20},
                   {"vision_config.num_position_embeddings", vision.num_position_embeddings, int64_t{1} << 24},
                   {"vision_config.deepstack_visual_indexes (count)",
                    static_cast<int64_t>(vision.deepstack_visual_indexes.size()), 64}});
  }
  for (const Bound& bound : bounds) {
    if (bound.value > bound.limit) {
      return base::out_of_range("config.json: {} is {}, more than fovea plan accepts ({}); is the file right?",
                                bound.field, bound.value, bound.limit);
    }
  }
  if (text.num_attention_heads * text.head_dim > (int64_t{1} << 20)) {
    return base::out_of_range("config.json: num_attention_heads x head_dim is more than fovea plan accepts");
  }
  return base::Status();
}

}  // namespace

base::Result<MemoryPlan> compute_memory_plan(const PlanInputs& inputs, const WeightFormatRules* rules_override) {
  const io::ModelConfig& config = inputs.config;
  const PlanOptions& options = inputs.options;
  FOVEA_RETURN_IF_ERROR(options.validate());
  FOVEA_RETURN_IF_ERROR(io::check_model_supported(config));
  FOVEA_RETURN_IF_ERROR(check_plannable(config));
  FOVEA_RETURN_IF_ERROR(check_tensor_parallel(config, options));
  if (inputs.gpu.memory_bytes == 0) return base::invalid_argument("the GPU's memory size is 0; pass --gpu-memory");

  std::optional<WeightFormatRules> own_rules;
  if (!rules_override) {
    FOVEA_ASSIGN_OR_RETURN(own_rules, WeightFormatRules::from_config(config, options.quantization));
  }
  const WeightFormatRules& rules = rules_override ? *rules_override : *own_rules;
  const int64_t tp = options.tensor_parallel_size;

  MemoryPlan plan;
  plan.architecture = config.architectures.empty() ? config.model_type : config.architectures.front();
  plan.weight_format = rules.description();
  plan.gpu = inputs.gpu;
  plan.tensor_parallel_size = tp;
  plan.gpu_memory_utilization = options.gpu_memory_utilization;
  plan.notes = inputs.notes;

  const int64_t max_position = config.text_config.max_position_embeddings;
  plan.max_model_len = options.max_model_len.value_or(max_position);
  if (plan.max_model_len > max_position) {
    return base::invalid_argument(
        "--max-model-len {} is longer than the model's max_position_embeddings ({}); vLLM refuses it too",
        plan.max_model_len, max_position);
  }
  plan.defaults_for_large_gpus = large_gpu_defaults(inputs.gpu);
  plan.max_num_seqs = options.max_num_seqs.value_or(plan.defaults_for_large_gpus ? 1024 : 256);
  plan.max_num_batched_tokens = options.max_num_batched_tokens.value_or(plan.defaults_for_large_gpus ? 8192 : 2048);
  plan.max_num_batched_tokens = std::max(plan.max_num_batched_tokens, plan.max_num_seqs);

  // KV cache layout.
  plan.kv_cache_dtype = options.kv_cache_dtype;
  const tensor::DType activation_dtype = rules.activation_dtype();
  const int element_bytes = kv_cache_element_bytes(options.kv_cache_dtype, activation_dtype);
  plan.kv_cache_dtype_resolved = options.kv_cache_dtype == KvCacheDtype::kAuto
                                     ? torch_dtype_name(activation_dtype) + " (auto)"
                                     : std::string(kv_cache_dtype_name(options.kv_cache_dtype));
  FOVEA_ASSIGN_OR_RETURN(plan.kv_shape,
                         kv_cache_shape(config.text_config, element_bytes, tp, options.block_size_tokens));

  // Weights. The loader's split rule decides first which sizes shard at all, so the plan refuses exactly what
  // loading would refuse, with the same message.
  FOVEA_RETURN_IF_ERROR(
      io::TensorParallelLayout::create(config, static_cast<int>(tp), options.mm_encoder_tp_mode == EncoderTpMode::kWeights)
          .status());
  const std::vector<ModuleSpec> modules = model_modules(config);
  FOVEA_ASSIGN_OR_RETURN(WeightBudget budget, weight_budget(modules, rules, tp, options.mm_encoder_tp_mode));
  ComponentBytes per_gpu_weights = budget.per_gpu;
  plan.checkpoint_bytes = budget.checkpoint;
  if (inputs.checkpoint_census && !rules_override) {
    // The headers are exact: scale each component's per-GPU share by the checkpoint's own bytes.
    const io::ParameterCensus& census = *inputs.checkpoint_census;
    plan.checkpoint_bytes_from_headers = true;
    for (int component_idx = 0; component_idx < io::kNumModelComponents; ++component_idx) {
      const auto component = static_cast<io::ModelComponent>(component_idx);
      const uint64_t actual = census[component].weight_bytes;
      const uint64_t predicted = budget.checkpoint[component];
      plan.checkpoint_bytes[component] = actual;
      per_gpu_weights[component] =
          predicted == 0
              ? actual
              : static_cast<uint64_t>(std::llround(static_cast<double>(budget.per_gpu[component]) *
                                                   static_cast<double>(actual) / static_cast<double>(predicted)));
    }
    const double predicted_total = static_cast<double>(budget.checkpoint.total());
    const double actual_total = static_cast<double>(plan.checkpoint_bytes.total());
    if (predicted_total > 0 && std::abs(actual_total - predicted_total) > 0.01 * predicted_total) {
      plan.notes.push_back(fmt::format(
          "the checkpoint's tensors take {} but config.json's {} format implies {}; the plan uses the checkpoint's "
          "bytes",
          gib(plan.checkpoint_bytes.total()), rules.description(), gib(budget.checkpoint.total())));
    }
  }

  // Workspace.
  const int activation_bytes = tensor::dtype_size_bytes(activation_dtype);
  const int64_t num_sampled_rows = std::min(plan.max_num_seqs, plan.max_num_batched_tokens);
  GpuMemoryPlan gpu_plan;
  gpu_plan.decoder = decoder_workspace(config, activation_bytes, tp, plan.max_num_batched_tokens, num_sampled_rows);
  plan.mm_encoder_tp_mode = options.mm_encoder_tp_mode;
  if (config.vision_config) {
    int64_t max_pixels = kQwen3VlDefaultMaxPixels;
    plan.max_pixels_source = "assumed: Qwen3-VL's preprocessor_config.json default (no preprocessor file given)";
    if (inputs.preprocessor_max_pixels) {
      max_pixels = *inputs.preprocessor_max_pixels;
      plan.max_pixels_source = inputs.preprocessor_source.empty() ? "the image processor's class default"
                                                                  : inputs.preprocessor_source + " size.longest_edge";
    }
    if (options.max_pixels) {
      max_pixels = *options.max_pixels;
      plan.max_pixels_source = "--mm-processor-kwargs max_pixels";
    }
    plan.vision_workload =
        vision_workload(*config.vision_config, max_pixels, options.max_images_per_prompt, plan.max_model_len);
    gpu_plan.vision =
        vision_workspace(*config.vision_config, activation_bytes, tp, options.mm_encoder_tp_mode, plan.vision_workload,
                         plan.max_num_batched_tokens);
    if (plan.vision_workload.max_pixels < max_pixels) {
      plan.notes.push_back(fmt::format(
          "images above {} pixels ({} from {}) are resized down to it: one vision-encoder step holds {} patches",
          plan.vision_workload.max_pixels, max_pixels, plan.max_pixels_source, io::kMaxVisionPatchesPerStep));
    }
    if (options.max_videos_per_prompt > 0) {
      plan.notes.push_back(
          "no memory is planned for video: fovea's server refuses video inputs (pass --limit-mm-per-prompt with "
          "\"video\": 0 to say so)");
    }
  }
  gpu_plan.workspace_bytes =
      std::max(gpu_plan.decoder.total(), gpu_plan.vision.transient) + gpu_plan.vision.encoder_output;
  gpu_plan.overhead =
      runtime_overhead(inputs.gpu, tp, plan.max_num_seqs, options.enforce_eager, options.disable_custom_all_reduce);

  // Budget and KV cache: plan_kv_cache with the reading the server would take at start-up, once everything but the
  // KV cache and the CUDA graphs (captured after it) is allocated.
  gpu_plan.total_bytes = inputs.gpu.memory_bytes;
  gpu_plan.weights = per_gpu_weights;
  gpu_plan.weights_bytes = per_gpu_weights.total();
  const uint64_t allocated_bytes =
      gpu_plan.weights_bytes + gpu_plan.workspace_bytes + gpu_plan.overhead.total() - gpu_plan.overhead.cuda_graphs;
  GpuMemoryReading reading;
  reading.total_bytes = gpu_plan.total_bytes;
  reading.free_bytes = gpu_plan.total_bytes > allocated_bytes ? gpu_plan.total_bytes - allocated_bytes : 0;
  KvCacheRequest request;
  request.shape = plan.kv_shape;
  request.gpu_memory_utilization = options.gpu_memory_utilization;
  request.max_model_len = plan.max_model_len;
  request.max_model_len_auto_fit = options.max_model_len_auto_fit;
  request.reserved_bytes = gpu_plan.overhead.cuda_graphs;
  request.kv_cache_memory_bytes = options.kv_cache_memory_bytes;
  request.num_gpu_blocks_override = options.num_gpu_blocks_override;
  const KvCacheBudget kv_budget = plan_kv_cache(reading, request);
  gpu_plan.budget_bytes = kv_budget.budget_bytes;
  gpu_plan.free_for_kv_bytes = kv_budget.available_bytes;
  gpu_plan.kv_cache = kv_budget.capacity;
  plan.max_model_len_auto_fit = options.max_model_len_auto_fit;
  plan.max_model_len = kv_budget.max_model_len;
  for (int64_t gpu_idx = 0; gpu_idx < tp; ++gpu_idx) {
    gpu_plan.gpu_idx = gpu_idx;
    plan.per_gpu.push_back(gpu_plan);
  }

  // Verdict.
  plan.max_concurrency = kv_budget.max_concurrency;
  if (gpu_plan.weights_bytes > gpu_plan.budget_bytes) {
    plan.problem = FitProblem::kWeightsExceedBudget;
    plan.verdict = fmt::format("does not fit: the weights alone take {} per GPU, more than the {} budget ({} x {:.2f})",
                               gib(gpu_plan.weights_bytes), gib(gpu_plan.budget_bytes), gib(gpu_plan.total_bytes),
                               options.gpu_memory_utilization);
  } else if (kv_budget.problem == KvCacheProblem::kOverrideExceedsFreeMemory) {
    plan.problem = FitProblem::kKvCacheOverrideTooLarge;
    plan.verdict = "does not fit: " + kv_budget.message;
  } else if (gpu_plan.kv_cache.num_blocks == 0) {
    plan.problem = FitProblem::kNoRoomForKvCache;
    plan.verdict = fmt::format(
        "does not fit: weights ({}), workspace ({}) and runtime overheads ({}) leave no room for a KV cache in the "
        "{} budget per GPU",
        gib(gpu_plan.weights_bytes), gib(gpu_plan.workspace_bytes), gib(gpu_plan.overhead.total()),
        gib(gpu_plan.budget_bytes));
  } else if (kv_budget.problem == KvCacheProblem::kBelowMaxModelLen) {
    plan.problem = FitProblem::kKvCacheBelowMaxModelLen;
    plan.verdict = fmt::format(
        "does not fit: the KV cache holds {} tokens ({} per GPU), fewer than --max-model-len {}; vLLM refuses to "
        "start when one request of max-model-len tokens cannot fit",
        gpu_plan.kv_cache.num_tokens, gib(gpu_plan.kv_cache.num_bytes), plan.max_model_len);
  } else {
    plan.fits = true;
    plan.verdict = fmt::format(
        "fits: {} of KV cache per GPU hold {} tokens; maximum concurrency for {} tokens per request: {:.2f}x",
        gib(gpu_plan.kv_cache.num_bytes), gpu_plan.kv_cache.num_tokens, plan.max_model_len, plan.max_concurrency);
  }
  return plan;
}

}  // namespace fovea::plan
