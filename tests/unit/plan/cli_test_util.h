// Helpers for tests of the built fovea binary (`fovea plan`, `fovea check`): run one command line through the shell
// and collect its exit code and output; the fixture and profile paths. No test cases.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace fovea::plan::testing {

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout, then stderr
};

// Runs `fovea <arguments>` (arguments are shell words: quote JSON values) with `env_prefix` before it (e.g.
// "env -u FOVEA_API_KEY").
inline RunResult run_fovea(const std::string& arguments, const std::string& env_prefix = "") {
  const std::string command = env_prefix + " " + std::string(FOVEA_CLI_PATH) + " " + arguments + " 2>&1";
  RunResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  size_t num_read = 0;
  while ((num_read = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.output.append(buffer.data(), num_read);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

inline std::string source_path(const std::string& relative) { return std::string(FOVEA_SOURCE_DIR) + "/" + relative; }

inline std::string plan_fixture(const std::string& name) { return source_path("tests/data/plan/" + name); }

}  // namespace fovea::plan::testing
