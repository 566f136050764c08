// One request of a bench dataset, before it becomes a JSON body: the chat messages (OpenAI format, images as
// image_url parts), the output length asked for and what the dataset knows about its size.
// Must not contain HTTP or dataset generation.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace fovea::bench {

struct BenchRequest {
  nlohmann::json messages = nlohmann::json::array();  // [{"role", "content"}, ...]
  int64_t max_tokens = 0;                             // sent as max_completion_tokens; 0 leaves it to the server
  int64_t num_images = 0;                             // image_url parts over all messages
  int64_t text_input_tokens = 0;  // the user text's token count the dataset aimed at (random datasets), else 0
};

struct RequestBodyOptions {
  std::string model;
  bool ignore_eos = false;
  nlohmann::json extra_body = nlohmann::json::object();  // merged over the generated fields (--extra-body)
};

// The streaming chat/completions body: model, messages, max_completion_tokens, stream with include_usage (so the
// token counts are the server's own), ignore_eos when asked, then --extra-body's fields.
std::string chat_request_body(const BenchRequest& request, const RequestBodyOptions& options);

}  // namespace fovea::bench
