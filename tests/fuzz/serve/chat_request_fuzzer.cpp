// Fuzz target: untrusted /v1/chat/completions and /tokenize bodies -> validation -> the engine request. Any input
// must give a request that keeps the validated ranges and maps onto a GenerateRequest (messages as template JSON,
// as each --chat-template-content-format shapes them), or an error whose body is OpenAI's error JSON; never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "serve/chat_completion_request.h"
#include "serve/chat_response.h"
#include "serve/generate_request_builder.h"
#include "serve/json_value.h"
#include "serve/sse_stream.h"
#include "serve/tokenize_request.h"

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

void check_error(const fovea::serve::ApiError& error) {
  const nlohmann::json body = nlohmann::json::parse(error.to_body(), nullptr, false);
  require(!body.is_discarded() && body.contains("error"));
  require(error.http_status >= 400 && error.http_status < 600 && !error.message.empty());
  require(error.message.find('\n') == std::string::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fovea::serve;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  RequestLimits limits;
  limits.mm_limits.num_images = 3;
  limits.enable_auto_tool_choice = size % 2 == 0;
  limits.allow_local_media = size % 3 == 0;
  ApiResult<ChatCompletionRequest> request = parse_chat_completion_request(body, limits);
  if (request.ok()) {
    const SamplingOptions& sampling = request->sampling;
    require(!request->messages.empty());
    require(count_images(request->messages) <= limits.mm_limits.num_images);
    require(!sampling.temperature || (*sampling.temperature >= 0.0 && *sampling.temperature <= 2.0));
    require(!sampling.top_p || (*sampling.top_p > 0.0 && *sampling.top_p <= 1.0));
    require(sampling.n >= 1 && sampling.n <= limits.max_n);
    require(!sampling.max_tokens || *sampling.max_tokens >= 1);
    require(static_cast<int32_t>(sampling.stop.size()) <= limits.max_stop_strings);
    require(!sampling.num_logprobs || *sampling.num_logprobs <= limits.max_logprobs);
    // Echo the request's text through the response builders and SSE framing, as a server would.
    ChatDelta delta;
    delta.content = request->messages.front().content;
    delta.reasoning = request->model;
    const std::string event = sse_json(build_chat_chunk({"chatcmpl-x", 0, request->model}, {delta}, std::nullopt));
    require(event.size() >= 8 && event.compare(event.size() - 2, 2, "\n\n") == 0);
    ApiResult<fovea::engine::GenerateRequest> generate = build_chat_generate_request(request.value(), body, {}, "req-x");
    if (generate.ok()) {
      require(generate->prompt.chat && generate->prompt.chat->messages.size() == request->messages.size());
      require(request->tools.empty() || generate->prompt.chat->tools.size() == request->tools.size());
      require(dump_json(generate->prompt.chat->messages).size() > 2);
    } else {
      check_error(generate.error());
    }
    // String content (a text-only template): every message's content is one string and the images move beside
    // the messages, in order; a model without a vision tower refuses any image.
    GenerateDefaults string_format;
    string_format.content_format = ChatTemplateContentFormat::kString;
    string_format.supports_images = size % 5 != 0;
    ApiResult<fovea::engine::GenerateRequest> flattened =
        build_chat_generate_request(request.value(), body, string_format, "req-y");
    if (flattened.ok()) {
      require(flattened->prompt.chat && flattened->prompt.chat->messages.size() == request->messages.size());
      require(static_cast<int64_t>(flattened->prompt.image_urls.size()) == count_images(request->messages));
      require(string_format.supports_images || flattened->prompt.image_urls.empty());
      for (const auto& message : flattened->prompt.chat->messages) {
        require(!message.contains("content") || message["content"].is_string());
      }
    } else {
      check_error(flattened.error());
    }
  } else {
    check_error(request.error());
  }
  ApiResult<TokenizeRequest> tokenize = parse_tokenize_request(body, limits);
  if (!tokenize.ok()) check_error(tokenize.error());
  ApiResult<DetokenizeRequest> detokenize = parse_detokenize_request(body);
  if (!detokenize.ok()) check_error(detokenize.error());
  return 0;
}
