// Entry point of the fovea binary: builds the subcommands from the registry, parses, runs one.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <vector>

#include "base/log.h"
#include "cli/command_registry.h"

int main(int argc, char** argv) {
  using fovea::cli::Command;
  using fovea::cli::command_registry;

  CLI::App app{"fovea: serves Qwen3-VL and Qwen3 models behind an OpenAI-compatible API", "fovea"};
  app.set_version_flag("--version", std::string("fovea ") + FOVEA_VERSION);
  app.require_subcommand(1);
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")->capture_default_str();

  auto registry = command_registry();
  std::sort(registry.begin(), registry.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  std::vector<std::pair<CLI::App*, std::unique_ptr<Command>>> commands;
  for (const auto& info : registry) {
    auto command = info.make();
    CLI::App* sub = app.add_subcommand(info.name, info.description);
    command->configure(*sub);
    commands.emplace_back(sub, std::move(command));
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  }
  if (auto status = fovea::base::set_log_level(log_level); !status.ok()) {
    return fovea::cli::report_error(status);
  }
  for (auto& [sub, command] : commands) {
    if (sub->parsed()) return command->run();
  }
  return 0;
}
