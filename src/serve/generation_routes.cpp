// POST /v1/chat/completions and POST /v1/completions: validate, map onto the engine, then answer as one JSON
// response or as an SSE stream (role chunk, deltas, the usage chunk with include_usage, [DONE]).
// Must not contain HTTP library types.
#include <chrono>
#include <memory>
#include <utility>

#include "serve/chat_output.h"
#include "serve/completion_output.h"
#include "serve/generate_request_builder.h"
#include "serve/generation_run.h"
#include "serve/json_value.h"
#include "serve/models_response.h"
#include "serve/openai_routes.h"
#include "serve/sse_stream.h"
#include "text/tokenizer.h"

namespace fovea::serve {
namespace {

constexpr std::chrono::milliseconds kPollInterval{100};
// A comment line after this long without output keeps proxies from closing the stream and finds gone clients.
constexpr std::chrono::seconds kKeepAliveInterval{5};

Usage usage_from(const ServerContext& context, const engine::RequestUsage& usage) {
  Usage out;
  out.prompt_tokens = usage.prompt_tokens;
  out.completion_tokens = usage.completion_tokens;
  if (context.config().enable_prompt_tokens_details) out.cached_tokens = usage.cached_tokens;
  return out;
}

bool any_error(const std::vector<ChatChoice>& choices) {
  for (const ChatChoice& choice : choices) {
    if (choice.finish_reason == FinishReason::kError) return true;
  }
  return false;
}

HttpReply sse_reply() {
  HttpReply reply;
  reply.content_type = "text/event-stream";
  reply.headers.emplace_back("Cache-Control", "no-cache");
  reply.headers.emplace_back("X-Accel-Buffering", "no");
  return reply;
}

// Runs `run` to its end for a whole (non-streaming) answer; `on_update` sees every update. An ApiError when the
// request ran past --request-timeout.
template <typename OnUpdate>
MaybeApiError collect(ServerContext& context, GenerationRun& run, OnUpdate&& on_update) {
  while (!run.finished()) {
    std::optional<engine::RequestUpdate> update = run.next(kPollInterval);
    if (update) {
      on_update(*update);
    } else if (run.timed_out()) {
      run.cancel();
      return request_timeout(context.config().request_timeout_s);
    }
  }
  return std::nullopt;
}

// The stream loop shared by both routes: `on_update` turns an update into the SSE text to send ("" for none).
template <typename OnUpdate>
bool pump(ServerContext& context, GenerationRun& run, const StreamWriter& write, OnUpdate&& on_update) {
  auto last_write = std::chrono::steady_clock::now();
  while (!run.finished()) {
    std::optional<engine::RequestUpdate> update = run.next(kPollInterval);
    const auto now = std::chrono::steady_clock::now();
    if (!update) {
      if (run.timed_out()) {
        run.cancel();
        write(sse_error(request_timeout(context.config().request_timeout_s)));
        return false;
      }
      if (now - last_write >= kKeepAliveInterval) {
        if (!write(sse_keepalive())) {
          run.cancel();  // the client is gone: free its KV blocks now
          return false;
        }
        last_write = now;
      }
      continue;
    }
    const std::string text = on_update(*update);
    if (!text.empty()) {
      if (!write(text)) {
        run.cancel();
        return false;
      }
      last_write = now;
    }
  }
  return true;
}

// The id a generation answer carries: the client's X-Request-Id (vLLM's rule), else the body's request_id, else
// a random one.
std::string response_id(std::string_view prefix, const HttpRequestInfo& info, const std::string& body_request_id) {
  if (!info.client_request_id.empty()) return std::string(prefix) + info.client_request_id;
  return body_request_id.empty() ? make_response_id(prefix) : std::string(prefix) + body_request_id;
}

HttpReply with_id(HttpReply reply, const std::string& id) {
  reply.request_id = id;
  return reply;
}

// An error answer given instead of generating; the request log (when on) records it under `id`.
HttpReply failed(const ServerContext& context, const std::string& id, const ApiError& error) {
  context.request_log().failed(id, error);
  return with_id(error_reply(error), id);
}

HttpReply chat_stream(ServerContext& context, std::unique_ptr<GenerationRun> run_owned,
                      const ChatCompletionRequest& request, ResponseIdentity identity, ChatOutputOptions options) {
  HttpReply reply = sse_reply();
  auto run = std::shared_ptr<GenerationRun>(std::move(run_owned));
  const bool include_usage = request.include_usage || context.config().enable_force_include_usage;
  const bool continuous_usage = request.continuous_usage_stats;
  reply.stream = [&context, run, identity = std::move(identity), options, include_usage,
                  continuous_usage](const StreamWriter& write) {
    ChatOutput output(options);
    auto usage_now = [&]() -> std::optional<Usage> {
      if (!continuous_usage) return std::nullopt;
      return usage_from(context, run->usage());
    };
    if (!write(sse_json(build_chat_chunk(identity, output.role_deltas(context.config().response_role), usage_now())))) {
      return;
    }
    bool failed = false;
    const bool complete = pump(context, *run, write, [&](const engine::RequestUpdate& update) {
      std::vector<ChatDelta> deltas = output.add(update);
      std::string text;
      if (!deltas.empty()) text = sse_json(build_chat_chunk(identity, deltas, usage_now()));
      for (const ChatDelta& delta : deltas) failed = failed || delta.finish_reason == FinishReason::kError;
      return text;
    });
    if (!complete) return;
    if (failed) write(sse_error(internal_server_error()));
    if (include_usage) write(sse_json(build_chat_usage_chunk(identity, usage_from(context, run->usage()))));
    write(sse_done());
  };
  return reply;
}

HttpReply completion_stream(ServerContext& context, std::unique_ptr<GenerationRun> run_owned,
                            const CompletionRequest& request, ResponseIdentity identity,
                            CompletionOutputOptions options) {
  HttpReply reply = sse_reply();
  auto run = std::shared_ptr<GenerationRun>(std::move(run_owned));
  const bool include_usage = request.include_usage || context.config().enable_force_include_usage;
  const bool continuous_usage = request.continuous_usage_stats;
  reply.stream = [&context, run, identity = std::move(identity), options, include_usage,
                  continuous_usage](const StreamWriter& write) {
    CompletionOutput output(options);
    bool failed = false;
    const bool complete = pump(context, *run, write, [&](const engine::RequestUpdate& update) {
      std::vector<CompletionChoice> choices = output.add(update);
      if (choices.empty()) return std::string();
      for (const CompletionChoice& choice : choices) failed = failed || choice.finish_reason == FinishReason::kError;
      std::optional<Usage> usage;
      if (continuous_usage) usage = usage_from(context, run->usage());
      return sse_json(build_completion_chunk(identity, choices, usage));
    });
    if (!complete) return;
    if (failed) write(sse_error(internal_server_error()));
    if (include_usage) write(sse_json(build_completion_usage_chunk(identity, usage_from(context, run->usage()))));
    write(sse_done());
  };
  return reply;
}

// Token-id prompts can be checked against the context here; text prompts are checked by the engine.
MaybeApiError check_prompt_length(const ServerContext& context, const CompletionPrompt& prompt,
                                  const SamplingOptions& sampling) {
  const int64_t max_model_len = context.max_model_len_tokens();
  if (!prompt.is_token_ids || max_model_len <= 0) return std::nullopt;
  const auto num_prompt_tokens = static_cast<int64_t>(prompt.token_ids.size());
  const int64_t num_output_tokens = sampling.max_tokens.value_or(0);
  if (num_prompt_tokens + num_output_tokens > max_model_len) {
    return context_length_exceeded(num_prompt_tokens, num_output_tokens, max_model_len);
  }
  return std::nullopt;
}

}  // namespace

HttpReply handle_chat_completions(ServerContext& context, std::string_view body, const HttpRequestInfo& info) {
  ApiResult<ChatCompletionRequest> parsed = parse_chat_completion_request(body, context.limits());
  if (!parsed.ok()) return failed(context, response_id("chatcmpl-", info, ""), parsed.error());
  const ChatCompletionRequest& request = parsed.value();
  const std::string id = response_id("chatcmpl-", info, request.request_id);
  const std::vector<std::string> names = served_model_names(context.config());
  if (MaybeApiError error = check_requested_model(request.model, names)) return failed(context, id, *error);
  ApiResult<engine::GenerateRequest> generate =
      build_chat_generate_request(request, body, context.defaults(), make_response_id("req-"));
  if (!generate.ok()) return failed(context, id, generate.error());
  context.request_log().received(id, generate.value());
  ApiResult<std::unique_ptr<GenerationRun>> run = GenerationRun::start(context, std::move(generate).value(), id);
  if (!run.ok()) return failed(context, id, run.error());

  ResponseIdentity identity{id, unix_time_now_s(), request.model.empty() ? names.front() : request.model};
  ChatOutputOptions options;
  options.num_choices = request.sampling.n;
  options.include_reasoning = request.include_reasoning;
  options.logprobs = request.sampling.num_logprobs.has_value();
  options.return_token_ids = request.return_token_ids;
  if (request.stream) {
    return with_id(chat_stream(context, std::move(run).value(), request, std::move(identity), options), id);
  }

  ChatOutput output(options);
  if (MaybeApiError error = collect(context, *run.value(), [&](const engine::RequestUpdate& update) {
        output.add(update);
      })) {
    return with_id(error_reply(*error), id);
  }
  std::vector<ChatChoice> choices = output.choices();
  if (any_error(choices)) return with_id(error_reply(internal_server_error()), id);
  return with_id(json_reply(build_chat_completion(identity, context.config().response_role, choices,
                                                  usage_from(context, run.value()->usage()))),
                 id);
}

HttpReply handle_completions(ServerContext& context, std::string_view body, const HttpRequestInfo& info) {
  ApiResult<CompletionRequest> parsed = parse_completion_request(body, context.limits());
  if (!parsed.ok()) return failed(context, response_id("cmpl-", info, ""), parsed.error());
  const CompletionRequest& request = parsed.value();
  const std::string id = response_id("cmpl-", info, request.request_id);
  const std::vector<std::string> names = served_model_names(context.config());
  if (MaybeApiError error = check_requested_model(request.model, names)) return failed(context, id, *error);
  const CompletionPrompt& prompt = request.prompts.front();
  if (MaybeApiError error = check_prompt_length(context, prompt, request.sampling)) {
    return failed(context, id, *error);
  }
  ApiResult<engine::GenerateRequest> generate =
      build_completion_generate_request(request, prompt, make_response_id("req-"));
  if (!generate.ok()) return failed(context, id, generate.error());

  CompletionOutputOptions options;
  options.num_choices = request.sampling.n;
  options.logprobs = request.sampling.num_logprobs.has_value();
  options.return_token_ids = request.return_token_ids;
  if (request.echo) {
    if (!prompt.is_token_ids) {
      options.echo_text = prompt.text;
    } else if (engine::Engine* engine = context.engine()) {
      const std::vector<int32_t>& ids = *generate.value().prompt.token_ids;
      base::Result<std::string> text = engine->tokenizer().decode(ids, /*skip_special_tokens=*/false);
      if (!text.ok()) return failed(context, id, api_error_from_status(text.status()));
      options.echo_text = *text;
    }
  }
  context.request_log().received(id, generate.value());
  ApiResult<std::unique_ptr<GenerationRun>> run = GenerationRun::start(context, std::move(generate).value(), id);
  if (!run.ok()) return failed(context, id, run.error());

  ResponseIdentity identity{id, unix_time_now_s(), request.model.empty() ? names.front() : request.model};
  if (request.stream) {
    return with_id(completion_stream(context, std::move(run).value(), request, std::move(identity), options), id);
  }

  CompletionOutput output(options);
  if (MaybeApiError error = collect(context, *run.value(), [&](const engine::RequestUpdate& update) {
        output.add(update);
      })) {
    return with_id(error_reply(*error), id);
  }
  std::vector<CompletionChoice> choices = output.choices();
  for (const CompletionChoice& choice : choices) {
    if (choice.finish_reason == FinishReason::kError) return with_id(error_reply(internal_server_error()), id);
  }
  return with_id(json_reply(build_completion(identity, choices, usage_from(context, run.value()->usage()))), id);
}

}  // namespace fovea::serve
