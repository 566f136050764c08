// Fuzz target: the input bytes are a chat template, rendered against a fixed conversation with tools, images and
// reasoning, under small limits so every input finishes fast. Any crash, sanitizer report or hang is a bug;
// errors are expected and fine.
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <string_view>

#include "text/chat_template.h"

namespace {

const nlohmann::ordered_json& conversation() {
  static const nlohmann::ordered_json messages = nlohmann::ordered_json::parse(R"([
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": [{"type": "text", "text": "What is in this picture? é😀"},
                                 {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
                                 {"type": "video", "video": "clip.mp4"}]},
    {"role": "assistant", "content": "<think>\nlooking\n</think>\n\nA cat.", "reasoning_content": null,
     "tool_calls": [{"id": "call_123456789", "type": "function",
                     "function": {"name": "lookup", "arguments": {"q": "cat", "n": 2.5}}}]},
    {"role": "tool", "tool_call_id": "call_123456789", "content": "{\"found\": true}"},
    {"role": "assistant", "content": "", "thinking": "done"},
    {"role": "user", "content": "Thanks! {{ not a tag }}"}
  ])");
  return messages;
}

const nlohmann::ordered_json& tools() {
  static const nlohmann::ordered_json list = nlohmann::ordered_json::parse(R"([
    {"type": "function", "function": {"name": "lookup", "description": "Look things up",
     "parameters": {"type": "object", "properties": {"q": {"type": "string"}, "n": {"type": "number"}}}}}
  ])");
  return list;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fovea::text::ChatTemplateOptions options;
  options.limits.max_steps = 200000;
  options.limits.max_output_bytes = 1 << 20;
  options.limits.max_string_bytes = 1 << 20;
  options.limits.max_items = 1 << 16;
  options.limits.max_allocated_bytes = 64 << 20;
  options.limits.max_call_depth = 50;
  options.clock = [] {
    std::tm when{};
    when.tm_year = 125;
    when.tm_mon = 2;
    when.tm_mday = 14;
    return when;
  };
  auto chat_template =
      fovea::text::ChatTemplate::create(std::string_view(reinterpret_cast<const char*>(data), size), options);
  if (!chat_template.ok()) return 0;
  fovea::text::ChatRenderRequest request;
  request.messages = conversation();
  request.tools = tools();
  request.extra_kwargs = {{"enable_thinking", false}};
  request.bos_token = "<s>";
  request.eos_token = "</s>";
  for (bool add_generation_prompt : {false, true}) {
    request.add_generation_prompt = add_generation_prompt;
    (void)chat_template->render(request);
  }
  return 0;
}
