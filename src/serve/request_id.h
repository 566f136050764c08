// Request ids as vLLM takes them from X-Request-Id: which client-sent ids fovea accepts (bounded, printable ASCII,
// so they are safe in logs, response ids and headers) and the random id used otherwise (32 hex digits, like vLLM's
// uuid4().hex). Must not contain HTTP library types.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace fovea::serve {

inline constexpr size_t kMaxClientRequestIdChars = 128;

// 1..kMaxClientRequestIdChars characters, each printable ASCII (space to '~').
bool is_valid_client_request_id(std::string_view id);

std::string random_request_id();

}  // namespace fovea::serve
