// ServeConfig -> EngineConfig, the KV-cache sizing rule over plan::plan_kv_cache, and vLLM's --chat-template reading.
// Must not contain flag parsing or engine code.
#include "serve/engine_options.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <system_error>

#include "base/file_util.h"
#include "plan/kv_cache_budget.h"
#include "serve/json_value.h"

namespace fovea::serve {
namespace {

// Chat templates are text; anything larger is not one.
constexpr uint64_t kMaxChatTemplateBytes = uint64_t{16} << 20;

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(std::string& out, uint32_t code_point) {
  if (code_point < 0x80) {
    out += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    out += static_cast<char>(0xC0 | (code_point >> 6));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x10000) {
    out += static_cast<char>(0xE0 | (code_point >> 12));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code_point >> 18));
    out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  }
}

// Python's unicode_escape decoding, which vLLM applies to an inline template: \\ \' \" \a \b \f \n \r \t \v, octal
// \ooo, \xhh, \uXXXX, \UXXXXXXXX; other backslashes stay as written. vLLM would also re-read non-ASCII bytes as
// Latin-1 (mangling them); fovea keeps them.
base::Result<std::string> decode_backslash_escapes(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t pos = 0; pos < text.size(); ++pos) {
    if (text[pos] != '\\' || pos + 1 == text.size()) {
      out += text[pos];
      continue;
    }
    const char kind = text[++pos];
    switch (kind) {
      case '\\': out += '\\'; continue;
      case '\'': out += '\''; continue;
      case '"': out += '"'; continue;
      case 'a': out += '\a'; continue;
      case 'b': out += '\b'; continue;
      case 'f': out += '\f'; continue;
      case 'n': out += '\n'; continue;
      case 'r': out += '\r'; continue;
      case 't': out += '\t'; continue;
      case 'v': out += '\v'; continue;
      case '\n': continue;  // a backslash before a line break joins the lines
      default: break;
    }
    if (kind >= '0' && kind <= '7') {
      uint32_t value = 0;
      size_t num_digits = 0;
      while (num_digits < 3 && pos < text.size() && text[pos] >= '0' && text[pos] <= '7') {
        value = value * 8 + static_cast<uint32_t>(text[pos++] - '0');
        ++num_digits;
      }
      --pos;
      append_utf8(out, value);
      continue;
    }
    const size_t num_hex = kind == 'x' ? 2 : kind == 'u' ? 4 : kind == 'U' ? 8 : 0;
    if (num_hex == 0) {
      out += '\\';
      out += kind;
      continue;
    }
    uint32_t value = 0;
    for (size_t digit_idx = 1; digit_idx <= num_hex; ++digit_idx) {
      const int digit = pos + digit_idx < text.size() ? hex_digit(text[pos + digit_idx]) : -1;
      if (digit < 0) {
        return base::invalid_argument("--chat-template: the escape \\{} at character {} needs {} hex digits", kind,
                                      pos, num_hex);
      }
      value = value * 16 + static_cast<uint32_t>(digit);
    }
    if (value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
      return base::invalid_argument("--chat-template: the escape at character {} is not a Unicode character", pos);
    }
    append_utf8(out, value);
    pos += num_hex;
  }
  return out;
}

bool is_readable_file(const std::string& path) {
  std::error_code error;
  return std::filesystem::is_regular_file(path, error);
}

// --override-generation-config (keys checked by the flag parser) as the engine's defaults.
engine::GenerationDefaults generation_overrides(const nlohmann::json& overrides) {
  engine::GenerationDefaults out;
  for (const auto& [key, value] : overrides.items()) {
    const std::optional<double> number = json_to_double(value);
    if (!number) continue;
    if (key == "temperature") out.temperature = *number;
    if (key == "top_p") out.top_p = *number;
    if (key == "top_k") out.top_k = static_cast<int32_t>(*number);
    if (key == "min_p") out.min_p = *number;
    if (key == "repetition_penalty") out.repetition_penalty = *number;
    if (key == "presence_penalty") out.presence_penalty = *number;
    if (key == "frequency_penalty") out.frequency_penalty = *number;
    if (key == "max_new_tokens") out.max_tokens = static_cast<int64_t>(*number);
  }
  return out;
}

}  // namespace

base::Result<std::string> read_chat_template_flag(std::string_view value) {
  const std::string path(value);
  if (is_readable_file(path)) return base::read_file(path, kMaxChatTemplateBytes);
  if (value.find_first_of("{}\n") == std::string_view::npos) {
    return base::not_found(
        "--chat-template {} looks like a file path, but it is not a readable file; pass an existing file or the "
        "template itself",
        path);
  }
  return decode_backslash_escapes(value);
}

base::Result<engine::KvCacheSizing> size_engine_kv_cache(const engine::KvCacheSizingInput& input) {
  if (input.text_config == nullptr) return base::internal_error("the KV-cache sizing input names no text config");
  FOVEA_ASSIGN_OR_RETURN(plan::KvCacheShape shape,
                         plan::kv_cache_shape(*input.text_config, input.kv_element_bytes, input.tensor_parallel_size,
                                              input.block_size_tokens));
  plan::KvCacheRequest request;
  request.shape = shape;
  request.gpu_memory_utilization = input.memory_utilization;
  request.max_model_len = input.max_model_len;
  request.max_model_len_auto_fit = input.max_model_len_auto_fit;
  request.reserved_bytes = input.reserved_bytes;
  if (input.kv_cache_memory_bytes) request.kv_cache_memory_bytes = static_cast<uint64_t>(*input.kv_cache_memory_bytes);
  request.num_gpu_blocks_override = input.num_gpu_blocks_override;
  const plan::KvCacheBudget budget = plan::plan_kv_cache({input.total_bytes, input.free_bytes}, request);
  if (!budget.fits()) return base::make_error(base::StatusCode::kResourceExhausted, "{}", budget.message);
  return engine::KvCacheSizing{budget.capacity.num_blocks, budget.max_model_len};
}

base::Result<engine::EngineConfig> engine_config_from_serve_config(const ServeConfig& config) {
  engine::EngineConfig out;
  out.model_dir = config.model;
  out.device = config.device_spec();
  out.tensor_parallel_size = config.tensor_parallel_size;
  out.shard_vision_weights = config.mm_encoder_tp_mode != MmEncoderTpMode::kData;
  out.disable_custom_all_reduce = config.disable_custom_all_reduce;
  out.dtype = model_dtype_name(config.dtype);
  out.kv_cache_dtype = kv_cache_dtype_name(config.kv_cache_dtype);
  out.load_format = load_format_name(config.load_format);
  out.max_model_len = config.max_model_len_tokens;
  out.max_model_len_auto_fit = config.max_model_len_auto_fit;
  out.block_size = config.block_size;
  out.num_kv_blocks = config.num_gpu_blocks_override;
  out.kv_cache_memory_bytes = config.kv_cache_memory_bytes;
  out.memory_utilization = config.gpu_memory_utilization;
  out.kv_cache_sizer = size_engine_kv_cache;
  if (config.max_num_seqs) out.max_num_seqs = *config.max_num_seqs;
  if (config.max_num_batched_tokens) out.max_num_batched_tokens = *config.max_num_batched_tokens;
  out.max_num_queued_requests = config.max_num_queued_reqs;
  out.enable_prefix_caching = config.enable_prefix_caching;
  out.max_images_per_prompt = config.limit_mm_per_prompt.num_images;
  out.min_pixels = config.mm_processor_kwargs.min_pixels;
  out.max_pixels = config.mm_processor_kwargs.max_pixels;
  if (!config.chat_template.empty()) {
    FOVEA_ASSIGN_OR_RETURN(out.chat_template, read_chat_template_flag(config.chat_template));
  }
  out.seed = static_cast<uint64_t>(config.seed);
  out.use_generation_config = config.generation_config != GenerationConfigSource::kVllm;
  if (config.generation_config == GenerationConfigSource::kFolder) out.generation_config_dir = config.generation_config_dir;
  out.generation_overrides = generation_overrides(config.override_generation_config);
  if (config.quantization != QuantizationMethod::kAuto) out.quantization = quantization_name(config.quantization);
  out.media.allowed_local_media_path = config.allowed_local_media_path;
  out.media.allowed_media_domains = config.allowed_media_domains;
  if (config.media_fetch_timeout_s) {
    out.media.fetch_timeout_ms = std::max<int64_t>(1, std::llround(*config.media_fetch_timeout_s * 1000.0));
  }
  out.enforce_eager = config.enforce_eager;
  return out;
}

}  // namespace fovea::serve
