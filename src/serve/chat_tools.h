// Tools offered to the model in a chat request and the tool_choice rule, validated as vLLM does ("tools" must not
// be empty, a named choice must match a tool, tool_choice needs tools) plus fovea's limits: "auto" needs
// --enable-auto-tool-choice, and "required" / named choices need constrained decoding, which fovea lacks.
// Must not contain tool-call parsing of model output.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "serve/api_error.h"
#include "serve/request_limits.h"

namespace fovea::serve {

struct ToolDefinition {
  std::string name;
  std::string description;
  nlohmann::json parameters = nlohmann::json::object();  // a JSON Schema object, passed to the chat template
  std::optional<bool> strict;
};

enum class ToolChoiceMode { kNone, kAuto, kRequired, kNamed };

struct ToolChoice {
  ToolChoiceMode mode = ToolChoiceMode::kNone;
  std::string function_name;  // kNamed
};

// Reads `tools`, `tool_choice` and `parallel_tool_calls` of a chat request body.
MaybeApiError parse_tools(const nlohmann::json& body, const RequestLimits& limits, std::vector<ToolDefinition>& tools,
                          ToolChoice& choice, bool& parallel_tool_calls);

}  // namespace fovea::serve
