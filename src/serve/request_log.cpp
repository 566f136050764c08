// Request log lines.
// Must not contain HTTP transport or response JSON.
#include "serve/request_log.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <vector>

#include "base/log.h"
#include "serve/json_value.h"

namespace fovea::serve {
namespace {

using nlohmann::ordered_json;

bool is_utf8_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// A data: URL is the image itself; the log gets its media type and size only.
std::string url_for_log(const std::string& url) {
  if (url.rfind("data:", 0) != 0) return url;
  const size_t comma = url.find(',');
  const std::string head = url.substr(0, comma == std::string::npos ? std::min<size_t>(url.size(), 48) : comma);
  return fmt::format("{},<{} bytes>", head, url.size());
}

ordered_json messages_for_log(const ordered_json& messages) {
  ordered_json out = messages;
  for (ordered_json& message : out) {
    if (!message.is_object() || !message.contains("content") || !message["content"].is_array()) continue;
    for (ordered_json& part : message["content"]) {
      if (!part.is_object() || !part.contains("image_url")) continue;
      ordered_json& holder = part["image_url"];
      if (holder.is_string()) holder = url_for_log(holder.get<std::string>());
      if (holder.is_object() && holder.contains("url") && holder["url"].is_string()) {
        holder["url"] = url_for_log(holder["url"].get<std::string>());
      }
    }
  }
  return out;
}

// Python's repr of a float (vLLM prints SamplingParams with it): 0.0 rather than 0.
std::string python_number(double value) {
  std::string out = fmt::format("{}", value);
  if (out.find_first_of(".eEn") == std::string::npos) out += ".0";
  return out;
}
template <typename T>
std::string python_number(T value) {
  return fmt::format("{}", value);
}

std::string json_quoted(std::string_view text) {
  return nlohmann::json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string shorten_for_log(std::string_view text, std::optional<int64_t> max_chars) {
  if (!max_chars) return std::string(text);
  int64_t num_chars = 0;
  for (size_t byte_idx = 0; byte_idx < text.size(); ++byte_idx) {
    if (is_utf8_continuation(text[byte_idx])) continue;
    if (num_chars == *max_chars) return std::string(text.substr(0, byte_idx));
    ++num_chars;
  }
  return std::string(text);
}

std::string describe_prompt_for_log(const engine::PromptInput& prompt, std::optional<int64_t> max_chars) {
  if (prompt.chat) {
    return "messages: " + shorten_for_log(dump_json(messages_for_log(prompt.chat->messages)), max_chars);
  }
  if (prompt.token_ids) {
    const std::vector<int32_t>& ids = *prompt.token_ids;
    size_t num_shown = ids.size();
    if (max_chars && static_cast<size_t>(*max_chars) < num_shown) num_shown = static_cast<size_t>(*max_chars);
    return fmt::format("prompt_token_ids: [{}]",
                       fmt::join(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(num_shown), ", "));
  }
  return "prompt: " + json_quoted(shorten_for_log(prompt.text.value_or(""), max_chars));
}

std::string describe_sampling_for_log(const engine::SamplingRequest& sampling) {
  std::vector<std::string> fields = {fmt::format("n={}", sampling.n)};
  const auto add = [&fields](const char* name, const auto& value) {
    if (value) fields.push_back(fmt::format("{}={}", name, python_number(*value)));
  };
  add("temperature", sampling.temperature);
  add("top_p", sampling.top_p);
  add("top_k", sampling.top_k);
  add("min_p", sampling.min_p);
  add("presence_penalty", sampling.presence_penalty);
  add("frequency_penalty", sampling.frequency_penalty);
  add("repetition_penalty", sampling.repetition_penalty);
  add("seed", sampling.seed);
  add("max_tokens", sampling.max_tokens);
  if (sampling.min_tokens > 0) fields.push_back(fmt::format("min_tokens={}", sampling.min_tokens));
  if (!sampling.stop.empty()) {
    std::vector<std::string> stops;
    for (const std::string& stop : sampling.stop) stops.push_back(json_quoted(stop));
    fields.push_back(fmt::format("stop=[{}]", fmt::join(stops, ", ")));
  }
  if (!sampling.stop_token_ids.empty()) {
    fields.push_back(fmt::format("stop_token_ids=[{}]", fmt::join(sampling.stop_token_ids, ", ")));
  }
  if (sampling.ignore_eos) fields.emplace_back("ignore_eos=True");
  if (sampling.include_stop_str_in_output) fields.emplace_back("include_stop_str_in_output=True");
  if (sampling.skip_special_tokens) {
    fields.push_back(fmt::format("skip_special_tokens={}", *sampling.skip_special_tokens ? "True" : "False"));
  }
  add("logprobs", sampling.logprobs);
  if (!sampling.logit_bias.empty()) fields.push_back(fmt::format("logit_bias=<{} tokens>", sampling.logit_bias.size()));
  return fmt::format("SamplingParams({})", fmt::join(fields, ", "));
}

int32_t count_prompt_images(const engine::PromptInput& prompt) {
  if (!prompt.chat) return 0;
  auto num_images = static_cast<int32_t>(prompt.image_urls.size());
  for (const ordered_json& message : prompt.chat->messages) {
    if (!message.is_object() || !message.contains("content") || !message["content"].is_array()) continue;
    for (const ordered_json& part : message["content"]) {
      num_images += part.is_object() && part.contains("image_url") ? 1 : 0;
    }
  }
  return num_images;
}

std::string RequestLog::received_line(std::string_view request_id, const engine::GenerateRequest& request) const {
  return fmt::format("Received request {}: {}, params: {}, images: {}", request_id,
                     describe_prompt_for_log(request.prompt, max_log_len_), describe_sampling_for_log(request.sampling),
                     count_prompt_images(request.prompt));
}

void RequestLog::received(std::string_view request_id, const engine::GenerateRequest& request) const {
  if (enabled_) FOVEA_LOG_INFO("{}", received_line(request_id, request));
}

void RequestLog::finished(std::string_view request_id, std::string_view finish_reason,
                          const engine::RequestUsage& usage, double elapsed_s) const {
  if (!enabled_) return;
  FOVEA_LOG_INFO(
      "Finished request {}: finish_reason: {}, prompt_tokens: {}, completion_tokens: {}, cached_tokens: {}, "
      "elapsed: {:.3f} s",
      request_id, finish_reason, usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens, elapsed_s);
}

void RequestLog::failed(std::string_view request_id, const ApiError& error) const {
  if (!enabled_) return;
  FOVEA_LOG_INFO("Failed request {}: {} {}: {}", request_id, error.http_status, error.type, error.message);
}

}  // namespace fovea::serve
