// Registry of fovea's subcommands. Each subcommand lives in its own file and registers a factory with
// FOVEA_REGISTER_COMMAND; main.cpp builds the CLI from the registry. Must not contain any command's logic.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"

namespace fovea::cli {

class Command {
 public:
  virtual ~Command() = default;
  // Declares the subcommand's options on `app`, binding them to members.
  virtual void configure(CLI::App& app) = 0;
  // Runs after a successful parse; returns the process exit code.
  virtual int run() = 0;
};

struct CommandInfo {
  std::string name;
  std::string description;
  std::function<std::unique_ptr<Command>()> make;
};

std::vector<CommandInfo>& command_registry();

struct CommandRegistration {
  explicit CommandRegistration(CommandInfo info) { command_registry().push_back(std::move(info)); }
};

// Prints "fovea: error: <message>" on one line to stderr; returns the exit code for it.
int report_error(const base::Status& status);

}  // namespace fovea::cli

#define FOVEA_REGISTER_COMMAND(type, name, description)                          \
  static const ::fovea::cli::CommandRegistration FOVEA_CONCAT(registration_, type)( \
      ::fovea::cli::CommandInfo{name, description, [] { return std::make_unique<type>(); }})
