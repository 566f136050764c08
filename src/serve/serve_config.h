// ServeConfig: everything `fovea serve` is told on its command line or in --config FILE.yaml, typed, with vLLM's
// flag names and defaults (vLLM 0.33) where vLLM has the flag. Also the cross-field validation and the canonical
// dump used by `fovea check` (secrets redacted). Must not contain flag parsing (serve_config_parser.h) or any
// knowledge of the model's files.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "serve/multimodal_options.h"

namespace fovea::serve {

enum class ModelDtype { kAuto, kFloat16, kBfloat16, kFloat32 };              // vLLM's "half" and "float" are aliases
enum class KvCacheDtype { kAuto, kFloat16, kBfloat16, kFp8E4m3, kFp8E5m2 };  // vLLM's "fp8" means fp8_e4m3
// Weight formats fovea loads. kAuto: read quantization_config from the checkpoint (vLLM's default).
enum class QuantizationMethod { kAuto, kAwq, kAwqMarlin, kGptq, kGptqMarlin, kCompressedTensors, kFp8 };
enum class MmEncoderTpMode { kWeights, kData };
enum class ReasoningParserKind { kNone, kQwen3, kDeepseekR1 };
enum class ToolCallParserKind { kNone, kHermes };
enum class GenerationConfigSource { kAuto, kVllm, kFolder };
enum class DeviceKind { kAuto, kCpu, kCuda };
enum class LoadFormat { kAuto, kSafetensors, kDummy };
enum class ChatTemplateContentFormat { kAuto, kString, kOpenai };
enum class LogLevel { kCritical, kError, kWarning, kInfo, kDebug, kTrace };

struct ServeConfig {
  // Model.
  std::string model;                            // the model folder (positional, --model, or `model:` in YAML)
  std::vector<std::string> served_model_names;  // empty: the model argument as given
  std::optional<int64_t> max_model_len_tokens;  // unset: from the model's config.json
  bool max_model_len_auto_fit = false;          // --max-model-len auto / -1: largest length that fits in memory
  ModelDtype dtype = ModelDtype::kAuto;
  QuantizationMethod quantization = QuantizationMethod::kAuto;
  int64_t seed = 0;
  int32_t max_logprobs = 20;
  GenerationConfigSource generation_config = GenerationConfigSource::kAuto;
  std::string generation_config_dir;                                     // with kFolder
  nlohmann::json override_generation_config = nlohmann::json::object();  // e.g. {"temperature": 0.7}
  DeviceKind device = DeviceKind::kAuto;
  int32_t cuda_device_index = 0;  // --device cuda:N (with kCuda)
  LoadFormat load_format = LoadFormat::kAuto;

  // HTTP server.
  std::string host;  // empty: every interface
  int32_t port = 8000;
  std::vector<std::string> api_keys;  // empty: no authentication
  bool metrics_require_auth = false;
  int64_t max_queue_len = 0;                   // waiting requests before 503; 0: unbounded
  std::optional<int64_t> max_num_queued_reqs;  // waiting + running before 503 (vLLM's flag)
  double drain_timeout_s = 30.0;               // on SIGTERM: time for running requests to finish
  double request_timeout_s = 0.0;              // 0: none
  int64_t max_request_body_bytes = int64_t{64} << 20;
  bool enable_log_requests = false;
  std::optional<int64_t> max_log_len;
  LogLevel uvicorn_log_level = LogLevel::kInfo;  // the HTTP layer's log (access lines are info)
  bool disable_uvicorn_access_log = false;
  std::vector<std::string> disable_access_log_for_endpoints;  // paths without access lines ("/health")
  LogLevel log_level = LogLevel::kInfo;          // fovea's own log (vLLM's --log-level)
  bool enable_request_id_headers = false;
  bool enable_prompt_tokens_details = false;
  bool enable_force_include_usage = false;
  bool disable_log_stats = false;

  // Scheduler and KV cache.
  std::optional<int32_t> max_num_seqs;            // unset: chosen by the planner (vLLM: by GPU class)
  std::optional<int64_t> max_num_batched_tokens;  // unset: chosen by the planner
  double gpu_memory_utilization = 0.92;
  std::optional<int64_t> kv_cache_memory_bytes;    // overrides gpu_memory_utilization for the KV cache
  std::optional<int64_t> num_gpu_blocks_override;  // testing and profiling
  KvCacheDtype kv_cache_dtype = KvCacheDtype::kAuto;
  int32_t tensor_parallel_size = 1;
  // Every all-reduce between GPUs through NCCL, none through the peer-to-peer kernel (--disable-custom-all-reduce).
  bool disable_custom_all_reduce = false;
  int32_t block_size = 16;
  bool enable_prefix_caching = true;
  bool enforce_eager = false;  // decode steps op by op, no CUDA graphs (vLLM's --enforce-eager)

  // Multimodal.
  MmLimits limit_mm_per_prompt;
  MmEncoderTpMode mm_encoder_tp_mode = MmEncoderTpMode::kWeights;
  MmProcessorKwargs mm_processor_kwargs;
  std::string allowed_local_media_path;            // empty: file:// URLs refused
  std::vector<std::string> allowed_media_domains;  // empty: http(s) image URLs refused
  // --media-fetch-timeout, else env FOVEA_IMAGE_FETCH_TIMEOUT or VLLM_IMAGE_FETCH_TIMEOUT (seconds); unset: the
  // engine's default (engine::MediaAccess::fetch_timeout_ms).
  std::optional<double> media_fetch_timeout_s;

  // Chat.
  std::string chat_template;  // empty: the model's; a path, or the template itself when it holds '{', '}' or '\n'
  ChatTemplateContentFormat chat_template_content_format = ChatTemplateContentFormat::kAuto;
  nlohmann::json default_chat_template_kwargs = nlohmann::json::object();  // e.g. {"enable_thinking": false}
  std::string response_role = "assistant";
  ReasoningParserKind reasoning_parser = ReasoningParserKind::kNone;
  bool enable_auto_tool_choice = false;
  ToolCallParserKind tool_call_parser = ToolCallParserKind::kNone;

  // Where the config came from (the --config path), for messages.
  std::string config_file;

  // The name clients use in "model" and that responses carry: the first served name, else the model argument.
  const std::string& primary_model_name() const;
  // The chat_template string is the template itself rather than a file path (vLLM's rule).
  bool chat_template_is_inline() const;
  // --device as the engine takes it: "auto", "cpu", "cuda" or "cuda:N".
  std::string device_spec() const;
};

// Cross-field rules (no file access): ports, tp, memory fraction, batch limits (vLLM's rule
// max_num_batched_tokens >= max_num_seqs), --enable-auto-tool-choice needs --tool-call-parser, explicit kv dtype vs
// dtype. One clear sentence per problem.
base::Status validate_serve_config(const ServeConfig& config);

// Checks that the paths the config names exist: the model folder, a chat template file, a generation-config
// folder and the allowed local media folder.
base::Status check_serve_config_paths(const ServeConfig& config);

// The canonical form: vLLM flag names as keys (dashes), every field, defaults included; API keys redacted.
// Feeding dump_serve_config_yaml's output back through --config gives the same config (keys aside).
nlohmann::ordered_json serve_config_to_json(const ServeConfig& config);
std::string dump_serve_config_yaml(const ServeConfig& config);

// Names of the enum values as vLLM spells them (used by the dump, messages and docs).
const char* model_dtype_name(ModelDtype dtype);
const char* kv_cache_dtype_name(KvCacheDtype dtype);
const char* quantization_name(QuantizationMethod method);
const char* mm_encoder_tp_mode_name(MmEncoderTpMode mode);
const char* reasoning_parser_name(ReasoningParserKind kind);
const char* tool_call_parser_name(ToolCallParserKind kind);
const char* device_name(DeviceKind device);
const char* load_format_name(LoadFormat format);
const char* chat_template_content_format_name(ChatTemplateContentFormat format);
const char* log_level_name(LogLevel level);

}  // namespace fovea::serve
