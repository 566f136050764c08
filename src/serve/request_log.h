// RequestLog: vLLM's request logging (--enable-log-requests, --max-log-len): one line when a generation request is
// received (its id, the messages or prompt cut to --max-log-len characters, the sampling parameters, the number
// of images) and one with its outcome (finish reason, token counts and time, or the error it was answered with).
// Off by default, as in vLLM. Must not contain HTTP transport or response JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/runtime/generate_request.h"
#include "engine/runtime/request_update.h"
#include "serve/api_error.h"

namespace fovea::serve {

// `text` cut to at most `max_chars` Unicode characters (vLLM slices the Python string); unset: whole.
std::string shorten_for_log(std::string_view text, std::optional<int64_t> max_chars);

// The messages (compact JSON; data: URLs shown by size only) or the prompt text (quoted) or its token ids, cut
// to `max_chars` characters (token ids: to `max_chars` ids, as vLLM does).
std::string describe_prompt_for_log(const engine::PromptInput& prompt, std::optional<int64_t> max_chars);

// The sampling fields the client set, vLLM's SamplingParams(...) style; unset fields are the model's defaults.
std::string describe_sampling_for_log(const engine::SamplingRequest& sampling);

// Image parts of a chat prompt.
int32_t count_prompt_images(const engine::PromptInput& prompt);

class RequestLog {
 public:
  RequestLog(bool enabled, std::optional<int64_t> max_log_len) : enabled_(enabled), max_log_len_(max_log_len) {}

  bool enabled() const { return enabled_; }
  // "Received request <id>: messages: [...], params: SamplingParams(...), images: N"
  std::string received_line(std::string_view request_id, const engine::GenerateRequest& request) const;

  void received(std::string_view request_id, const engine::GenerateRequest& request) const;
  // finish_reason: "stop", "length", "abort", "error" (abort: the client went away or the request timed out).
  void finished(std::string_view request_id, std::string_view finish_reason, const engine::RequestUsage& usage,
                double elapsed_s) const;
  // A request answered with an error before or instead of generating.
  void failed(std::string_view request_id, const ApiError& error) const;

 private:
  bool enabled_;
  std::optional<int64_t> max_log_len_;
};

}  // namespace fovea::serve
