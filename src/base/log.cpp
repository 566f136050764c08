// Log level selection.
#include "base/log.h"

namespace fovea::base {

Status set_log_level(std::string_view level_name) {
  static constexpr std::pair<std::string_view, spdlog::level::level_enum> kLevels[] = {
      {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug}, {"info", spdlog::level::info},
      {"warn", spdlog::level::warn},   {"error", spdlog::level::err},   {"off", spdlog::level::off},
  };
  for (const auto& [name, level] : kLevels) {
    if (name == level_name) {
      spdlog::set_level(level);
      return Status();
    }
  }
  return invalid_argument("unknown log level '{}'; choose one of trace, debug, info, warn, error, off", level_name);
}

}  // namespace fovea::base
