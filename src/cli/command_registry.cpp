// The subcommand registry and the one-line error report shared by all subcommands.
#include "cli/command_registry.h"

#include <cstdio>

namespace fovea::cli {

std::vector<CommandInfo>& command_registry() {
  static std::vector<CommandInfo> registry;
  return registry;
}

int report_error(const base::Status& status) {
  std::fprintf(stderr, "fovea: error: %s\n", status.message().c_str());
  return status.code() == base::StatusCode::kInvalidArgument ? 2 : 1;
}

}  // namespace fovea::cli
