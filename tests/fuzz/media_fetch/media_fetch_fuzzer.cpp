// libFuzzer target: vision::fetch_media on arbitrary URL text, with local files allowed only under this folder's
// corpus. The allowed domains are internal IP literals, so http(s) inputs reach the address check but never the
// network (a fuzzer must not make connections). Must never crash, hang or read outside the allowed folder.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "vision/media_fetch.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view url(reinterpret_cast<const char*>(data), size);
  fovea::vision::MediaFetchPolicy policy;
  policy.allowed_local_media_path = std::string(FOVEA_SOURCE_DIR) + "/tests/fuzz/media_fetch/corpus";
  policy.allowed_media_domains = {"10.0.0.1", "169.254.169.254", "192.0.2.1"};
  policy.max_bytes = 1 << 16;
  auto fetched = fovea::vision::fetch_media(url, policy);
  if (fetched.ok() && fetched->size() > policy.max_bytes) __builtin_trap();
  return 0;
}
