// Logging for fovea: a thin layer over spdlog so every module logs the same way to stderr.
// Must not contain formatting of user-facing errors (those are Status messages).
#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

#include "base/status.h"

namespace fovea::base {

// Sets the global level from a name: trace, debug, info, warn, error, off.
Status set_log_level(std::string_view level_name);

}  // namespace fovea::base

#define FOVEA_LOG_DEBUG(...) ::spdlog::debug(__VA_ARGS__)
#define FOVEA_LOG_INFO(...) ::spdlog::info(__VA_ARGS__)
#define FOVEA_LOG_WARN(...) ::spdlog::warn(__VA_ARGS__)
#define FOVEA_LOG_ERROR(...) ::spdlog::error(__VA_ARGS__)
