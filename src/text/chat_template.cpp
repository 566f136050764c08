// Chat-level rendering: transformers' preprocessing of messages and template variables around the Jinja engine.
#include "text/chat_template.h"

#include <utility>
#include <vector>

#include "text/template/json_value.h"
#include "text/template/unicode_text.h"

namespace fovea::text {
namespace {

using nlohmann::ordered_json;

// One message as transformers hands it to the template: keys whose value is None are dropped (templates handle a
// missing key better than None), and the first non-null of reasoning_content, thinking and reasoning is also
// exposed as `thinking` (first key) and `reasoning_content` (kept in place, or appended), as
// _alias_reasoning_fields does.
base::Result<jinja::Value> prepare_message(const ordered_json& message, uint32_t max_depth) {
  const ordered_json* reasoning = nullptr;
  for (const char* key : {"reasoning_content", "thinking", "reasoning"}) {
    auto found = message.find(key);
    if (found != message.end() && !found->is_null()) {
      reasoning = &*found;
      break;
    }
  }
  auto dict = std::make_shared<jinja::Dict>();
  jinja::Value reasoning_value;
  if (reasoning != nullptr) {
    FOVEA_ASSIGN_OR_RETURN(reasoning_value, jinja::value_from_json(*reasoning, max_depth));
    FOVEA_RETURN_IF_ERROR(dict->set(jinja::Value::string("thinking"), reasoning_value));
  }
  for (const auto& [key, value] : message.items()) {
    if (value.is_null()) continue;
    if (!jinja::is_valid_utf8(key)) return base::invalid_argument("a message key is not valid UTF-8");
    FOVEA_ASSIGN_OR_RETURN(jinja::Value converted, jinja::value_from_json(value, max_depth));
    FOVEA_RETURN_IF_ERROR(dict->set(jinja::Value::string(key), std::move(converted)));
  }
  if (reasoning != nullptr) {
    FOVEA_RETURN_IF_ERROR(dict->set(jinja::Value::string("reasoning_content"), std::move(reasoning_value)));
  }
  return jinja::Value::dict(std::move(dict));
}

base::Result<jinja::Value> prepare_messages(const ordered_json& messages, uint32_t max_depth) {
  if (!messages.is_array()) return base::invalid_argument("messages must be a JSON list of message objects");
  if (messages.empty()) {
    return base::invalid_argument("Cannot apply chat template to an empty conversation. Provide at least one message.");
  }
  std::vector<jinja::Value> prepared;
  prepared.reserve(messages.size());
  for (size_t idx = 0; idx < messages.size(); ++idx) {
    if (!messages[idx].is_object()) {
      return base::invalid_argument("message {} is {}, but chat messages must be JSON objects", idx,
                                    messages[idx].type_name());
    }
    FOVEA_ASSIGN_OR_RETURN(jinja::Value message, prepare_message(messages[idx], max_depth));
    prepared.push_back(std::move(message));
  }
  return jinja::Value::sequence(std::move(prepared));
}

base::Status check_list_of_objects(const ordered_json& value, const char* what) {
  if (value.is_null()) return base::Status();
  if (!value.is_array()) return base::invalid_argument("{} must be a JSON list of objects or null", what);
  for (const auto& item : value) {
    if (!item.is_object()) return base::invalid_argument("every entry of {} must be a JSON object", what);
  }
  return base::Status();
}

}  // namespace

base::Result<ChatTemplate> ChatTemplate::create(std::string_view source, ChatTemplateOptions options) {
  jinja::TemplateOptions engine_options;
  engine_options.limits = options.limits;
  engine_options.clock = std::move(options.clock);
  auto engine = jinja::Template::parse(source, std::move(engine_options));
  if (!engine.ok()) return engine.status().with_context("chat template");
  return ChatTemplate(std::move(engine).value());
}

base::Result<std::string> ChatTemplate::render(const ChatRenderRequest& request) const {
  uint32_t max_depth = engine_.limits().max_nesting_depth;
  try {
    FOVEA_ASSIGN_OR_RETURN(jinja::Value messages_value, prepare_messages(request.messages, max_depth));
    FOVEA_RETURN_IF_ERROR(check_list_of_objects(request.tools, "tools"));
    FOVEA_RETURN_IF_ERROR(check_list_of_objects(request.documents, "documents"));
    if (!request.extra_kwargs.is_null() && !request.extra_kwargs.is_object()) {
      return base::invalid_argument("chat template kwargs must be a JSON object");
    }
    std::vector<std::pair<std::string, jinja::Value>> variables;
    // Special tokens first: explicit kwargs override them, as in apply_chat_template.
    if (!request.bos_token.empty()) variables.emplace_back("bos_token", jinja::Value::string(request.bos_token));
    if (!request.eos_token.empty()) variables.emplace_back("eos_token", jinja::Value::string(request.eos_token));
    if (request.extra_kwargs.is_object()) {
      for (const auto& [key, value] : request.extra_kwargs.items()) {
        if (key == "messages" || key == "tools" || key == "documents" || key == "add_generation_prompt") {
          return base::invalid_argument("chat template kwargs cannot set '{}': it is a parameter of the request itself",
                                        key);
        }
        FOVEA_ASSIGN_OR_RETURN(jinja::Value converted, jinja::value_from_json(value, max_depth));
        variables.emplace_back(key, std::move(converted));
      }
    }
    FOVEA_ASSIGN_OR_RETURN(jinja::Value tools_value, jinja::value_from_json(request.tools, max_depth));
    FOVEA_ASSIGN_OR_RETURN(jinja::Value documents_value, jinja::value_from_json(request.documents, max_depth));
    variables.emplace_back("messages", std::move(messages_value));
    variables.emplace_back("tools", std::move(tools_value));
    variables.emplace_back("documents", std::move(documents_value));
    variables.emplace_back("add_generation_prompt", jinja::Value::boolean(request.add_generation_prompt));
    auto rendered = engine_.render(std::move(variables));
    if (!rendered.ok()) return rendered.status().with_context("rendering the chat template");
    return rendered;
  } catch (const nlohmann::json::exception& error) {
    return base::invalid_argument("chat template input is not valid JSON: {}", error.what());
  }
}

}  // namespace fovea::text
