// The `fovea top` screen and JSON from a TopFrame.
// Must not contain scraping, timing or terminal control.
#include "monitor/top_view.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <vector>

namespace fovea::monitor {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
constexpr double kMiB = 1024.0 * 1024.0;

// A pair "used / total" in GiB with two decimals, or in MiB when the total is under 1 GiB.
std::string bytes_pair(double used_bytes, double total_bytes) {
  if (total_bytes >= kGiB) return fmt::format("{:.2f} / {:.2f} GiB", used_bytes / kGiB, total_bytes / kGiB);
  return fmt::format("{:.1f} / {:.1f} MiB", used_bytes / kMiB, total_bytes / kMiB);
}

std::string or_na(const std::optional<double>& value, const char* format_text) {
  return value ? fmt::format(fmt::runtime(format_text), *value) : std::string("n/a");
}

std::string percent(const std::optional<double>& ratio) {
  return ratio ? fmt::format("{:.1f}%", *ratio * 100.0) : std::string("n/a");
}

std::string latency_line(const char* label, const Percentiles& percentiles) {
  const auto ms = [](const std::optional<double>& seconds) {
    return seconds ? fmt::format("{:.1f} ms", *seconds * 1000.0) : std::string("n/a");
  };
  return fmt::format("{:<14}p50 {:>10}   p90 {:>10}   p99 {:>10}   ({:.0f} observed)", label, ms(percentiles.p50),
                     ms(percentiles.p90), ms(percentiles.p99), percentiles.count);
}

std::string gpu_line(const GpuSnapshot& gpu) {
  std::string memory = "n/a";
  if (gpu.memory_used_bytes && gpu.memory_total_bytes) {
    memory = bytes_pair(*gpu.memory_used_bytes, *gpu.memory_total_bytes);
  }
  return fmt::format("GPU {:<3} {:<24} memory {}   util {}   {}   {}", gpu.gpu, gpu.name, memory,
                     percent(gpu.utilization_ratio), or_na(gpu.temperature_celsius, "{:.0f} C"),
                     or_na(gpu.power_watts, "{:.0f} W"));
}

nlohmann::json optional_json(const std::optional<double>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

nlohmann::json percentiles_json(const Percentiles& percentiles) {
  return {{"p50", optional_json(percentiles.p50)},
          {"p90", optional_json(percentiles.p90)},
          {"p99", optional_json(percentiles.p99)},
          {"count", percentiles.count}};
}

}  // namespace

std::string render_top_screen(const TopFrame& frame, int width) {
  const MetricsSnapshot& latest = frame.latest;
  const WindowStats& window = frame.window;
  std::vector<std::string> lines;
  lines.push_back(fmt::format("fovea top   {}   model {}   {}", frame.url,
                              latest.model_name.empty() ? "?" : latest.model_name, frame.clock));
  lines.push_back(window.window_s > 0.0 ? fmt::format("window {:.0f} s", window.window_s)
                                        : std::string("window: since the server started (one scrape so far)"));
  lines.push_back("");
  lines.push_back(fmt::format("{:<14}running {}   waiting {}", "requests", or_na(latest.num_requests_running, "{:.0f}"),
                              or_na(latest.num_requests_waiting, "{:.0f}")));
  lines.push_back(fmt::format("{:<14}in {} tok/s   out {} tok/s", "throughput",
                              or_na(window.prompt_tokens_per_s, "{:.1f}"),
                              or_na(window.generation_tokens_per_s, "{:.1f}")));
  lines.push_back(latency_line("TTFT", window.time_to_first_token));
  lines.push_back(latency_line("ITL", window.inter_token_latency));
  std::string kv = fmt::format("{:<14}{} used", "KV cache", percent(latest.kv_cache_usage_perc));
  if (latest.kv_cache_used_blocks && latest.kv_cache_total_blocks) {
    kv += fmt::format("   {:.0f} / {:.0f} blocks", *latest.kv_cache_used_blocks, *latest.kv_cache_total_blocks);
  }
  if (latest.kv_cache_used_bytes && latest.kv_cache_total_bytes) {
    kv += "   " + bytes_pair(*latest.kv_cache_used_bytes, *latest.kv_cache_total_bytes);
  }
  lines.push_back(kv);
  lines.push_back(fmt::format("{:<14}prefix {}   encoder {}", "cache hits", percent(window.prefix_cache_hit_rate),
                              percent(window.encoder_cache_hit_rate)));
  lines.push_back("");
  if (latest.gpus.empty()) {
    std::string devices;
    for (const DeviceMemorySnapshot& memory : latest.memory) devices += (devices.empty() ? "" : ", ") + memory.device;
    lines.push_back(fmt::format("GPU           none reported (device: {})", devices.empty() ? "?" : devices));
  }
  for (const GpuSnapshot& gpu : latest.gpus) lines.push_back(gpu_line(gpu));
  if (!frame.problem.empty()) {
    lines.push_back("");
    lines.push_back("last scrape failed: " + frame.problem);
  }
  std::string out;
  const auto max_columns = static_cast<size_t>(width > 20 ? width : 20);
  for (std::string& line : lines) {
    if (line.size() > max_columns) line.resize(max_columns);
    out += line;
    out += '\n';
  }
  return out;
}

std::string top_frame_to_json(const TopFrame& frame) {
  const MetricsSnapshot& latest = frame.latest;
  const WindowStats& window = frame.window;
  nlohmann::ordered_json gpus = nlohmann::ordered_json::array();
  for (const GpuSnapshot& gpu : latest.gpus) {
    gpus.push_back({{"gpu", gpu.gpu},
                    {"name", gpu.name},
                    {"memory_used_bytes", optional_json(gpu.memory_used_bytes)},
                    {"memory_total_bytes", optional_json(gpu.memory_total_bytes)},
                    {"utilization", optional_json(gpu.utilization_ratio)},
                    {"temperature_celsius", optional_json(gpu.temperature_celsius)},
                    {"power_watts", optional_json(gpu.power_watts)}});
  }
  nlohmann::ordered_json memory = nlohmann::ordered_json::array();
  for (const DeviceMemorySnapshot& device : latest.memory) {
    nlohmann::ordered_json parts = nlohmann::ordered_json::object();
    for (const auto& [part, num_bytes] : device.part_bytes) parts[part] = num_bytes;
    memory.push_back({{"device", device.device}, {"name", device.name}, {"bytes", parts}});
  }
  nlohmann::ordered_json document = {{"url", frame.url},
                                     {"model", latest.model_name},
                                     {"window_s", window.window_s},
                                     {"requests",
                                      {{"running", optional_json(latest.num_requests_running)},
                                       {"waiting", optional_json(latest.num_requests_waiting)}}},
                                     {"tokens_per_s",
                                      {{"prompt", optional_json(window.prompt_tokens_per_s)},
                                       {"generation", optional_json(window.generation_tokens_per_s)}}},
                                     {"time_to_first_token_s", percentiles_json(window.time_to_first_token)},
                                     {"inter_token_latency_s", percentiles_json(window.inter_token_latency)},
                                     {"kv_cache",
                                      {{"usage", optional_json(latest.kv_cache_usage_perc)},
                                       {"used_blocks", optional_json(latest.kv_cache_used_blocks)},
                                       {"total_blocks", optional_json(latest.kv_cache_total_blocks)},
                                       {"used_bytes", optional_json(latest.kv_cache_used_bytes)},
                                       {"total_bytes", optional_json(latest.kv_cache_total_bytes)}}},
                                     {"prefix_cache_hit_rate", optional_json(window.prefix_cache_hit_rate)},
                                     {"encoder_cache_hit_rate", optional_json(window.encoder_cache_hit_rate)},
                                     {"totals",
                                      {{"prompt_tokens", latest.prompt_tokens},
                                       {"generation_tokens", latest.generation_tokens},
                                       {"prefix_cache_queries", latest.prefix_cache_queries},
                                       {"prefix_cache_hits", latest.prefix_cache_hits},
                                       {"encoder_cache_queries", latest.encoder_cache_queries},
                                       {"encoder_cache_hits", latest.encoder_cache_hits},
                                       {"num_preemptions", latest.num_preemptions}}},
                                     {"gpus", gpus},
                                     {"memory", memory}};
  return document.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace fovea::monitor
