// Whole-file reading.
#include "base/file_util.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace fovea::base {

Result<std::string> read_file(const std::string& path, uint64_t max_bytes) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    int err = errno;
    StatusCode code = err == ENOENT ? StatusCode::kNotFound : StatusCode::kPermissionDenied;
    return make_error(code, "cannot read {}: {}", path, std::strerror(err));
  }
  if (!S_ISREG(info.st_mode)) return invalid_argument("{} is not a regular file", path);
  if (static_cast<uint64_t>(info.st_size) > max_bytes) {
    return out_of_range("{} is {} bytes, more than the {} allowed for this kind of file", path, info.st_size,
                        max_bytes);
  }
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) return make_error(StatusCode::kPermissionDenied, "cannot open {}: {}", path, std::strerror(errno));
  std::string contents(static_cast<size_t>(info.st_size), '\0');
  size_t read_bytes = contents.empty() ? 0 : std::fread(contents.data(), 1, contents.size(), file.get());
  if (read_bytes != contents.size()) return data_loss("short read from {}", path);
  return contents;
}

bool file_exists(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

}  // namespace fovea::base
