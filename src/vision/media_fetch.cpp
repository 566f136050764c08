// Media fetching under the access rules of media_fetch.h: URL classification, the local-folder containment check
// (on canonical paths, so ".." and symbolic links cannot leave the folder), capped reads; http(s) is delegated to
// http_media_fetch.
// Must not contain image decoding or echo the requested path or address in an error.
#include "vision/media_fetch.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "vision/data_url.h"
#include "vision/http_media_fetch.h"

namespace fovea::vision {
namespace {

namespace fs = std::filesystem;

std::string to_lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool starts_with_ci(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && to_lower(text.substr(0, prefix.size())) == prefix;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// file:// URLs carry percent-encoded paths; plain paths are taken as written.
base::Result<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t idx = 0; idx < text.size(); ++idx) {
    if (text[idx] != '%') {
      out += text[idx];
      continue;
    }
    if (idx + 2 >= text.size()) {
      return base::invalid_argument("the file:// image URL has an incomplete %-escape; encode '%' as %25");
    }
    const int high = hex_value(text[idx + 1]);
    const int low = hex_value(text[idx + 2]);
    if (high < 0 || low < 0) {
      return base::invalid_argument("the file:// image URL has an invalid %-escape; encode '%' as %25");
    }
    out += static_cast<char>(high * 16 + low);
    idx += 2;
  }
  return out;
}

// The local path a file:// URL or plain path names (file://localhost/x and file:///x both mean /x).
base::Result<std::string> local_path_of(std::string_view url) {
  if (!starts_with_ci(url, "file://")) return std::string(url);
  std::string_view rest = url.substr(7);
  if (starts_with_ci(rest, "localhost/")) rest.remove_prefix(9);
  if (rest.empty() || rest.front() != '/') {
    return base::invalid_argument("a file:// image URL must name an absolute path (file:///folder/image.png)");
  }
  FOVEA_ASSIGN_OR_RETURN(std::string path, percent_decode(rest));
  return path;
}

// Whether canonical `path` is `root` or inside it, compared by whole path components.
bool is_within(const fs::path& root, const fs::path& path) {
  auto root_it = root.begin();
  auto path_it = path.begin();
  for (; root_it != root.end(); ++root_it, ++path_it) {
    if (root_it->empty()) continue;  // the trailing "" of a root written with a final slash
    if (path_it == path.end() || *root_it != *path_it) return false;
  }
  return true;
}

base::Result<std::vector<uint8_t>> read_local(std::string_view url, const MediaFetchPolicy& policy) {
  if (policy.allowed_local_media_path.empty()) {
    return base::invalid_argument(
        "local image files are not allowed by this server; send the image as a data: URL (the server can allow a "
        "folder with --allowed-local-media-path)");
  }
  FOVEA_ASSIGN_OR_RETURN(std::string path_text, local_path_of(url));
  if (path_text.empty() || path_text.find('\0') != std::string::npos) {
    return base::invalid_argument("the image path is empty or contains a NUL character");
  }
  std::error_code error;
  const fs::path root = fs::canonical(fs::path(policy.allowed_local_media_path), error);
  if (error) return base::invalid_argument("the allowed local media folder does not exist; ask the server's admin");
  const fs::path path = fs::canonical(fs::path(path_text), error);
  if (error) return base::invalid_argument("the image file was not found; check the path");
  if (!is_within(root, path)) {
    return base::invalid_argument("the image file is outside the folder allowed by --allowed-local-media-path");
  }
  if (!fs::is_regular_file(path, error) || error) {
    return base::invalid_argument("the image path does not name a regular file");
  }
  const uintmax_t size_bytes = fs::file_size(path, error);
  if (error) return base::invalid_argument("the image file cannot be read");
  if (size_bytes > policy.max_bytes) {
    return base::invalid_argument("the image file has {} bytes, more than the limit of {}; send a smaller image",
                                  size_bytes, policy.max_bytes);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return base::invalid_argument("the image file cannot be read");
  std::vector<uint8_t> bytes(static_cast<size_t>(size_bytes));
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (static_cast<uintmax_t>(in.gcount()) != size_bytes) return base::invalid_argument("the image file cannot be read");
  return bytes;
}

}  // namespace

base::Result<MediaSource> classify_media_url(std::string_view url) {
  if (starts_with_ci(url, "data:")) return MediaSource::kDataUrl;
  if (starts_with_ci(url, "http://") || starts_with_ci(url, "https://")) return MediaSource::kHttp;
  if (starts_with_ci(url, "file://")) return MediaSource::kLocalFile;
  const size_t colon = url.find(':');
  const size_t slash = url.find('/');
  // "c:..." style or "scheme:..." before any slash is a URL of another scheme; a path may contain ':' later.
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon < slash)) {
    return base::invalid_argument("image URLs must be data:, file:// or http(s) URLs (or a local path)");
  }
  if (url.empty()) return base::invalid_argument("the image URL is empty");
  return MediaSource::kLocalFile;
}

base::Result<std::vector<uint8_t>> fetch_media(std::string_view url, const MediaFetchPolicy& policy) {
  FOVEA_ASSIGN_OR_RETURN(MediaSource source, classify_media_url(url));
  switch (source) {
    case MediaSource::kDataUrl: {
      FOVEA_ASSIGN_OR_RETURN(ImageDataUrl parsed, parse_image_data_url(url, DataUrlLimits{policy.max_bytes}));
      return std::move(parsed.bytes);
    }
    case MediaSource::kLocalFile:
      return read_local(url, policy);
    case MediaSource::kHttp:
      return fetch_http_media(url, policy);
  }
  return base::invalid_argument("unknown image URL kind");
}

}  // namespace fovea::vision
