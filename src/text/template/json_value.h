// JSON on both sides of the engine: nlohmann JSON in (messages, tools, kwargs, with key order kept), and Python's
// json.dumps out (what transformers' `tojson` filter calls), byte for byte.
// Must not contain template evaluation.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "base/status.h"
#include "text/template/value.h"

namespace fovea::text::jinja {

// json.dumps keyword arguments.
struct JsonDumpOptions {
  bool ensure_ascii = false;
  std::optional<std::string> indent;  // the indent string; unset: everything on one line
  std::string item_separator = ", ";
  std::string key_separator = ": ";
  bool sort_keys = false;
};

// Appends json.dumps(value, ...) to `out`; fails like Python for values JSON cannot hold (Undefined, namespaces,
// generators, non-string-like dict keys) and when `out` would pass max_bytes.
base::Status dump_json(std::string& out, const Value& value, const JsonDumpOptions& options, uint64_t max_bytes);

// Converts parsed JSON into a value; objects keep their key order. Fails past max_depth levels of nesting.
base::Result<Value> value_from_json(const nlohmann::ordered_json& json, uint32_t max_depth);

}  // namespace fovea::text::jinja
