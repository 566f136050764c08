// Fetching the bytes of an image a request names by URL, under the server's media access rules: data: URLs always;
// local files (plain paths or file://) only inside the allowed local media folder; http(s) only for allowed
// domains. Errors never contain the path or address asked for. Must not contain image decoding.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace fovea::vision {

struct MediaFetchPolicy {
  std::string allowed_local_media_path;            // empty: local files refused
  std::vector<std::string> allowed_media_domains;  // empty: http(s) refused
  uint64_t max_bytes = uint64_t{20} << 20;         // the image file, as fetched
  int64_t timeout_ms = 10000;                      // http(s) only
};

enum class MediaSource : uint8_t { kDataUrl, kLocalFile, kHttp };

// Which kind of source `url` names (data:, file:// or a plain path, http:// or https://); an error for any other
// scheme.
base::Result<MediaSource> classify_media_url(std::string_view url);

// The image file's bytes. Every refusal is kInvalidArgument with a message safe to show a client: a local file outside
// the allowed folder (symbolic links resolved), a missing file, a file over max_bytes, a scheme not allowed.
// http(s) URLs of allowed domains are refused as not supported yet (send the image as a data: URL).
base::Result<std::vector<uint8_t>> fetch_media(std::string_view url, const MediaFetchPolicy& policy);

}  // namespace fovea::vision
