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
  int64_t timeout_ms = 10000;                      // http(s) only: resolution, connection and transfer together
  // Tests only: lets http(s) reach loopback addresses (127/8, ::1) so a test can serve images locally; private and
  // other internal ranges stay refused. The environment variable FOVEA_MEDIA_ALLOW_LOOPBACK_FOR_TESTS=1, read once
  // per process, does the same for the server tests.
  bool allow_loopback_for_tests = false;
};

enum class MediaSource : uint8_t { kDataUrl, kLocalFile, kHttp };

// Which kind of source `url` names (data:, file:// or a plain path, http:// or https://); an error for any other
// scheme.
base::Result<MediaSource> classify_media_url(std::string_view url);

// The image file's bytes. Every refusal is kInvalidArgument with a message safe to show a client: a local file outside
// the allowed folder (symbolic links resolved), a missing file, a file over max_bytes, a scheme not allowed.
// http(s) URLs follow http_media_fetch.h (allowed domains, public addresses, no redirects, size and time caps).
base::Result<std::vector<uint8_t>> fetch_media(std::string_view url, const MediaFetchPolicy& policy);

}  // namespace fovea::vision
