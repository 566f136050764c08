// Failure path of FOVEA_CHECK: print where and why, then abort (so sanitizers and debuggers see it).
#include "base/check.h"

#include <cstdio>
#include <cstdlib>

namespace fovea::base {

void check_failed(const char* file, int line, const char* condition, const std::string& message) {
  std::fprintf(stderr, "fovea: internal check failed at %s:%d: %s%s%s\n", file, line, condition,
               message.empty() ? "" : ": ", message.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace fovea::base
