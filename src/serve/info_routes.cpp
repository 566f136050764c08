// GET /v1/models, POST /tokenize and /detokenize (vLLM's shapes), /health, /health/live, /metrics, /version.
// Must not contain HTTP library types.
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "serve/generate_request_builder.h"
#include "serve/models_response.h"
#include "serve/response_types.h"
#include "serve/openai_routes.h"
#include "serve/tokenize_request.h"
#include "text/tokenizer.h"

namespace fovea::serve {
namespace {

// The server's start, as the "created" time of its model cards.
const int64_t kServerStartTime = unix_time_now_s();

// 500 with code "engine_dead": the engine's steps keep failing (engine::EngineStats::engine_dead).
ApiError engine_dead() {
  ApiError error;
  error.http_status = 500;
  error.message = "The engine failed on its last steps and serves no requests; restart the server.";
  error.type = "server_error";
  error.code = "engine_dead";
  return error;
}

}  // namespace

std::vector<std::string> served_model_names(const ServeConfig& config) {
  if (!config.served_model_names.empty()) return config.served_model_names;
  return {config.model};
}

HttpReply handle_models(ServerContext& context) {
  return json_reply(
      build_models_response(served_model_names(context.config()), kServerStartTime, context.max_model_len_tokens()));
}

HttpReply handle_tokenize(ServerContext& context, std::string_view body) {
  ApiResult<TokenizeRequest> parsed = parse_tokenize_request(body, context.limits());
  if (!parsed.ok()) return error_reply(parsed.error());
  const TokenizeRequest& request = parsed.value();
  if (MaybeApiError error = check_requested_model(request.model, served_model_names(context.config()))) {
    return error_reply(*error);
  }
  if (request.continue_final_message) {
    return error_reply(unsupported_parameter(
        "`continue_final_message` is not supported; end the conversation with a user turn.", "continue_final_message"));
  }
  ApiResult<engine::Engine*> engine = context.ready_engine();
  if (!engine.ok()) return error_reply(engine.error());
  std::string text = request.prompt;
  if (request.is_chat) {
    const text::ChatTemplate* chat_template = context.chat_template();
    if (chat_template == nullptr) {
      return error_reply(bad_request("This model has no chat template; send `prompt` instead of `messages`.",
                                     "messages"));
    }
    ApiResult<text::ChatRenderRequest> render_or = build_tokenize_render_request(request, body, context.defaults());
    if (!render_or.ok()) return error_reply(render_or.error());
    text::ChatRenderRequest render = std::move(render_or).value();
    render.bos_token = context.bos_token();
    render.eos_token = context.eos_token();
    base::Result<std::string> rendered = chat_template->render(render);
    if (!rendered.ok()) return error_reply(api_error_from_status(rendered.status()));
    text = std::move(*rendered);
  }
  const text::Tokenizer& tokenizer = engine.value()->tokenizer();
  base::Result<std::vector<int32_t>> ids = tokenizer.encode(text, request.add_special_tokens);
  if (!ids.ok()) return error_reply(api_error_from_status(ids.status()));
  std::vector<int64_t> tokens(ids->begin(), ids->end());
  std::vector<std::string> token_strs;
  if (request.return_token_strs) {
    for (int32_t id : *ids) token_strs.push_back(tokenizer.id_to_token(id).value_or(""));
  }
  return json_reply(build_tokenize_response(tokens, context.max_model_len_tokens(),
                                            request.return_token_strs ? &token_strs : nullptr));
}

HttpReply handle_detokenize(ServerContext& context, std::string_view body) {
  ApiResult<DetokenizeRequest> parsed = parse_detokenize_request(body);
  if (!parsed.ok()) return error_reply(parsed.error());
  if (MaybeApiError error = check_requested_model(parsed->model, served_model_names(context.config()))) {
    return error_reply(*error);
  }
  ApiResult<engine::Engine*> engine = context.ready_engine();
  if (!engine.ok()) return error_reply(engine.error());
  const text::Tokenizer& tokenizer = engine.value()->tokenizer();
  std::vector<int32_t> ids;
  ids.reserve(parsed->tokens.size());
  for (size_t idx = 0; idx < parsed->tokens.size(); ++idx) {
    const int64_t id = parsed->tokens[idx];
    if (id < 0 || id >= tokenizer.id_limit()) {
      return error_reply(bad_request(
          "`tokens[" + std::to_string(idx) + "]` is not a token id of this model's vocabulary.", "tokens"));
    }
    ids.push_back(static_cast<int32_t>(id));
  }
  base::Result<std::string> text = tokenizer.decode(ids, /*skip_special_tokens=*/false);
  if (!text.ok()) return error_reply(api_error_from_status(text.status()));
  return json_reply(build_detokenize_response(*text));
}

HttpReply handle_health(ServerContext& context) {
  ApiResult<engine::Engine*> engine = context.ready_engine();
  if (!engine.ok()) return error_reply(engine.error());
  // vLLM answers 500 once its engine core is dead; `fovea check --url` reads the code.
  if (engine.value()->stats().engine_dead) return error_reply(engine_dead());
  HttpReply reply;
  reply.content_type = "text/plain";
  return reply;
}

HttpReply handle_health_live() {
  HttpReply reply;
  reply.content_type = "text/plain";
  return reply;
}

HttpReply handle_metrics(ServerContext& context) {
  if (engine::Engine* engine = context.engine()) {
    context.feed().update_engine_info(engine->info());
    context.feed().update(engine->stats());
    context.feed().update_gpus(engine->gpu_status());
  }
  HttpReply reply;
  reply.content_type = "text/plain; version=0.0.4; charset=utf-8";
  reply.body = context.metrics().render();
  return reply;
}

HttpReply handle_version(ServerContext& context) {
  return json_reply(build_version_response(context.options().version));
}

}  // namespace fovea::serve
