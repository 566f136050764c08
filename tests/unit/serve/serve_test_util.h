// Helpers for serve's unit tests: parse a command line or YAML with a fake environment and fake files.
// Must not contain assertions: tests decide what to check.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "serve/serve_config_parser.h"

namespace fovea::serve::testing {

inline ServeParseContext fake_context(std::map<std::string, std::string> env = {},
                                      std::map<std::string, std::string> files = {}) {
  ServeParseContext context;
  context.env = [env](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(std::string(name));
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  context.read_file = [files](const std::string& path) -> base::Result<std::string> {
    auto it = files.find(path);
    if (it == files.end()) return base::not_found("no such file {}", path);
    return it->second;
  };
  return context;
}

inline base::Result<ParsedServeArgs> parse_args(std::vector<std::string> tokens,
                                                std::map<std::string, std::string> env = {},
                                                std::map<std::string, std::string> files = {}) {
  return parse_serve_args(tokens, fake_context(std::move(env), std::move(files)));
}

inline std::string error_of(std::vector<std::string> tokens, std::map<std::string, std::string> env = {},
                            std::map<std::string, std::string> files = {}) {
  base::Result<ParsedServeArgs> result = parse_args(std::move(tokens), std::move(env), std::move(files));
  return result.ok() ? std::string("<ok>") : result.status().message();
}

inline bool has_note_containing(const ParsedServeArgs& parsed, std::string_view text) {
  for (const std::string& note : parsed.notes) {
    if (note.find(text) != std::string::npos) return true;
  }
  return false;
}

}  // namespace fovea::serve::testing
