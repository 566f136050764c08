// Reading one OpenAI stream chunk's JSON (chat.completion.chunk or text_completion) for the bench.
// Must not contain SSE framing or timing; nlohmann exceptions stop here.
#include "bench/stream_chunk.h"

#include <nlohmann/json.hpp>

namespace fovea::bench {
namespace {

// Appends a string field when present and non-empty; null and absent mean "nothing"; another type is an error.
base::Status append_text(const nlohmann::json& object, const char* key, std::string& out, bool& has_output) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return base::Status::ok_status();
  if (!it->is_string()) {
    return base::data_loss("the stream chunk's `{}` is {}, not a string; the server is not OpenAI-compatible", key,
                           it->type_name());
  }
  const std::string& text = it->get_ref<const std::string&>();
  if (!text.empty()) {
    out += text;
    has_output = true;
  }
  return base::Status::ok_status();
}

base::Result<int64_t> token_count(const nlohmann::json& usage, const char* key) {
  auto it = usage.find(key);
  if (it == usage.end()) {
    return base::data_loss("the stream's usage chunk has no `{}`; the server is not OpenAI-compatible", key);
  }
  if (!it->is_number_integer() || it->get<int64_t>() < 0) {
    return base::data_loss("the stream's usage `{}` is {}, not a token count", key, it->dump());
  }
  return it->get<int64_t>();
}

base::Status read_choices(const nlohmann::json& choices, StreamChunk& chunk) {
  if (!choices.is_array()) return base::data_loss("the stream chunk's `choices` is not an array");
  chunk.has_choices = !choices.empty();
  for (const nlohmann::json& choice : choices) {
    if (!choice.is_object()) return base::data_loss("an element of the stream chunk's `choices` is not an object");
    FOVEA_RETURN_IF_ERROR(append_text(choice, "text", chunk.text, chunk.has_output));
    auto delta = choice.find("delta");
    if (delta == choice.end() || delta->is_null()) continue;
    if (!delta->is_object()) return base::data_loss("a stream choice's `delta` is not an object");
    FOVEA_RETURN_IF_ERROR(append_text(*delta, "reasoning_content", chunk.text, chunk.has_output));
    FOVEA_RETURN_IF_ERROR(append_text(*delta, "reasoning", chunk.text, chunk.has_output));
    FOVEA_RETURN_IF_ERROR(append_text(*delta, "content", chunk.text, chunk.has_output));
  }
  return base::Status::ok_status();
}

std::string error_text(const nlohmann::json& error) {
  if (error.is_object()) {
    auto message = error.find("message");
    if (message != error.end() && message->is_string()) return message->get<std::string>();
  }
  if (error.is_string()) return error.get<std::string>();
  return error.dump();
}

}  // namespace

base::Result<StreamChunk> parse_stream_chunk(std::string_view data) {
  StreamChunk chunk;
  if (data == "[DONE]") {
    chunk.is_done = true;
    return chunk;
  }
  nlohmann::json value;
  try {
    value = nlohmann::json::parse(data);
  } catch (const nlohmann::json::exception& error) {
    return base::data_loss("a stream event is not JSON ({}); the server is not OpenAI-compatible", error.what());
  }
  if (!value.is_object()) return base::data_loss("a stream event is JSON but not an object");
  if (auto error = value.find("error"); error != value.end() && !error->is_null()) {
    chunk.error_message = error_text(*error);
    return chunk;
  }
  if (auto choices = value.find("choices"); choices != value.end() && !choices->is_null()) {
    FOVEA_RETURN_IF_ERROR(read_choices(*choices, chunk));
  }
  if (auto usage = value.find("usage"); usage != value.end() && !usage->is_null()) {
    if (!usage->is_object()) return base::data_loss("the stream chunk's `usage` is not an object");
    StreamUsage counts;
    FOVEA_ASSIGN_OR_RETURN(counts.prompt_tokens, token_count(*usage, "prompt_tokens"));
    FOVEA_ASSIGN_OR_RETURN(counts.completion_tokens, token_count(*usage, "completion_tokens"));
    chunk.usage = counts;
  }
  return chunk;
}

}  // namespace fovea::bench
