// Fuzz target: `fovea serve` command lines and --config YAML from bytes. The input is "<tokens>\0\0<yaml>": the
// tokens are newline-separated and may name --config c.yaml, whose text is the YAML part. A parsed config must
// validate and its canonical dump must parse back to the same config; nothing may crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "serve/serve_config_parser.h"

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

fovea::serve::ServeParseContext context(std::string yaml) {
  fovea::serve::ServeParseContext parse_context;
  parse_context.env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "FOVEA_API_KEY") return std::string("k");
    return std::nullopt;
  };
  parse_context.read_file = [yaml = std::move(yaml)](const std::string& path) -> fovea::base::Result<std::string> {
    if (path == "c.yaml") return yaml;
    return fovea::base::not_found("no file {}", path);
  };
  return parse_context;
}

void check_round_trip(const fovea::serve::ServeConfig& config) {
  const std::string dump = fovea::serve::dump_serve_config_yaml(config);
  auto reparsed = fovea::serve::parse_serve_config_yaml(dump, "dump.yaml", context(""));
  require(reparsed.ok());
  fovea::serve::ServeConfig expected = config;
  expected.config_file = "dump.yaml";
  // Keys are redacted in the dump, and the environment supplies one when none is left.
  expected.api_keys = reparsed->config.api_keys;
  require(fovea::serve::serve_config_to_json(reparsed->config) == fovea::serve::serve_config_to_json(expected));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t split = input.find(std::string_view("\0\0", 2));
  const std::string_view command_line = input.substr(0, split);
  const std::string yaml(split == std::string_view::npos ? std::string_view() : input.substr(split + 2));
  std::vector<std::string> tokens;
  size_t start = 0;
  while (start <= command_line.size() && !command_line.empty()) {
    size_t end = command_line.find('\n', start);
    if (end == std::string_view::npos) end = command_line.size();
    tokens.emplace_back(command_line.substr(start, end - start));
    start = end + 1;
  }
  auto parsed = fovea::serve::parse_serve_args(tokens, context(yaml));
  if (parsed.ok() && !parsed->help_requested) check_round_trip(parsed->config);
  if (!parsed.ok()) require(parsed.status().message().find('\n') == std::string::npos);
  auto from_yaml = fovea::serve::parse_serve_config_yaml(yaml, "c.yaml", context(""));
  if (from_yaml.ok()) check_round_trip(from_yaml->config);
  if (!from_yaml.ok()) require(from_yaml.status().message().find('\n') == std::string::npos);
  return 0;
}
