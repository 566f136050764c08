// Reads the NVIDIA driver's per-GPU information files; the parser takes any bytes (the fuzzer feeds it).
#include "plan/local_gpus.h"

#include <dirent.h>

#include <algorithm>

#include "base/file_util.h"

namespace fovea::plan {
namespace {

constexpr std::string_view kModelKey = "Model:";
// The information file is a few hundred bytes; a cap guards against reading something else whole.
constexpr uint64_t kMaxInformationBytes = uint64_t{1} << 16;

std::string_view trim(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const size_t last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

}  // namespace

std::optional<std::string> gpu_model_from_proc_information(std::string_view text) {
  size_t line_start = 0;
  while (line_start < text.size()) {
    size_t line_end = text.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = text.size();
    const std::string_view line = text.substr(line_start, line_end - line_start);
    if (line.substr(0, kModelKey.size()) == kModelKey) {
      const std::string_view model = trim(line.substr(kModelKey.size()));
      if (!model.empty()) return std::string(model);
    }
    line_start = line_end + 1;
  }
  return std::nullopt;
}

std::vector<std::string> local_gpu_models(const std::string& gpus_dir) {
  std::vector<std::string> addresses;
  if (DIR* dir = ::opendir(gpus_dir.c_str())) {
    while (const dirent* entry = ::readdir(dir)) {
      const std::string name = entry->d_name;
      if (name != "." && name != "..") addresses.push_back(name);
    }
    ::closedir(dir);
  }
  std::sort(addresses.begin(), addresses.end());
  std::vector<std::string> models;
  for (const std::string& address : addresses) {
    base::Result<std::string> text = base::read_file(gpus_dir + "/" + address + "/information", kMaxInformationBytes);
    if (!text.ok()) continue;
    if (std::optional<std::string> model = gpu_model_from_proc_information(*text)) models.push_back(*model);
  }
  return models;
}

}  // namespace fovea::plan
