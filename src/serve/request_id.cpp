// Client request-id validation and random ids.
// Must not contain HTTP library types.
#include "serve/request_id.h"

#include <fmt/format.h>

#include <algorithm>
#include <random>

namespace fovea::serve {

bool is_valid_client_request_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxClientRequestIdChars) return false;
  return std::all_of(id.begin(), id.end(), [](char c) { return c >= ' ' && c <= '~'; });
}

std::string random_request_id() {
  thread_local std::mt19937_64 generator(std::random_device{}());
  return fmt::format("{:016x}{:016x}", generator(), generator());
}

}  // namespace fovea::serve
