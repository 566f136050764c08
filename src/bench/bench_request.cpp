// The JSON body of one bench request. Must not contain HTTP or dataset generation.
#include "bench/bench_request.h"

namespace fovea::bench {

std::string chat_request_body(const BenchRequest& request, const RequestBodyOptions& options) {
  nlohmann::json body = nlohmann::json::object();
  body["model"] = options.model;
  body["messages"] = request.messages;
  if (request.max_tokens > 0) body["max_completion_tokens"] = request.max_tokens;
  body["stream"] = true;
  body["stream_options"] = {{"include_usage", true}};
  if (options.ignore_eos) body["ignore_eos"] = true;
  for (const auto& [key, value] : options.extra_body.items()) body[key] = value;
  return body.dump();
}

}  // namespace fovea::bench
