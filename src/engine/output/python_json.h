// python_json_dumps: JSON text exactly as Python's json.dumps(value, ensure_ascii=False) writes it (", " and ": "
// separators, repr floats, non-ASCII kept), which is how vLLM's tool parsers re-serialize tool-call arguments.
// Must not contain parsing.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace fovea::engine {

std::string python_json_dumps(const nlohmann::ordered_json& value);

}  // namespace fovea::engine
