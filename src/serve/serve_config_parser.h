// Parses `fovea serve` arguments as vLLM's `vllm serve` does: a positional model folder (or --model), --flag VALUE /
// --flag=VALUE / --no-flag / --flag.key VALUE forms (underscores for dashes), and --config FILE.yaml with the same keys
// (the command line wins). Unless given, API keys come from FOVEA_API_KEY / VLLM_API_KEY and --media-fetch-timeout
// from FOVEA_IMAGE_FETCH_TIMEOUT / VLLM_IMAGE_FETCH_TIMEOUT. Every error is one line that names the flag.
// Must not contain the flags' own checks (serve_flags.cpp) or server start-up.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "serve/env_expand.h"
#include "serve/serve_config.h"

namespace fovea::serve {

struct ParsedServeArgs {
  ServeConfig config;
  // Lines to log at start-up: flags accepted with no effect, literal secrets in a file, where the API key came from.
  std::vector<std::string> notes;
  bool help_requested = false;  // --help / -h: print serve_flags_usage() and exit
};

// What the parser may read; tests and fuzzers replace both.
struct ServeParseContext {
  EnvLookup env;                                                                // empty: the process environment
  std::function<base::Result<std::string>(const std::string& path)> read_file;  // empty: base::read_file
};

// Parses the tokens after `serve` (argv[2..]) and validates the result (validate_serve_config; paths are checked
// separately by check_serve_config_paths).
base::Result<ParsedServeArgs> parse_serve_args(const std::vector<std::string>& tokens,
                                               const ServeParseContext& context = {});

// Parses a --config file's text alone (keys as in vLLM: max-model-len or max_model_len) and validates the result.
// `file_label` names the file in messages.
base::Result<ParsedServeArgs> parse_serve_config_yaml(std::string_view yaml_text, std::string_view file_label,
                                                      const ServeParseContext& context = {});

}  // namespace fovea::serve
