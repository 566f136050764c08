// The table of `fovea serve` flags that fovea implements: vLLM's names (plus fovea's own few), how many values
// each takes, and the setter that checks a value and stores it in ServeConfig. The parser (serve_config_parser.h)
// walks tokens and YAML keys and calls these setters. Must not contain token walking or YAML handling.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "serve/serve_config.h"

namespace fovea::serve {

enum class FlagArity {
  kSwitch,  // --flag / --no-flag (YAML true/false)
  kValue,   // --flag VALUE or --flag=VALUE
  kList,    // --flag A B C (repeatable; YAML list)
  kJson,    // --flag '{"k": 1}' or --flag.k 1 (YAML mapping)
};

// One flag's value as gathered from one source (command line or config file).
struct FlagValue {
  bool switch_on = true;           // kSwitch
  std::string text;                // kValue
  std::vector<std::string> items;  // kList
  nlohmann::json json;             // kJson: the whole object, dotted keys merged in
};

// Checks `value` and stores it; messages name no flag (the caller prefixes "--flag: "). May append notes.
using FlagSetter = base::Status (*)(ServeConfig& config, const FlagValue& value, std::vector<std::string>& notes);

struct FlagSpec {
  std::string_view name;        // without dashes: "max-model-len"
  std::string_view short_name;  // "tp" for -tp; empty when none
  FlagArity arity;
  std::string_view metavar;  // the expected form, for usage and messages: "TOKENS|auto"
  std::string_view help;     // one line
  FlagSetter set;
};

const std::vector<FlagSpec>& serve_flag_specs();

// Looks up a long name (dashes, no leading "--"), an alias included; nullptr when fovea has no such flag.
const FlagSpec* find_serve_flag(std::string_view name);
// Looks up a single-dash short name ("tp", "q").
const FlagSpec* find_serve_short_flag(std::string_view short_name);

// "--limit-mm-per-prompt image=3,video=0" (vLLM's legacy form) -> the JSON the user should write instead.
std::string legacy_mm_limit_as_json(std::string_view legacy_text);

// `fovea serve --help` text: one line per flag.
std::string serve_flags_usage();

}  // namespace fovea::serve
