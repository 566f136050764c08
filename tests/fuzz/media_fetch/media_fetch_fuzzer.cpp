// libFuzzer target: vision::fetch_media on arbitrary URL text, with local files allowed only under this folder's
// corpus and one allowed domain. Must never crash, hang or read outside the allowed folder.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "vision/media_fetch.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view url(reinterpret_cast<const char*>(data), size);
  fovea::vision::MediaFetchPolicy policy;
  policy.allowed_local_media_path = std::string(FOVEA_SOURCE_DIR) + "/tests/fuzz/media_fetch/corpus";
  policy.allowed_media_domains = {"images.example.com"};
  policy.max_bytes = 1 << 16;
  auto fetched = fovea::vision::fetch_media(url, policy);
  if (fetched.ok() && fetched->size() > policy.max_bytes) __builtin_trap();
  return 0;
}
