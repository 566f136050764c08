// Fuzz target for data: URL parsing and strict base64 decoding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/check.h"
#include "vision/data_url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fovea::vision;
  DataUrlLimits limits;
  limits.max_decoded_bytes = 1 << 16;
  auto url = parse_image_data_url(std::string_view(reinterpret_cast<const char*>(data), size), limits);
  if (url.ok()) {
    FOVEA_CHECK(!url->bytes.empty() && url->bytes.size() <= limits.max_decoded_bytes);
    FOVEA_CHECK(url->media_type.starts_with("image/"));
  } else {
    FOVEA_CHECK(!url.status().message().empty());
  }
  return 0;
}
