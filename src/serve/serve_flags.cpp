// The flags fovea implements, each with its setter. Names, types, defaults and choices follow vLLM 0.33
// (vllm/engine/arg_utils.py, vllm/config/*.py, vllm/entrypoints/common/cli_args.py); fovea's own flags are
// metrics-require-auth, max-queue-len, drain-timeout, request-timeout, max-request-body-bytes and
// media-fetch-timeout (vLLM reads the latter from VLLM_IMAGE_FETCH_TIMEOUT only).
// Must not contain token walking or YAML handling.
#include "serve/serve_flags.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <limits>

#include "serve/closest_match.h"
#include "serve/human_readable_int.h"
#include "serve/json_value.h"

namespace fovea::serve {
namespace {

template <typename E>
struct Choice {
  std::string_view name;
  E value;
};

std::string join_names(const std::vector<std::string_view>& names) {
  std::string out;
  for (std::string_view name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

// Matches `text` against fovea's choices; a value only vLLM knows gets "not supported by fovea".
template <typename E>
base::Status parse_choice(std::string_view text, std::initializer_list<Choice<E>> choices,
                          std::initializer_list<std::string_view> vllm_only, std::string_view what, E& out) {
  std::vector<std::string_view> names;
  for (const Choice<E>& choice : choices) {
    if (choice.name == text) {
      out = choice.value;
      return base::Status::ok_status();
    }
    names.push_back(choice.name);
  }
  if (std::find(vllm_only.begin(), vllm_only.end(), text) != vllm_only.end()) {
    return base::unsupported("{} is a vLLM {} that fovea does not support; fovea supports: {}", quoted_excerpt(text),
                             what, join_names(names));
  }
  std::string message =
      fmt::format("{} is not a valid choice; choose one of: {}", quoted_excerpt(text), join_names(names));
  // Short dtype spellings from other tools are not typos of anything near them.
  static constexpr std::pair<std::string_view, std::string_view> kSpellings[] = {
      {"fp16", "float16"}, {"bf16", "bfloat16"}, {"fp32", "float32"}, {"f16", "float16"}, {"f32", "float32"}};
  std::optional<std::string> near;
  for (const auto& [spelling, name] : kSpellings) {
    if (text == spelling && std::find(names.begin(), names.end(), name) != names.end()) near = std::string(name);
  }
  if (!near) near = closest_match(text, names);
  if (near) message += fmt::format(" (did you mean {}?)", *near);
  return base::invalid_argument("{}", message);
}

base::Result<int64_t> parse_int_in(std::string_view text, int64_t min_value, int64_t max_value) {
  int64_t value = 0;
  const char* begin = text.data();
  if (!text.empty() && text.front() == '+') ++begin;
  const auto [end, error] = std::from_chars(begin, text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value < min_value ||
      value > max_value) {
    return base::invalid_argument("expected an integer from {} to {}, not {}", min_value, max_value,
                                  quoted_excerpt(text));
  }
  return value;
}

base::Result<double> parse_double_in(std::string_view text, double min_value, double max_value, bool min_inclusive) {
  double value = 0.0;
  const char* begin = text.data();
  if (!text.empty() && text.front() == '+') ++begin;
  const auto [end, error] = std::from_chars(begin, text.data() + text.size(), value);
  const bool above_min = min_inclusive ? value >= min_value : value > min_value;
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || !above_min || !(value <= max_value)) {
    return base::invalid_argument("expected a number in {}{}, {}], not {}", min_inclusive ? "[" : "(", min_value,
                                  max_value, quoted_excerpt(text));
  }
  return value;
}

base::Result<int64_t> parse_tokens(std::string_view text) {
  FOVEA_ASSIGN_OR_RETURN(const int64_t value, parse_human_readable_int(text));
  if (value < 1) return base::invalid_argument("expected a positive count, not {}", quoted_excerpt(text));
  return value;
}

base::Status require_object(const nlohmann::json& value, std::string_view example) {
  if (value.is_object()) return base::Status::ok_status();
  return base::invalid_argument("expected a JSON object such as '{}', not {}", example, json_type_name(value));
}

using Notes = std::vector<std::string>;

base::Status set_model(ServeConfig& c, const FlagValue& v, Notes&) {
  c.model = v.text;
  return base::Status::ok_status();
}

base::Status set_served_model_name(ServeConfig& c, const FlagValue& v, Notes&) {
  c.served_model_names = v.items;
  return base::Status::ok_status();
}

base::Status set_max_model_len(ServeConfig& c, const FlagValue& v, Notes&) {
  if (v.text == "auto" || v.text == "-1") {
    c.max_model_len_auto_fit = true;
    c.max_model_len_tokens.reset();
    return base::Status::ok_status();
  }
  FOVEA_ASSIGN_OR_RETURN(c.max_model_len_tokens, parse_tokens(v.text));
  c.max_model_len_auto_fit = false;
  return base::Status::ok_status();
}

base::Status set_max_num_seqs(ServeConfig& c, const FlagValue& v, Notes&) {
  FOVEA_ASSIGN_OR_RETURN(const int64_t value, parse_int_in(v.text, 1, std::numeric_limits<int32_t>::max()));
  c.max_num_seqs = static_cast<int32_t>(value);
  return base::Status::ok_status();
}

base::Status set_max_num_batched_tokens(ServeConfig& c, const FlagValue& v, Notes&) {
  FOVEA_ASSIGN_OR_RETURN(c.max_num_batched_tokens, parse_tokens(v.text));
  return base::Status::ok_status();
}

base::Status set_max_num_queued_reqs(ServeConfig& c, const FlagValue& v, Notes&) {
  FOVEA_ASSIGN_OR_RETURN(c.max_num_queued_reqs, parse_int_in(v.text, 0, std::numeric_limits<int64_t>::max()));
  return base::Status::ok_status();
}

base::Status set_gpu_memory_utilization(ServeConfig& c, const FlagValue& v, Notes&) {
  FOVEA_ASSIGN_OR_RETURN(c.gpu_memory_utilization, parse_double_in(v.text, 0.0, 1.0, false));
  return base::Status::ok_status();
}

base::Status set_kv_cache_memory_bytes(ServeConfig& c, const FlagValue& v, Notes&) {
  FOVEA_ASSIGN_OR_RETURN(c.kv_cache_memory_bytes, parse_tokens(v.text));
  return base::Status::ok_status();
}

base::Status set_num_gpu_blocks_override(ServeConfig& c, const FlagValue& v, Notes&) {
  FOVEA_ASSIGN_OR_RETURN(c.num_gpu_blocks_override, parse_int_in(v.text, 1, std::numeric_limits<int32_t>::max()));
  return base::Status::ok_status();
}

base::Status set_kv_cache_dtype(ServeConfig& c, const FlagValue& v, Notes&) {
  return parse_choice<KvCacheDtype>(
      v.text,
      {{"auto", KvCacheDtype::kAuto},
       {"float16", KvCacheDtype::kFloat16},
       {"bfloat16", KvCacheDtype::kBfloat16},
       {"fp8", KvCacheDtype::kFp8E4m3},
       {"fp8_e4m3", KvCacheDtype::kFp8E4m3},
       {"fp8_e5m2", KvCacheDtype::kFp8E5m2}},
      {"fp8_inc", "fp8_ds_mla", "nvfp4_ds_mla", "turboquant_k8v4", "turboquant_4bit_nc", "turboquant_k3v4_nc",
       "turboquant_3bit_nc", "octave_k3v4", "octave_k3v3", "octave_k3v3_compact", "ultraquant_4bit",
       "int4_per_token_head", "int8_per_token_head", "fp8_per_token_head", "nvfp4", "nvfp4_4over6"},
      "KV-cache dtype", c.kv_cache_dtype);
}

base::Status set_tensor_parallel_size(ServeConfig& c, const FlagValue& v, Notes&) {
  FOVEA_ASSIGN_OR_RETURN(const int64_t value, parse_int_in(v.text, 1, 64));
  c.tensor_parallel_size = static_cast<int32_t>(value);
  return base::Status::ok_status();
}

base::Status set_dtype(ServeConfig& c, const FlagValue& v, Notes&) {
  return parse_choice<ModelDtype>(v.text,
                                  {{"auto", ModelDtype::kAuto},
                                   {"half", ModelDtype::kFloat16},
                                   {"float16", ModelDtype::kFloat16},
                                   {"bfloat16", ModelDtype::kBfloat16},
                                   {"float", ModelDtype::kFloat32},
                                   {"float32", ModelDtype::kFloat32}},
                                  {}, "dtype", c.dtype);
}

base::Status set_quantization(ServeConfig& c, const FlagValue& v, Notes&) {
  if (v.text.empty() || v.text == "None" || v.text == "none") {
    c.quantization = QuantizationMethod::kAuto;
    return base::Status::ok_status();
  }
  return parse_choice<QuantizationMethod>(v.text,
                                          {{"awq", QuantizationMethod::kAwq},
                                           {"auto_awq", QuantizationMethod::kAwq},
                                           {"awq_marlin", QuantizationMethod::kAwqMarlin},
                                           {"gptq", QuantizationMethod::kGptq},
                                           {"auto_gptq", QuantizationMethod::kGptq},
                                           {"gptq_marlin", QuantizationMethod::kGptqMarlin},
                                           {"compressed-tensors", QuantizationMethod::kCompressedTensors},
                                           {"fp8", QuantizationMethod::kFp8}},
                                          {"fbgemm_fp8",
                                           "fp_quant",
                                           "modelopt",
                                           "modelopt_fp4",
                                           "modelopt_mxfp8",
                                           "modelopt_mixed",
                                           "humming",
                                           "experts_int8",
                                           "quark",
                                           "moe_wna16",
                                           "torchao",
                                           "inc",
                                           "mxfp4",
                                           "gpt_oss_mxfp4",
                                           "deepseek_v4_fp8",
                                           "online",
                                           "fp8_per_tensor",
                                           "fp8_per_block",
                                           "fp8_per_channel",
                                           "int8_per_channel_weight_only",
                                           "nvfp4_per_token",
                                           "mxfp8",
                                           "bitsandbytes",
                                           "gguf",
                                           "marlin",
                                           "aqlm",
                                           "deepspeedfp",
                                           "tpu_int8",
                                           "hqq",
                                           "ipex",
                                           "qqq",
                                           "gptq_bitblas",
                                           "bitblas",
                                           "gptq_marlin_24",
                                           "awq_triton",
                                           "ptpc_fp8",
                                           "rtn"},
                                          "quantization method", c.quantization);
}

base::Status set_limit_mm_per_prompt(ServeConfig& c, const FlagValue& v, Notes& notes) {
  MmLimits limits;
  if (std::optional<FieldError> error = parse_mm_limits(v.json, limits, notes)) {
    return base::invalid_argument("{}{}{}", error->param, error->param.empty() ? "" : ": ", error->message);
  }
  if (limits.num_videos > 0 && limits.num_videos != MmLimits().num_videos) {
    notes.push_back("limit-mm-per-prompt: fovea decodes images only; requests with video are refused");
  }
  if (limits.num_audios > 0 && limits.num_audios != MmLimits().num_audios) {
    notes.push_back("limit-mm-per-prompt: fovea decodes images only; requests with audio are refused");
  }
  c.limit_mm_per_prompt = limits;
  return base::Status::ok_status();
}

base::Status set_mm_encoder_tp_mode(ServeConfig& c, const FlagValue& v, Notes&) {
  return parse_choice<MmEncoderTpMode>(v.text,
                                       {{"weights", MmEncoderTpMode::kWeights}, {"data", MmEncoderTpMode::kData}}, {},
                                       "encoder TP mode", c.mm_encoder_tp_mode);
}

base::Status set_mm_processor_kwargs(ServeConfig& c, const FlagValue& v, Notes& notes) {
  MmProcessorKwargs kwargs;
  std::vector<std::string> unknown_keys;
  if (std::optional<FieldError> error =
          parse_mm_processor_kwargs(v.json, kDefaultMaxImagePixels, kwargs, &unknown_keys)) {
    return base::invalid_argument("{}{}{}", error->param, error->param.empty() ? "" : ": ", error->message);
  }
  for (const std::string& key : unknown_keys) {
    notes.push_back(
        fmt::format("mm-processor-kwargs: {} has no effect in fovea (it reads min_pixels, max_pixels and "
                    "size)",
                    key));
  }
  c.mm_processor_kwargs = kwargs;
  return base::Status::ok_status();
}

base::Status set_allowed_local_media_path(ServeConfig& c, const FlagValue& v, Notes&) {
  c.allowed_local_media_path = v.text;
  return base::Status::ok_status();
}

base::Status set_allowed_media_domains(ServeConfig& c, const FlagValue& v, Notes&) {
  c.allowed_media_domains = v.items;
  return base::Status::ok_status();
}

base::Status set_media_fetch_timeout(ServeConfig& c, const FlagValue& v, Notes&) {
  FOVEA_ASSIGN_OR_RETURN(c.media_fetch_timeout_s, parse_double_in(v.text, 0.0, 86400.0, false));
  return base::Status::ok_status();
}

base::Status set_reasoning_parser(ServeConfig& c, const FlagValue& v, Notes&) {
  return parse_choice<ReasoningParserKind>(
      v.text, {{"qwen3", ReasoningParserKind::kQwen3}, {"deepseek_r1", ReasoningParserKind::kDeepseekR1}},
      {"deepseek_v3",
       "deepseek_v4",
       "deepseek_v41",
       "poolside_v1",
       "cohere_command3",
       "cohere_command4",
       "ernie45",
       "gemma4",
       "glm45",
       "glm47",
       "ling3",
       "openai_gptoss",
       "granite",
       "granite_thinking_parser",
       "hf",
       "beam",
       "holo2",
       "hunyuan_a13b",
       "hy_v3",
       "hy_v4",
       "kimi_k2",
       "kimi_k3",
       "k2_horizon",
       "mimo",
       "minicpmv",
       "minimax_m2",
       "minimax_m2_append_think",
       "minimax_m3",
       "mistral",
       "nemotron_v3",
       "olmo3",
       "plamo3",
       "muse",
       "muse_glimmer",
       "musespark1x",
       "seed_oss",
       "step3",
       "step3p5",
       "step5",
       "inkling"},
      "reasoning parser", c.reasoning_parser);
}

base::Status set_enable_auto_tool_choice(ServeConfig& c, const FlagValue& v, Notes&) {
  c.enable_auto_tool_choice = v.switch_on;
  return base::Status::ok_status();
}

base::Status set_tool_call_parser(ServeConfig& c, const FlagValue& v, Notes&) {
  return parse_choice<ToolCallParserKind>(v.text, {{"hermes", ToolCallParserKind::kHermes}},
                                          {"dots",
                                           "deepseek_v3",
                                           "deepseek_v31",
                                           "deepseek_v32",
                                           "deepseek_v4",
                                           "deepseek_v41",
                                           "cohere_command3",
                                           "cohere_command4",
                                           "ernie45",
                                           "glm45",
                                           "glm47",
                                           "ling3",
                                           "granite-20b-fc",
                                           "granite",
                                           "granite4",
                                           "hf",
                                           "beam",
                                           "poolside_v1",
                                           "hunyuan_a13b",
                                           "hy_v3",
                                           "hy_v4",
                                           "internlm",
                                           "jamba",
                                           "lfm2",
                                           "kimi_k2",
                                           "kimi_k3",
                                           "k2_horizon",
                                           "llama3_json",
                                           "llama4_json",
                                           "llama4_pythonic",
                                           "longcat",
                                           "mimo",
                                           "minimax_m2",
                                           "minimax_m3",
                                           "minicpm5",
                                           "mistral",
                                           "olmo3",
                                           "plamo3",
                                           "muse",
                                           "muse_glimmer",
                                           "musespark1x",
                                           "openai",
                                           "phi4_mini_json",
                                           "pythonic",
                                           "qwen3_coder",
                                           "qwen3_json",
                                           "qwen3_xml",
                                           "seed_oss",
                                           "step3",
                                           "step3p5",
                                           "step5",
                                           "inkling",
                                           "xlam",
                                           "gigachat3",
                                           "functiongemma",
                                           "gemma4",
                                           "apertus",
                                           "minimax"},
                                          "tool-call parser", c.tool_call_parser);
}

base::Status set_chat_template(ServeConfig& c, const FlagValue& v, Notes&) {
  c.chat_template = v.text;
  return base::Status::ok_status();
}

base::Status set_chat_template_content_format(ServeConfig& c, const FlagValue& v, Notes&) {
  return parse_choice<ChatTemplateContentFormat>(v.text,
                                                 {{"auto", ChatTemplateContentFormat::kAuto},
                                                  {"string", ChatTemplateContentFormat::kString},
                                                  {"openai", ChatTemplateContentFormat::kOpenai}},
                                                 {}, "content format", c.chat_template_content_format);
}

base::Status set_default_chat_template_kwargs(ServeConfig& c, const FlagValue& v, Notes&) {
  FOVEA_RETURN_IF_ERROR(require_object(v.json, "{\"enable_thinking\": false}"));
  c.default_chat_template_kwargs = v.json;
  return base::Status::ok_status();
}

base::Status set_response_role(ServeConfig& c, const FlagValue& v, Notes&) {
  c.response_role = v.text;
  return base::Status::ok_status();
}

base::Status set_generation_config(ServeConfig& c, const FlagValue& v, Notes&) {
  if (v.text == "auto") {
    c.generation_config = GenerationConfigSource::kAuto;
  } else if (v.text == "vllm") {
    c.generation_config = GenerationConfigSource::kVllm;
  } else if (v.text.empty()) {
    return base::invalid_argument("expected auto, vllm or a folder holding generation_config.json");
  } else {
    c.generation_config = GenerationConfigSource::kFolder;
    c.generation_config_dir = v.text;
  }
  return base::Status::ok_status();
}

base::Status set_override_generation_config(ServeConfig& c, const FlagValue& v, Notes&) {
  FOVEA_RETURN_IF_ERROR(require_object(v.json, "{\"temperature\": 0.7}"));
  static constexpr std::string_view kKeys[] = {
      "temperature",      "top_p", "top_k", "min_p", "max_new_tokens", "repetition_penalty", "presence_penalty",
      "frequency_penalty"};
  for (const auto& [key, value] : v.json.items()) {
    if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys)) {
      return base::invalid_argument(
          "{} is not a sampling default fovea applies; use temperature, top_p, top_k, "
          "min_p, max_new_tokens, repetition_penalty, presence_penalty or frequency_penalty",
          quoted_excerpt(key));
    }
    if (!json_to_double(value)) return base::invalid_argument("{} must be a number", key);
  }
  c.override_generation_config = v.json;
  return base::Status::ok_status();
}

base::Status set_enable_prefix_caching(ServeConfig& c, const FlagValue& v, Notes&) {
  c.enable_prefix_caching = v.switch_on;
  return base::Status::ok_status();
}

base::Status set_disable_custom_all_reduce(ServeConfig& c, const FlagValue& v, Notes&) {
  c.disable_custom_all_reduce = v.switch_on;
  return base::Status::ok_status();
}

base::Status set_enforce_eager(ServeConfig& c, const FlagValue& v, Notes&) {
  c.enforce_eager = v.switch_on;
  return base::Status::ok_status();
}

base::Status set_seed(ServeConfig& c, const FlagValue& v, Notes&) {
  FOVEA_ASSIGN_OR_RETURN(
      c.seed, parse_int_in(v.text, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()));
  return base::Status::ok_status();
}

base::Status set_block_size(ServeConfig& c, const FlagValue& v, Notes&) {
  FOVEA_ASSIGN_OR_RETURN(const int64_t value, parse_int_in(v.text, 1, 1024));
  c.block_size = static_cast<int32_t>(value);
  return base::Status::ok_status();
}

base::Status set_max_logprobs(ServeConfig& c, const FlagValue& v, Notes&) {
  FOVEA_ASSIGN_OR_RETURN(const int64_t value, parse_int_in(v.text, -1, 1 << 20));
  c.max_logprobs = static_cast<int32_t>(value);
  return base::Status::ok_status();
}

base::Status set_device(ServeConfig& c, const FlagValue& v, Notes&) {
  c.cuda_device_index = 0;
  constexpr std::string_view kCudaPrefix = "cuda:";
  if (v.text.starts_with(kCudaPrefix)) {
    FOVEA_ASSIGN_OR_RETURN(const int64_t index, parse_int_in(std::string_view(v.text).substr(kCudaPrefix.size()), 0,
                                                             std::numeric_limits<int32_t>::max()));
    c.device = DeviceKind::kCuda;
    c.cuda_device_index = static_cast<int32_t>(index);
    return base::Status::ok_status();
  }
  return parse_choice<DeviceKind>(v.text,
                                  {{"auto", DeviceKind::kAuto}, {"cpu", DeviceKind::kCpu}, {"cuda", DeviceKind::kCuda}},
                                  {"neuron", "tpu", "xpu", "hpu", "rocm", "openvino"}, "device", c.device);
}

base::Status set_load_format(ServeConfig& c, const FlagValue& v, Notes&) {
  return parse_choice<LoadFormat>(
      v.text, {{"auto", LoadFormat::kAuto}, {"safetensors", LoadFormat::kSafetensors}, {"dummy", LoadFormat::kDummy}},
      {"pt", "npcache", "tensorizer", "sharded_state", "gguf", "bitsandbytes", "mistral", "runai_streamer",
       "runai_streamer_sharded", "fastsafetensors", "instanttensor"},
      "load format", c.load_format);
}

base::Status set_host(ServeConfig& c, const FlagValue& v, Notes&) {
  c.host = v.text;
  return base::Status::ok_status();
}

base::Status set_port(ServeConfig& c, const FlagValue& v, Notes&) {
  FOVEA_ASSIGN_OR_RETURN(const int64_t value, parse_int_in(v.text, 0, 65535));
  c.port = static_cast<int32_t>(value);
  return base::Status::ok_status();
}

base::Status set_api_key(ServeConfig& c, const FlagValue& v, Notes&) {
  c.api_keys = v.items;
  return base::Status::ok_status();
}

base::Status set_enable_log_requests(ServeConfig& c, const FlagValue& v, Notes&) {
  c.enable_log_requests = v.switch_on;
  return base::Status::ok_status();
}

base::Status set_disable_log_requests(ServeConfig& c, const FlagValue& v, Notes&) {
  c.enable_log_requests = !v.switch_on;
  return base::Status::ok_status();
}

base::Status set_disable_log_stats(ServeConfig& c, const FlagValue& v, Notes&) {
  c.disable_log_stats = v.switch_on;
  return base::Status::ok_status();
}

base::Status set_max_log_len(ServeConfig& c, const FlagValue& v, Notes&) {
  FOVEA_ASSIGN_OR_RETURN(c.max_log_len, parse_int_in(v.text, 0, std::numeric_limits<int64_t>::max()));
  return base::Status::ok_status();
}

base::Status parse_log_level(std::string_view text, LogLevel& out) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
  if (lower == "notset") lower = "debug";
  return parse_choice<LogLevel>(lower,
                                {{"critical", LogLevel::kCritical},
                                 {"error", LogLevel::kError},
                                 {"warning", LogLevel::kWarning},
                                 {"info", LogLevel::kInfo},
                                 {"debug", LogLevel::kDebug},
                                 {"trace", LogLevel::kTrace}},
                                {}, "log level", out);
}

base::Status set_uvicorn_log_level(ServeConfig& c, const FlagValue& v, Notes&) {
  return parse_log_level(v.text, c.uvicorn_log_level);
}

base::Status set_log_level(ServeConfig& c, const FlagValue& v, Notes&) { return parse_log_level(v.text, c.log_level); }

base::Status set_disable_uvicorn_access_log(ServeConfig& c, const FlagValue& v, Notes&) {
  c.disable_uvicorn_access_log = v.switch_on;
  return base::Status::ok_status();
}

// vLLM's form: comma-separated paths ("/health,/metrics"); blanks around the commas are dropped.
base::Status set_disable_access_log_for_endpoints(ServeConfig& c, const FlagValue& v, Notes&) {
  c.disable_access_log_for_endpoints.clear();
  size_t start = 0;
  while (start <= v.text.size()) {
    const size_t comma = std::min(v.text.find(',', start), v.text.size());
    std::string path = v.text.substr(start, comma - start);
    path.erase(0, path.find_first_not_of(" \t"));
    path.erase(path.find_last_not_of(" \t") + 1);
    if (!path.empty() && path.front() != '/') {
      return base::invalid_argument("'{}' is not an endpoint path; give paths such as /health,/metrics", path);
    }
    if (!path.empty()) c.disable_access_log_for_endpoints.push_back(std::move(path));
    start = comma + 1;
  }
  return base::Status::ok_status();
}

base::Status set_enable_request_id_headers(ServeConfig& c, const FlagValue& v, Notes&) {
  c.enable_request_id_headers = v.switch_on;
  return base::Status::ok_status();
}

base::Status set_enable_prompt_tokens_details(ServeConfig& c, const FlagValue& v, Notes&) {
  c.enable_prompt_tokens_details = v.switch_on;
  return base::Status::ok_status();
}

base::Status set_enable_force_include_usage(ServeConfig& c, const FlagValue& v, Notes&) {
  c.enable_force_include_usage = v.switch_on;
  return base::Status::ok_status();
}

base::Status set_metrics_require_auth(ServeConfig& c, const FlagValue& v, Notes&) {
  c.metrics_require_auth = v.switch_on;
  return base::Status::ok_status();
}

base::Status set_max_queue_len(ServeConfig& c, const FlagValue& v, Notes&) {
  FOVEA_ASSIGN_OR_RETURN(c.max_queue_len, parse_int_in(v.text, 0, std::numeric_limits<int64_t>::max()));
  return base::Status::ok_status();
}

base::Status set_drain_timeout(ServeConfig& c, const FlagValue& v, Notes&) {
  FOVEA_ASSIGN_OR_RETURN(c.drain_timeout_s, parse_double_in(v.text, 0.0, 86400.0, true));
  return base::Status::ok_status();
}

base::Status set_request_timeout(ServeConfig& c, const FlagValue& v, Notes&) {
  FOVEA_ASSIGN_OR_RETURN(c.request_timeout_s, parse_double_in(v.text, 0.0, 86400.0, true));
  return base::Status::ok_status();
}

base::Status set_max_request_body_bytes(ServeConfig& c, const FlagValue& v, Notes&) {
  FOVEA_ASSIGN_OR_RETURN(c.max_request_body_bytes, parse_tokens(v.text));
  return base::Status::ok_status();
}

// Aliases are listed as their own rows so lookups stay a plain scan.
const std::vector<FlagSpec> kFlags = {
    {"model", "", FlagArity::kValue, "PATH", "the model folder (vLLM prefers the positional form)", set_model},
    {"served-model-name", "", FlagArity::kList, "NAME...", "names clients may use; the first is reported",
     set_served_model_name},
    {"max-model-len", "", FlagArity::kValue, "TOKENS|auto", "context length: 131072, 128k, 128K, 1m or auto",
     set_max_model_len},
    {"max-num-seqs", "", FlagArity::kValue, "INT", "sequences per engine step", set_max_num_seqs},
    {"max-num-batched-tokens", "", FlagArity::kValue, "TOKENS", "token budget per engine step",
     set_max_num_batched_tokens},
    {"max-num-queued-reqs", "", FlagArity::kValue, "INT", "waiting + running requests before 503",
     set_max_num_queued_reqs},
    {"gpu-memory-utilization", "", FlagArity::kValue, "FRACTION", "share of GPU memory fovea may use (0, 1]",
     set_gpu_memory_utilization},
    {"device-memory-utilization", "", FlagArity::kValue, "FRACTION", "alias of --gpu-memory-utilization",
     set_gpu_memory_utilization},
    {"kv-cache-memory-bytes", "", FlagArity::kValue, "BYTES", "KV cache size, overriding the memory fraction",
     set_kv_cache_memory_bytes},
    {"num-gpu-blocks-override", "", FlagArity::kValue, "INT", "number of KV blocks (testing)",
     set_num_gpu_blocks_override},
    {"kv-cache-dtype", "", FlagArity::kValue, "auto|float16|bfloat16|fp8|fp8_e4m3|fp8_e5m2", "KV cache element type",
     set_kv_cache_dtype},
    {"tensor-parallel-size", "tp", FlagArity::kValue, "INT", "GPUs to split the model over", set_tensor_parallel_size},
    {"disable-custom-all-reduce", "", FlagArity::kSwitch, "",
     "every all-reduce between GPUs through NCCL (default: small ones peer-to-peer)", set_disable_custom_all_reduce},
    {"dtype", "", FlagArity::kValue, "auto|half|float16|bfloat16|float|float32", "weight and activation type",
     set_dtype},
    {"quantization", "q", FlagArity::kValue, "METHOD", "weight format; default: from the checkpoint", set_quantization},
    {"limit-mm-per-prompt", "", FlagArity::kJson, "JSON", "items per prompt: '{\"image\": 3, \"video\": 0}'",
     set_limit_mm_per_prompt},
    {"mm-encoder-tp-mode", "", FlagArity::kValue, "weights|data", "how the vision encoder uses tensor parallelism",
     set_mm_encoder_tp_mode},
    {"mm-processor-kwargs", "", FlagArity::kJson, "JSON", "image processor overrides: min_pixels, max_pixels, size",
     set_mm_processor_kwargs},
    {"allowed-local-media-path", "", FlagArity::kValue, "DIR", "folder file:// image URLs may read from",
     set_allowed_local_media_path},
    {"allowed-media-domains", "", FlagArity::kList, "DOMAIN...",
     "hosts http(s) image URLs may come from (default none: such URLs are refused)", set_allowed_media_domains},
    {"media-fetch-timeout", "", FlagArity::kValue, "SECONDS",
     "fovea: time limit of one http(s) image fetch (also env FOVEA_IMAGE_FETCH_TIMEOUT, VLLM_IMAGE_FETCH_TIMEOUT)",
     set_media_fetch_timeout},
    {"reasoning-parser", "", FlagArity::kValue, "qwen3|deepseek_r1", "split <think> text into reasoning_content",
     set_reasoning_parser},
    {"enable-auto-tool-choice", "", FlagArity::kSwitch, "", "let the model call tools (needs --tool-call-parser)",
     set_enable_auto_tool_choice},
    {"tool-call-parser", "", FlagArity::kValue, "hermes", "how tool calls are read from the output",
     set_tool_call_parser},
    {"chat-template", "", FlagArity::kValue, "FILE|TEMPLATE", "replace the model's chat template", set_chat_template},
    {"chat-template-content-format", "", FlagArity::kValue, "auto|string|openai", "how message content is rendered",
     set_chat_template_content_format},
    {"default-chat-template-kwargs", "", FlagArity::kJson, "JSON", "template variables: '{\"enable_thinking\": false}'",
     set_default_chat_template_kwargs},
    {"response-role", "", FlagArity::kValue, "ROLE", "role name of generated messages", set_response_role},
    {"generation-config", "", FlagArity::kValue, "auto|vllm|DIR", "where sampling defaults come from",
     set_generation_config},
    {"override-generation-config", "", FlagArity::kJson, "JSON", "sampling defaults: '{\"temperature\": 0.7}'",
     set_override_generation_config},
    {"enable-prefix-caching", "", FlagArity::kSwitch, "", "reuse KV blocks of shared prefixes (default on)",
     set_enable_prefix_caching},
    {"enforce-eager", "", FlagArity::kSwitch, "", "decode steps op by op, without CUDA graphs", set_enforce_eager},
    {"seed", "", FlagArity::kValue, "INT", "random seed", set_seed},
    {"block-size", "", FlagArity::kValue, "TOKENS", "tokens per KV block", set_block_size},
    {"max-logprobs", "", FlagArity::kValue, "INT", "most top logprobs a request may ask for", set_max_logprobs},
    {"device", "", FlagArity::kValue, "auto|cpu|cuda|cuda:N", "where to run (auto: cuda when there is one)",
     set_device},
    {"load-format", "", FlagArity::kValue, "auto|safetensors|dummy", "how weights are loaded", set_load_format},
    {"host", "", FlagArity::kValue, "HOST", "address to listen on (default: every interface)", set_host},
    {"port", "", FlagArity::kValue, "PORT", "port to listen on (default 8000)", set_port},
    {"api-key", "", FlagArity::kList, "KEY...", "require one of these keys (also env FOVEA_API_KEY)", set_api_key},
    {"enable-log-requests", "", FlagArity::kSwitch, "", "log each request", set_enable_log_requests},
    {"disable-log-requests", "", FlagArity::kSwitch, "", "older vLLM's opposite of --enable-log-requests",
     set_disable_log_requests},
    {"disable-log-stats", "", FlagArity::kSwitch, "", "no periodic throughput lines in the log", set_disable_log_stats},
    {"max-log-len", "", FlagArity::kValue, "INT", "prompt characters shown in request logs", set_max_log_len},
    {"uvicorn-log-level", "", FlagArity::kValue, "LEVEL", "level of the HTTP layer's log (access lines are info)",
     set_uvicorn_log_level},
    {"disable-uvicorn-access-log", "", FlagArity::kSwitch, "", "no HTTP access lines in the log",
     set_disable_uvicorn_access_log},
    {"disable-access-log-for-endpoints", "", FlagArity::kValue, "PATH,...",
     "no HTTP access lines for these paths (e.g. /health,/metrics)", set_disable_access_log_for_endpoints},
    {"log-level", "", FlagArity::kValue, "LEVEL", "fovea's log level", set_log_level},
    {"enable-request-id-headers", "", FlagArity::kSwitch, "", "send X-Request-Id on responses",
     set_enable_request_id_headers},
    {"enable-prompt-tokens-details", "", FlagArity::kSwitch, "", "usage.prompt_tokens_details.cached_tokens",
     set_enable_prompt_tokens_details},
    {"enable-force-include-usage", "", FlagArity::kSwitch, "", "usage on every response and stream",
     set_enable_force_include_usage},
    {"metrics-require-auth", "", FlagArity::kSwitch, "", "fovea: /metrics needs the API key too",
     set_metrics_require_auth},
    {"max-queue-len", "", FlagArity::kValue, "INT", "fovea: waiting requests before 503 (0: unbounded)",
     set_max_queue_len},
    {"drain-timeout", "", FlagArity::kValue, "SECONDS", "fovea: on SIGTERM, time for running requests",
     set_drain_timeout},
    {"shutdown-timeout", "", FlagArity::kValue, "SECONDS", "vLLM's name for --drain-timeout", set_drain_timeout},
    {"request-timeout", "", FlagArity::kValue, "SECONDS", "fovea: abort requests running longer (0: none)",
     set_request_timeout},
    {"max-request-body-bytes", "", FlagArity::kValue, "BYTES", "fovea: largest request body (default 64M)",
     set_max_request_body_bytes},
};

}  // namespace

const std::vector<FlagSpec>& serve_flag_specs() { return kFlags; }

const FlagSpec* find_serve_flag(std::string_view name) {
  for (const FlagSpec& spec : kFlags) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

const FlagSpec* find_serve_short_flag(std::string_view short_name) {
  if (short_name.empty()) return nullptr;
  for (const FlagSpec& spec : kFlags) {
    if (spec.short_name == short_name) return &spec;
  }
  return nullptr;
}

std::string legacy_mm_limit_as_json(std::string_view legacy_text) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  size_t start = 0;
  while (start <= legacy_text.size()) {
    size_t comma = legacy_text.find(',', start);
    if (comma == std::string_view::npos) comma = legacy_text.size();
    const std::string_view pair = legacy_text.substr(start, comma - start);
    const size_t equals = pair.find('=');
    if (equals != std::string_view::npos) {
      const std::string key(pair.substr(0, equals));
      const std::string_view count_text = pair.substr(equals + 1);
      int64_t count = 0;
      const auto [end, error] = std::from_chars(count_text.data(), count_text.data() + count_text.size(), count);
      if (error == std::errc() && end == count_text.data() + count_text.size()) {
        out[key] = count;
      } else {
        out[key] = std::string(count_text);
      }
    }
    start = comma + 1;
  }
  if (out.empty()) out["image"] = 3;
  return out.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string serve_flags_usage() {
  std::string out =
      "usage: fovea serve MODEL_DIR [flags]   (vLLM's flag names; --config FILE.yaml reads the same keys)\n";
  for (const FlagSpec& spec : kFlags) {
    std::string names = fmt::format("--{}", spec.name);
    if (!spec.short_name.empty()) names += fmt::format(", -{}", spec.short_name);
    if (spec.arity == FlagArity::kSwitch) names += fmt::format(" / --no-{}", spec.name);
    out += fmt::format("  {:<44} {:<16} {}\n", names, spec.metavar, spec.help);
  }
  return out;
}

}  // namespace fovea::serve
