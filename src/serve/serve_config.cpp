// ServeConfig's cross-field validation, path checks and canonical dump (JSON and YAML, secrets redacted).
// Must not contain flag parsing.
#include "serve/serve_config.h"

#include <fmt/format.h>

#include <filesystem>
#include <system_error>

#include "serve/json_value.h"

namespace fovea::serve {
namespace {

constexpr int64_t kMaxContextTokens = int64_t{1} << 30;

bool is_directory(const std::string& path) {
  std::error_code error;
  return std::filesystem::is_directory(path, error);
}

bool is_regular_file(const std::string& path) {
  std::error_code error;
  return std::filesystem::is_regular_file(path, error);
}

base::Status check_positive(const char* flag, const std::optional<int64_t>& value) {
  if (value && *value < 1) return base::invalid_argument("--{} must be at least 1, not {}", flag, *value);
  return base::Status::ok_status();
}

nlohmann::ordered_json optional_json(const std::optional<int64_t>& value) {
  return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json string_list_json(const std::vector<std::string>& values) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const std::string& value : values) out.push_back(value);
  return out;
}

// Text goes into JSON (responses, the canonical dump): it must be UTF-8 to come back unchanged.
base::Status check_text_fields(const ServeConfig& config) {
  const std::pair<const char*, const std::string*> kTexts[] = {
      {"model", &config.model},
      {"host", &config.host},
      {"chat-template", &config.chat_template},
      {"generation-config", &config.generation_config_dir},
      {"allowed-local-media-path", &config.allowed_local_media_path},
      {"response-role", &config.response_role}};
  for (const auto& [flag, text] : kTexts) {
    if (!is_valid_utf8(*text)) return base::invalid_argument("--{} must be valid UTF-8 text", flag);
  }
  for (const std::string& name : config.served_model_names) {
    if (!is_valid_utf8(name)) return base::invalid_argument("--served-model-name must be valid UTF-8 text");
  }
  for (const std::string& domain : config.allowed_media_domains) {
    if (!is_valid_utf8(domain)) return base::invalid_argument("--allowed-media-domains must be valid UTF-8 text");
  }
  if (!json_strings_are_utf8(config.override_generation_config) ||
      !json_strings_are_utf8(config.default_chat_template_kwargs)) {
    return base::invalid_argument(
        "--override-generation-config and --default-chat-template-kwargs must be valid "
        "UTF-8 text");
  }
  return base::Status::ok_status();
}

}  // namespace

const std::string& ServeConfig::primary_model_name() const {
  return served_model_names.empty() ? model : served_model_names.front();
}

bool ServeConfig::chat_template_is_inline() const { return chat_template.find_first_of("{}\n") != std::string::npos; }

std::string ServeConfig::device_spec() const {
  if (device == DeviceKind::kCuda && cuda_device_index > 0) return fmt::format("cuda:{}", cuda_device_index);
  return device_name(device);
}

const char* model_dtype_name(ModelDtype dtype) {
  switch (dtype) {
    case ModelDtype::kAuto:
      return "auto";
    case ModelDtype::kFloat16:
      return "float16";
    case ModelDtype::kBfloat16:
      return "bfloat16";
    case ModelDtype::kFloat32:
      return "float32";
  }
  return "auto";
}

const char* kv_cache_dtype_name(KvCacheDtype dtype) {
  switch (dtype) {
    case KvCacheDtype::kAuto:
      return "auto";
    case KvCacheDtype::kFloat16:
      return "float16";
    case KvCacheDtype::kBfloat16:
      return "bfloat16";
    case KvCacheDtype::kFp8E4m3:
      return "fp8_e4m3";
    case KvCacheDtype::kFp8E5m2:
      return "fp8_e5m2";
  }
  return "auto";
}

const char* quantization_name(QuantizationMethod method) {
  switch (method) {
    case QuantizationMethod::kAuto:
      return "auto";
    case QuantizationMethod::kAwq:
      return "awq";
    case QuantizationMethod::kAwqMarlin:
      return "awq_marlin";
    case QuantizationMethod::kGptq:
      return "gptq";
    case QuantizationMethod::kGptqMarlin:
      return "gptq_marlin";
    case QuantizationMethod::kCompressedTensors:
      return "compressed-tensors";
    case QuantizationMethod::kFp8:
      return "fp8";
  }
  return "auto";
}

const char* mm_encoder_tp_mode_name(MmEncoderTpMode mode) {
  return mode == MmEncoderTpMode::kData ? "data" : "weights";
}

const char* reasoning_parser_name(ReasoningParserKind kind) {
  switch (kind) {
    case ReasoningParserKind::kNone:
      return "none";
    case ReasoningParserKind::kQwen3:
      return "qwen3";
    case ReasoningParserKind::kDeepseekR1:
      return "deepseek_r1";
  }
  return "none";
}

const char* tool_call_parser_name(ToolCallParserKind kind) {
  return kind == ToolCallParserKind::kHermes ? "hermes" : "none";
}

const char* device_name(DeviceKind device) {
  switch (device) {
    case DeviceKind::kAuto:
      return "auto";
    case DeviceKind::kCpu:
      return "cpu";
    case DeviceKind::kCuda:
      return "cuda";
  }
  return "auto";
}

const char* load_format_name(LoadFormat format) {
  switch (format) {
    case LoadFormat::kAuto:
      return "auto";
    case LoadFormat::kSafetensors:
      return "safetensors";
    case LoadFormat::kDummy:
      return "dummy";
  }
  return "auto";
}

const char* chat_template_content_format_name(ChatTemplateContentFormat format) {
  switch (format) {
    case ChatTemplateContentFormat::kAuto:
      return "auto";
    case ChatTemplateContentFormat::kString:
      return "string";
    case ChatTemplateContentFormat::kOpenai:
      return "openai";
  }
  return "auto";
}

const char* log_level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kCritical:
      return "critical";
    case LogLevel::kError:
      return "error";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kTrace:
      return "trace";
  }
  return "info";
}

base::Status validate_serve_config(const ServeConfig& config) {
  if (config.model.empty()) {
    return base::invalid_argument(
        "no model folder given; pass it first (fovea serve MODEL_DIR [flags]), or as --model, or as model: in "
        "--config (from the repository root, no folder serves the demo model models/fovea-demo-vl)");
  }
  if (config.port < 0 || config.port > 65535) {
    return base::invalid_argument("--port must be from 1 to 65535 (0 picks a free port), not {}", config.port);
  }
  if (config.tensor_parallel_size < 1) {
    return base::invalid_argument("--tensor-parallel-size must be at least 1, not {}", config.tensor_parallel_size);
  }
  if (!(config.gpu_memory_utilization > 0.0 && config.gpu_memory_utilization <= 1.0)) {
    return base::invalid_argument("--gpu-memory-utilization must be a fraction in (0, 1], such as 0.9, not {}",
                                  config.gpu_memory_utilization);
  }
  if (config.max_model_len_tokens &&
      (*config.max_model_len_tokens < 1 || *config.max_model_len_tokens > kMaxContextTokens)) {
    return base::invalid_argument("--max-model-len must be from 1 to {} tokens (or auto), not {}", kMaxContextTokens,
                                  *config.max_model_len_tokens);
  }
  if (config.max_num_seqs && *config.max_num_seqs < 1) {
    return base::invalid_argument("--max-num-seqs must be at least 1, not {}", *config.max_num_seqs);
  }
  FOVEA_RETURN_IF_ERROR(check_positive("max-num-batched-tokens", config.max_num_batched_tokens));
  FOVEA_RETURN_IF_ERROR(check_positive("kv-cache-memory-bytes", config.kv_cache_memory_bytes));
  FOVEA_RETURN_IF_ERROR(check_positive("num-gpu-blocks-override", config.num_gpu_blocks_override));
  if (config.max_num_seqs && config.max_num_batched_tokens && *config.max_num_batched_tokens < *config.max_num_seqs) {
    return base::invalid_argument(
        "--max-num-batched-tokens ({}) must be at least --max-num-seqs ({}), as in vLLM; raise the first or lower "
        "the second",
        *config.max_num_batched_tokens, *config.max_num_seqs);
  }
  if (config.block_size < 8 || config.block_size > 128 || (config.block_size & (config.block_size - 1)) != 0) {
    return base::invalid_argument("--block-size must be one of 8, 16, 32, 64, 128 tokens, not {}", config.block_size);
  }
  if (config.max_logprobs < 0 || config.max_logprobs > 1024) {
    return base::invalid_argument(
        "--max-logprobs must be from 0 to 1024, not {} (fovea has no uncapped mode: -1 would let one request "
        "ask for the whole vocabulary)",
        config.max_logprobs);
  }
  if (config.max_queue_len < 0) {
    return base::invalid_argument("--max-queue-len must be 0 (unbounded) or a positive count, not {}",
                                  config.max_queue_len);
  }
  if (config.max_num_queued_reqs && *config.max_num_queued_reqs < 0) {
    return base::invalid_argument("--max-num-queued-reqs must be 0 or more, not {}", *config.max_num_queued_reqs);
  }
  if (!(config.drain_timeout_s >= 0.0) || !(config.request_timeout_s >= 0.0)) {
    return base::invalid_argument("--drain-timeout and --request-timeout are seconds and must be 0 or more");
  }
  if (config.max_request_body_bytes < 1024) {
    return base::invalid_argument("--max-request-body-bytes must be at least 1024, not {}",
                                  config.max_request_body_bytes);
  }
  if (config.enable_auto_tool_choice && config.tool_call_parser == ToolCallParserKind::kNone) {
    return base::invalid_argument("--enable-auto-tool-choice requires --tool-call-parser (fovea supports hermes)");
  }
  const bool explicit_half_kv =
      config.kv_cache_dtype == KvCacheDtype::kFloat16 || config.kv_cache_dtype == KvCacheDtype::kBfloat16;
  if (explicit_half_kv && config.dtype != ModelDtype::kAuto &&
      std::string_view(kv_cache_dtype_name(config.kv_cache_dtype)) != model_dtype_name(config.dtype)) {
    return base::invalid_argument("--kv-cache-dtype {} must match --dtype {}; use --kv-cache-dtype auto",
                                  kv_cache_dtype_name(config.kv_cache_dtype), model_dtype_name(config.dtype));
  }
  if (config.generation_config == GenerationConfigSource::kFolder && config.generation_config_dir.empty()) {
    return base::invalid_argument("--generation-config must be auto, vllm or a folder");
  }
  for (const std::string& name : config.served_model_names) {
    if (name.empty()) return base::invalid_argument("--served-model-name must not be an empty string");
  }
  for (const std::string& key : config.api_keys) {
    if (key.empty()) return base::invalid_argument("--api-key must not be an empty string");
  }
  for (const std::string& domain : config.allowed_media_domains) {
    if (domain.empty() || domain.find_first_of("/:@ ") != std::string::npos) {
      return base::invalid_argument(
          "--allowed-media-domains takes bare host names such as upload.wikimedia.org, not {}", quoted_excerpt(domain));
    }
  }
  if (config.response_role.empty()) return base::invalid_argument("--response-role must not be empty");
  return check_text_fields(config);
}

base::Status check_serve_config_paths(const ServeConfig& config) {
  if (!is_directory(config.model)) {
    return base::not_found("model folder {} does not exist or is not a folder", config.model);
  }
  if (!config.chat_template.empty() && !config.chat_template_is_inline() && !is_regular_file(config.chat_template)) {
    return base::not_found("--chat-template {} is not a file (an inline template must contain '{{' or a newline)",
                           config.chat_template);
  }
  if (config.generation_config == GenerationConfigSource::kFolder && !is_directory(config.generation_config_dir)) {
    return base::not_found("--generation-config folder {} does not exist", config.generation_config_dir);
  }
  if (!config.allowed_local_media_path.empty() && !is_directory(config.allowed_local_media_path)) {
    return base::not_found("--allowed-local-media-path {} does not exist or is not a folder",
                           config.allowed_local_media_path);
  }
  return base::Status::ok_status();
}

nlohmann::ordered_json serve_config_to_json(const ServeConfig& config) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  out["model"] = config.model;
  out["served-model-name"] = string_list_json(config.served_model_names);
  out["max-model-len"] =
      config.max_model_len_auto_fit ? nlohmann::ordered_json("auto") : optional_json(config.max_model_len_tokens);
  out["dtype"] = model_dtype_name(config.dtype);
  out["quantization"] = config.quantization == QuantizationMethod::kAuto
                            ? nlohmann::ordered_json(nullptr)
                            : nlohmann::ordered_json(quantization_name(config.quantization));
  out["seed"] = config.seed;
  out["max-logprobs"] = config.max_logprobs;
  switch (config.generation_config) {
    case GenerationConfigSource::kAuto:
      out["generation-config"] = "auto";
      break;
    case GenerationConfigSource::kVllm:
      out["generation-config"] = "vllm";
      break;
    case GenerationConfigSource::kFolder:
      out["generation-config"] = config.generation_config_dir;
      break;
  }
  out["override-generation-config"] = nlohmann::ordered_json::parse(dump_json(config.override_generation_config));
  out["device"] = config.device_spec();
  out["load-format"] = load_format_name(config.load_format);

  out["host"] = config.host.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(config.host);
  out["port"] = config.port;
  nlohmann::ordered_json keys = nlohmann::ordered_json::array();
  for (size_t key_idx = 0; key_idx < config.api_keys.size(); ++key_idx) keys.push_back("<redacted>");
  out["api-key"] = std::move(keys);
  out["metrics-require-auth"] = config.metrics_require_auth;
  out["max-queue-len"] = config.max_queue_len;
  out["max-num-queued-reqs"] = optional_json(config.max_num_queued_reqs);
  out["drain-timeout"] = config.drain_timeout_s;
  out["request-timeout"] = config.request_timeout_s;
  out["max-request-body-bytes"] = config.max_request_body_bytes;
  out["enable-log-requests"] = config.enable_log_requests;
  out["max-log-len"] = optional_json(config.max_log_len);
  out["uvicorn-log-level"] = log_level_name(config.uvicorn_log_level);
  out["disable-uvicorn-access-log"] = config.disable_uvicorn_access_log;
  std::string quiet_endpoints;
  for (const std::string& path : config.disable_access_log_for_endpoints) {
    quiet_endpoints += (quiet_endpoints.empty() ? "" : ",") + path;
  }
  out["disable-access-log-for-endpoints"] =
      quiet_endpoints.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(quiet_endpoints);
  out["log-level"] = log_level_name(config.log_level);
  out["enable-request-id-headers"] = config.enable_request_id_headers;
  out["enable-prompt-tokens-details"] = config.enable_prompt_tokens_details;
  out["enable-force-include-usage"] = config.enable_force_include_usage;
  out["disable-log-stats"] = config.disable_log_stats;

  out["max-num-seqs"] =
      config.max_num_seqs ? nlohmann::ordered_json(*config.max_num_seqs) : nlohmann::ordered_json(nullptr);
  out["max-num-batched-tokens"] = optional_json(config.max_num_batched_tokens);
  out["gpu-memory-utilization"] = config.gpu_memory_utilization;
  out["kv-cache-memory-bytes"] = optional_json(config.kv_cache_memory_bytes);
  out["num-gpu-blocks-override"] = optional_json(config.num_gpu_blocks_override);
  out["kv-cache-dtype"] = kv_cache_dtype_name(config.kv_cache_dtype);
  out["tensor-parallel-size"] = config.tensor_parallel_size;
  out["disable-custom-all-reduce"] = config.disable_custom_all_reduce;
  out["block-size"] = config.block_size;
  out["enable-prefix-caching"] = config.enable_prefix_caching;
  out["enforce-eager"] = config.enforce_eager;

  out["limit-mm-per-prompt"] = mm_limits_to_json(config.limit_mm_per_prompt);
  out["mm-encoder-tp-mode"] = mm_encoder_tp_mode_name(config.mm_encoder_tp_mode);
  out["mm-processor-kwargs"] = mm_processor_kwargs_to_json(config.mm_processor_kwargs);
  out["allowed-local-media-path"] = config.allowed_local_media_path;
  out["allowed-media-domains"] = string_list_json(config.allowed_media_domains);
  out["media-fetch-timeout"] = config.media_fetch_timeout_s ? nlohmann::ordered_json(*config.media_fetch_timeout_s)
                                                           : nlohmann::ordered_json(nullptr);

  out["chat-template"] =
      config.chat_template.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(config.chat_template);
  out["chat-template-content-format"] = chat_template_content_format_name(config.chat_template_content_format);
  out["default-chat-template-kwargs"] = nlohmann::ordered_json::parse(dump_json(config.default_chat_template_kwargs));
  out["response-role"] = config.response_role;
  out["reasoning-parser"] = config.reasoning_parser == ReasoningParserKind::kNone
                                ? nlohmann::ordered_json(nullptr)
                                : nlohmann::ordered_json(reasoning_parser_name(config.reasoning_parser));
  out["enable-auto-tool-choice"] = config.enable_auto_tool_choice;
  out["tool-call-parser"] = config.tool_call_parser == ToolCallParserKind::kNone
                                ? nlohmann::ordered_json(nullptr)
                                : nlohmann::ordered_json(tool_call_parser_name(config.tool_call_parser));
  return out;
}

std::string dump_serve_config_yaml(const ServeConfig& config) {
  // JSON values are valid YAML flow values, so `key: <json>` per line is YAML that --config reads back; '$' is
  // doubled because --config expands ${VAR} in values.
  std::string out = "# fovea serve configuration (canonical form; API keys redacted)\n";
  const nlohmann::ordered_json canonical = serve_config_to_json(config);
  for (const auto& [key, value] : canonical.items()) {
    std::string text;
    for (char c : dump_json(value)) {
      text += c;
      if (c == '$') text += '$';
    }
    out += fmt::format("{}: {}\n", key, text);
  }
  return out;
}

}  // namespace fovea::serve
