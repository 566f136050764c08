// The route handlers of `fovea serve`, free of the HTTP library: each takes the shared ServerContext and the
// request body and returns an HttpReply (JSON, an OpenAI error, or an SSE stream). Auth, body limits and unknown
// routes are the transport's (http_server.h). Must not contain HTTP library types.
#pragma once

#include <string_view>

#include "serve/http_reply.h"
#include "serve/server_context.h"

namespace fovea::serve {

// Generation routes: the response id is built on the client's X-Request-Id when it sent one (vLLM's rule), else on
// the body's request_id, else a random id; the reply carries it in HttpReply::request_id.
HttpReply handle_chat_completions(ServerContext& context, std::string_view body, const HttpRequestInfo& info);
HttpReply handle_completions(ServerContext& context, std::string_view body, const HttpRequestInfo& info);
HttpReply handle_models(ServerContext& context);
HttpReply handle_tokenize(ServerContext& context, std::string_view body);
HttpReply handle_detokenize(ServerContext& context, std::string_view body);
HttpReply handle_health(ServerContext& context);
HttpReply handle_health_live();
HttpReply handle_metrics(ServerContext& context);
HttpReply handle_version(ServerContext& context);

// The names clients may send as "model": --served-model-name, else the model argument.
std::vector<std::string> served_model_names(const ServeConfig& config);

}  // namespace fovea::serve
