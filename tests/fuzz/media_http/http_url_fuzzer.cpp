// libFuzzer target: vision::parse_http_url on arbitrary text. Must never crash, and what it accepts must be safe to
// put on a request line: a valid host, a port in 1..65535 and a target of printable ASCII without spaces.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "vision/http_media_fetch.h"
#include "vision/http_url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = fovea::vision::parse_http_url(text);
  if (!parsed.ok()) return 0;
  if (parsed->host.empty() || parsed->port == 0 || parsed->target.empty() || parsed->target.front() != '/') {
    __builtin_trap();
  }
  for (const char ch : parsed->target) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f || c == '#') __builtin_trap();
  }
  for (const char ch : parsed->host) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f || c == '/' || c == '@' || c == '?' || c == '#' || c == '\\') __builtin_trap();
  }
  const std::vector<std::string> allowed = {parsed->host, "images.example.com"};
  if (!fovea::vision::is_allowed_media_host(parsed->host, allowed)) __builtin_trap();
  return 0;
}
