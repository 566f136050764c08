// Finding a model folder's chat template (Jinja source) the way transformers does, plus the bos/eos tokens the
// template may reference. `fovea render` and the engine's input processor call it. Must not render templates.
#pragma once

#include <string>

#include "base/status.h"

namespace fovea::io {

struct ChatTemplateSource {
  std::string template_text;  // the Jinja source
  std::string origin;         // file it came from: "chat_template.jinja", "chat_template.json" or
                              // "tokenizer_config.json" (or "additional_chat_templates/<name>.jinja")
  std::string bos_token;      // tokenizer_config.json's bos_token (string or {"content": ...}); empty if none
  std::string eos_token;      // likewise
};

// Finds the chat template in transformers' order of preference (transformers 5: the processor's legacy
// chat_template.json, then chat_template.jinja with additional_chat_templates/*.jinja, then tokenizer_config.json's
// chat_template, which the template files replace entirely). `name` selects among named templates
// (tokenizer_config.json's list form, or chat_template.json / additional_chat_templates/); "" means the default one.
base::Result<ChatTemplateSource> load_chat_template(const std::string& model_dir, const std::string& name = "");

}  // namespace fovea::io
