// Fuzz target: untrusted /v1/completions bodies -> validation. Any input must give a request that keeps the
// validated ranges, or an error whose body is OpenAI's error JSON; never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "serve/completion_request.h"
#include "serve/completion_response.h"

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fovea::serve;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  RequestLimits limits;
  limits.max_prompts_per_request = 1 + static_cast<int32_t>(size % 4);
  ApiResult<CompletionRequest> request = parse_completion_request(body, limits);
  if (request.ok()) {
    require(!request->prompts.empty());
    require(static_cast<int32_t>(request->prompts.size()) <= limits.max_prompts_per_request);
    for (const CompletionPrompt& prompt : request->prompts) {
      require(prompt.is_token_ids ? !prompt.token_ids.empty() : !prompt.text.empty());
      for (int64_t token_id : prompt.token_ids) require(token_id >= 0);
    }
    require(request->sampling.max_tokens && *request->sampling.max_tokens >= (request->echo ? 0 : 1));
    CompletionChoice choice;
    choice.text = request->prompts.front().text;
    (void)build_completion({"cmpl-x", 0, request->model}, {choice}, Usage{})
        .dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  } else {
    const nlohmann::json parsed = nlohmann::json::parse(request.error().to_body(), nullptr, false);
    require(!parsed.is_discarded() && request.error().http_status == 400);
  }
  return 0;
}
