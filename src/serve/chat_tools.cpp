// Tool definitions and tool_choice validation.
// Must not contain tool-call parsing of model output.
#include "serve/chat_tools.h"

#include <fmt/format.h>

#include "serve/json_value.h"
#include "serve/request_fields.h"

namespace fovea::serve {
namespace {

constexpr const char* kNamedChoiceUsage = "{\"type\": \"function\", \"function\": {\"name\": \"my_function\"}}";

MaybeApiError parse_tool(const nlohmann::json& tool, const std::string& param, ToolDefinition& out) {
  if (!tool.is_object()) return wrong_type(param, "an object {\"type\": \"function\", \"function\": {...}}", tool);
  if (const nlohmann::json* type = find_field(tool, "type")) {
    if (!type->is_string() || type->get<std::string>() != "function") {
      return bad_request(fmt::format("`{}.type` must be \"function\".", param), child_param(param, "type"));
    }
  }
  const std::string function_param = child_param(param, "function");
  const nlohmann::json* function = find_field(tool, "function");
  if (function == nullptr || !function->is_object()) {
    return bad_request(fmt::format("`{}` must be an object with a name.", function_param), function_param);
  }
  std::optional<std::string> name;
  const std::string name_param = child_param(function_param, "name");
  FOVEA_RETURN_IF_API_ERROR(read_string_field(*function, "name", name_param, name));
  if (!name || name->empty()) return bad_request(fmt::format("`{}` is required.", name_param), name_param);
  out.name = std::move(*name);
  std::optional<std::string> description;
  FOVEA_RETURN_IF_API_ERROR(
      read_string_field(*function, "description", child_param(function_param, "description"), description));
  out.description = description.value_or("");
  if (const nlohmann::json* parameters = find_field(*function, "parameters")) {
    if (!parameters->is_object()) {
      return wrong_type(child_param(function_param, "parameters"), "a JSON Schema object", *parameters);
    }
    out.parameters = *parameters;
  }
  std::optional<bool> strict;
  FOVEA_RETURN_IF_API_ERROR(read_bool_field(*function, "strict", child_param(function_param, "strict"), strict));
  out.strict = strict;
  return std::nullopt;
}

MaybeApiError parse_choice(const nlohmann::json& value, const std::vector<ToolDefinition>& tools, ToolChoice& out) {
  if (value.is_string()) {
    const std::string mode = value.get<std::string>();
    if (mode == "none") {
      out.mode = ToolChoiceMode::kNone;
    } else if (mode == "auto") {
      out.mode = ToolChoiceMode::kAuto;
    } else if (mode == "required") {
      out.mode = ToolChoiceMode::kRequired;
    } else {
      return bad_request(fmt::format("`tool_choice` {} is not valid; use none, auto, required or a named tool {}.",
                                     quoted_excerpt(mode), kNamedChoiceUsage),
                         "tool_choice");
    }
    return std::nullopt;
  }
  if (!value.is_object()) return wrong_type("tool_choice", "a string or an object", value);
  const nlohmann::json* function = find_field(value, "function");
  if (function == nullptr || !function->is_object()) {
    return bad_request(fmt::format("`tool_choice.function` must be an object; correct usage: {}.", kNamedChoiceUsage),
                       "tool_choice.function");
  }
  const nlohmann::json* name = find_field(*function, "name");
  if (name == nullptr || !name->is_string() || name->get<std::string>().empty()) {
    return bad_request(fmt::format("`tool_choice.function.name` is required; correct usage: {}.", kNamedChoiceUsage),
                       "tool_choice.function.name");
  }
  out.mode = ToolChoiceMode::kNamed;
  out.function_name = name->get<std::string>();
  for (const ToolDefinition& tool : tools) {
    if (tool.name == out.function_name) return std::nullopt;
  }
  return bad_request("The tool named in `tool_choice` does not match any of the `tools`.", "tool_choice");
}

}  // namespace

MaybeApiError parse_tools(const nlohmann::json& body, const RequestLimits& limits, std::vector<ToolDefinition>& tools,
                          ToolChoice& choice, bool& parallel_tool_calls) {
  const nlohmann::json* tools_value = find_field(body, "tools");
  if (tools_value != nullptr) {
    if (!tools_value->is_array()) return wrong_type("tools", "an array of tools", *tools_value);
    if (tools_value->empty()) {
      return bad_request("`tools` must not be an empty array; provide at least one tool or omit the field.", "tools");
    }
    for (size_t tool_idx = 0; tool_idx < tools_value->size(); ++tool_idx) {
      ToolDefinition tool;
      FOVEA_RETURN_IF_API_ERROR(parse_tool((*tools_value)[tool_idx], index_param("tools", tool_idx), tool));
      tools.push_back(std::move(tool));
    }
  }
  FOVEA_RETURN_IF_API_ERROR(read_bool_field(body, "parallel_tool_calls", "parallel_tool_calls", parallel_tool_calls));
  const nlohmann::json* choice_value = find_field(body, "tool_choice");
  // OpenAI's (and vLLM's) default: "auto" when tools are given, else "none".
  choice.mode = tools.empty() ? ToolChoiceMode::kNone : ToolChoiceMode::kAuto;
  if (choice_value != nullptr) FOVEA_RETURN_IF_API_ERROR(parse_choice(*choice_value, tools, choice));
  if (choice.mode == ToolChoiceMode::kNone) return std::nullopt;
  if (tools.empty()) return bad_request("When using `tool_choice`, `tools` must be set.", "tool_choice");
  if (choice.mode == ToolChoiceMode::kAuto && !limits.enable_auto_tool_choice) {
    return bad_request(
        "\"auto\" tool choice requires the server to be started with --enable-auto-tool-choice and "
        "--tool-call-parser.",
        "tool_choice");
  }
  if ((choice.mode == ToolChoiceMode::kRequired || choice.mode == ToolChoiceMode::kNamed) &&
      !limits.allow_forced_tool_choice) {
    return unsupported_parameter(
        "`tool_choice` \"required\" or a named function needs constrained decoding, which fovea does not support; "
        "use \"auto\".",
        "tool_choice");
  }
  return std::nullopt;
}

}  // namespace fovea::serve
