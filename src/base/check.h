// FOVEA_CHECK: invariants of fovea's own code. A failed check is a bug in fovea and aborts with a message.
// Never use it for anything a user, a request or a file can trigger: return a Status instead.
#pragma once

#include <fmt/format.h>

namespace fovea::base {

[[noreturn]] void check_failed(const char* file, int line, const char* condition, const std::string& message);

}  // namespace fovea::base

#define FOVEA_CHECK(condition, ...)                                                              \
  do {                                                                                           \
    if (!(condition)) [[unlikely]] {                                                             \
      ::fovea::base::check_failed(__FILE__, __LINE__, #condition, ::fmt::format("" __VA_ARGS__)); \
    }                                                                                            \
  } while (false)
