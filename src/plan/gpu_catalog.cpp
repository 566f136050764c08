// The built-in GPU catalogue and memory-size parsing. Memory numbers: "measured" ones were read with cudaMemGetInfo
// on the lent H100/H200 machines (CUDA 13.0, driver 580.159); the others come from published nvidia-smi totals less
// the driver's reservation and say so (docs/PLAN.md has the table and the sources).
#include "plan/gpu_catalog.h"

#include <algorithm>
#include <cctype>
#include <cmath>

namespace fovea::plan {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;
// The reservation nvidia-smi showed on the lent H100 (memory.reserved); used where a card's own is not known.
constexpr uint64_t kTypicalReservedMiB = 480;

std::string estimate_note(uint64_t smi_total_mib) {
  return fmt::format("estimate: nvidia-smi memory.total {} MiB less the {} MiB driver reservation measured on an H100",
                     smi_total_mib, kTypicalReservedMiB);
}

GpuSpec estimated(std::string name, std::vector<std::string> aliases, uint64_t smi_total_mib, bool nvlink,
                  bool peer_access = true) {
  GpuSpec gpu{std::move(name), std::move(aliases), (smi_total_mib - kTypicalReservedMiB) * kMiB,
              estimate_note(smi_total_mib)};
  gpu.nvlink = nvlink;
  gpu.peer_access = peer_access;
  return gpu;
}

std::vector<GpuSpec> make_catalog() {
  std::vector<GpuSpec> gpus;
  gpus.push_back({"NVIDIA GeForce RTX 3090",
                  {"rtx3090", "3090"},
                  24125 * kMiB,
                  "published vLLM start-up log on RTX 3090s: 23.56 GiB usable (nvidia-smi memory.total 24576 MiB)",
                  false,
                  /*peer_access=*/false});  // GeForce: peer access only through an NVLink bridge
  gpus.push_back({"NVIDIA GeForce RTX 4090",
                  {"rtx4090", "4090"},
                  24217 * kMiB,
                  "nvidia-smi memory.total 24564 MiB less the driver's ~347 MiB reservation; vLLM logs on 4090s "
                  "report the same 23.65 GiB",
                  false,
                  /*peer_access=*/false});
  gpus.push_back(estimated("NVIDIA GeForce RTX 5090", {"rtx5090", "5090"}, 32607, false, /*peer_access=*/false));
  gpus.push_back(estimated("NVIDIA RTX A6000", {"rtxa6000", "a6000"}, 49140, false));
  gpus.push_back(estimated("NVIDIA RTX 6000 Ada Generation", {"rtx6000ada", "6000ada"}, 49140, false));
  gpus.push_back(estimated("NVIDIA A10", {"a10"}, 23028, false));
  gpus.push_back(estimated("NVIDIA A10G", {"a10g"}, 23028, false));
  gpus.push_back(estimated("NVIDIA L4", {"l4"}, 23034, false));
  gpus.push_back(estimated("NVIDIA L40", {"l40"}, 46068, false));
  gpus.push_back(estimated("NVIDIA L40S", {"l40s"}, 46068, false));
  gpus.push_back(
      estimated("NVIDIA A100 40GB", {"a10040gb", "a10040g", "a10040", "a100sxm440gb", "a100pcie40gb"}, 40960, true));
  gpus.push_back(estimated("NVIDIA A100 80GB",
                           {"a10080gb", "a10080g", "a10080", "a100", "a100sxm480gb", "a100pcie80gb"}, 81920, true));
  gpus.push_back({"NVIDIA H100 PCIe",
                  {"h100pcie", "h100pcie80gb"},
                  81079 * kMiB,
                  "assumed equal to the H100 SXM measured here (both show nvidia-smi memory.total 81559 MiB)",
                  false});
  gpus.push_back({"NVIDIA H100 80GB HBM3",
                  {"h100", "h100sxm", "h100sxm5", "h10080gb", "h10080gbhbm3"},
                  85017493504,
                  "measured: cudaMemGetInfo total on the lent H100 SXM (nvidia-smi 81559 MiB, 480 MiB reserved)",
                  true});
  gpus.push_back(estimated("NVIDIA H100 NVL", {"h100nvl"}, 95830, true));
  gpus.push_back({"NVIDIA H200",
                  {"h200", "h200sxm", "h200141gb"},
                  150109880320,
                  "measured: cudaMemGetInfo total on the lent H200 (nvidia-smi 143771 MiB, 616 MiB reserved)",
                  true});
  return gpus;
}

// Lower case without spaces, '-', '_' and the vendor words, so "NVIDIA GeForce RTX 4090" and "rtx-4090" meet.
std::string normalize(std::string_view name) {
  std::string key;
  for (char c : name) {
    if (c == ' ' || c == '-' || c == '_') continue;
    key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  for (std::string_view word : {"nvidia", "geforce"}) {
    if (key.rfind(word, 0) == 0) key.erase(0, word.size());
  }
  return key;
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> previous(b.size() + 1);
  std::vector<size_t> current(b.size() + 1);
  for (size_t col_idx = 0; col_idx <= b.size(); ++col_idx) previous[col_idx] = col_idx;
  for (size_t row_idx = 1; row_idx <= a.size(); ++row_idx) {
    current[0] = row_idx;
    for (size_t col_idx = 1; col_idx <= b.size(); ++col_idx) {
      size_t cost = a[row_idx - 1] == b[col_idx - 1] ? 0 : 1;
      current[col_idx] = std::min({previous[col_idx] + 1, current[col_idx - 1] + 1, previous[col_idx - 1] + cost});
    }
    std::swap(previous, current);
  }
  return previous[b.size()];
}

// Up to three catalogue names nearest to `key` (by the best of name and aliases), nearest first.
std::vector<std::string> closest_names(const std::string& key) {
  std::vector<std::pair<size_t, std::string>> scored;
  for (const GpuSpec& gpu : gpu_catalog()) {
    size_t best = edit_distance(key, normalize(gpu.name));
    for (const std::string& alias : gpu.aliases) {
      best = std::min(best, edit_distance(key, alias));
      if (!key.empty() && alias.find(key) != std::string::npos) best = 0;
    }
    scored.emplace_back(best, gpu.name);
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& left, const auto& right) { return left.first < right.first; });
  std::vector<std::string> names;
  for (size_t idx = 0; idx < scored.size() && idx < 3; ++idx) names.push_back(scored[idx].second);
  return names;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

const std::vector<GpuSpec>& gpu_catalog() {
  static const std::vector<GpuSpec> catalog = make_catalog();
  return catalog;
}

base::Result<GpuSpec> find_gpu(std::string_view name) {
  std::string key = normalize(name);
  for (const GpuSpec& gpu : gpu_catalog()) {
    if (normalize(gpu.name) == key) return gpu;
    if (std::find(gpu.aliases.begin(), gpu.aliases.end(), key) != gpu.aliases.end()) return gpu;
  }
  std::vector<std::string> names = closest_names(key);
  std::string listed;
  for (const std::string& candidate : names) listed += (listed.empty() ? "" : ", ") + candidate;
  return base::not_found(
      "--gpu: '{}' is not in fovea's GPU catalogue; the closest are {} (`fovea plan --list-gpus` shows them all), or "
      "give the memory with --gpu-memory (e.g. --gpu-memory 24GiB)",
      name, listed);
}

GpuSpec custom_gpu(uint64_t memory_bytes) {
  return GpuSpec{fmt::format("custom ({})", format_gib(memory_bytes)), {}, memory_bytes, "--gpu-memory", false};
}

base::Result<uint64_t> parse_memory_size(std::string_view text, std::string_view flag) {
  size_t idx = 0;
  while (idx < text.size() && (std::isdigit(static_cast<unsigned char>(text[idx])) || text[idx] == '.')) ++idx;
  std::string number(text.substr(0, idx));
  std::string unit(text.substr(idx));
  while (!unit.empty() && unit.front() == ' ') unit.erase(0, 1);
  auto bad = [&] {
    return base::invalid_argument(
        "{} '{}' is not a memory size; write bytes or a number with a unit, such as 24GiB, 81559MiB or 48GB", flag,
        text);
  };
  if (number.empty() || std::count(number.begin(), number.end(), '.') > 1 || number == ".") return bad();
  double scale = 0;
  if (unit.empty() || lower(unit) == "b") {
    scale = 1;
  } else if (unit.size() == 1) {
    const std::string_view binary = "KMGT";
    const std::string_view decimal = "kmgt";
    if (size_t power = binary.find(unit[0]); power != std::string_view::npos) {
      scale = std::pow(1024.0, static_cast<double>(power + 1));
    } else if (size_t power_10 = decimal.find(unit[0]); power_10 != std::string_view::npos) {
      scale = std::pow(1000.0, static_cast<double>(power_10 + 1));
    }
  } else {
    const std::vector<std::string> binary = {"kib", "mib", "gib", "tib"};
    const std::vector<std::string> decimal = {"kb", "mb", "gb", "tb"};
    std::string unit_lower = lower(unit);
    for (size_t power = 0; power < binary.size(); ++power) {
      if (unit_lower == binary[power]) scale = std::pow(1024.0, static_cast<double>(power + 1));
      if (unit_lower == decimal[power]) scale = std::pow(1000.0, static_cast<double>(power + 1));
    }
  }
  if (scale == 0) return bad();
  double value = std::strtod(number.c_str(), nullptr) * scale;
  if (!(value >= 1) || value > static_cast<double>(uint64_t{1} << 50)) {
    return base::invalid_argument("{} '{}' must be between 1 byte and 1 PiB", flag, text);
  }
  return static_cast<uint64_t>(value);
}

std::string format_gib(uint64_t num_bytes) {
  return fmt::format("{:.2f} GiB", static_cast<double>(num_bytes) / static_cast<double>(uint64_t{1} << 30));
}

}  // namespace fovea::plan
