// ChatTemplate: renders a model's chat template for a conversation exactly as transformers'
// apply_chat_template(tokenize=False) does: same message preprocessing (None keys dropped, reasoning fields
// aliased), same template variables (messages, tools, documents, add_generation_prompt, special tokens, extra
// kwargs), same Jinja semantics (text/template/). Must not contain template-engine internals or file lookup
// (io::load_chat_template finds the template).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "base/status.h"
#include "text/template/template.h"

namespace fovea::text {

struct ChatTemplateOptions {
  jinja::TemplateLimits limits;
  jinja::Clock clock;  // strftime_now's time; null means the system's local time
};

// One rendering request. JSON is ordered so that tool schemas keep their key order in `tojson`, as Python dicts
// do; parse requests with nlohmann::ordered_json to match transformers byte for byte.
struct ChatRenderRequest {
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();  // OpenAI-format messages
  nlohmann::ordered_json tools;      // null, or a list of tool definitions (JSON schemas)
  nlohmann::ordered_json documents;  // null, or a list of {"title", "text"} objects
  bool add_generation_prompt = true;
  nlohmann::ordered_json extra_kwargs;  // null, or an object of extra template variables ({"enable_thinking": false})
  std::string bos_token;                // empty: the template sees bos_token as undefined
  std::string eos_token;                // empty: undefined
};

class ChatTemplate {
 public:
  // Parses the template; fails with the line for syntax errors and unknown filters or tests.
  static base::Result<ChatTemplate> create(std::string_view source, ChatTemplateOptions options = {});

  // Renders the prompt text. Fails with a clear message for malformed requests, for templates that reject the
  // conversation (raise_exception) or misbehave (type errors, undefined values), and when a limit is hit.
  base::Result<std::string> render(const ChatRenderRequest& request) const;

 private:
  explicit ChatTemplate(jinja::Template engine) : engine_(std::move(engine)) {}

  jinja::Template engine_;
};

}  // namespace fovea::text
