// The printed tables and the JSON of `fovea bench-engine` (see bench_engine_report.h). Formatting only: no device
// work, no timing and no greedy check here.
#include "cli/bench_engine_report.h"

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>

#include "plan/weight_budget.h"

namespace fovea::cli::bench_engine {
namespace {

using nlohmann::ordered_json;

std::string dtype_text(tensor::DType dtype) { return std::string(tensor::dtype_name(dtype)); }

// How the checkpoint stores its weights, for the table's header.
std::string weights_text(const io::ModelConfig& config) {
  if (config.quantization_config) {
    base::Result<plan::WeightFormatRules> rules = plan::WeightFormatRules::from_config(config, std::nullopt);
    if (rules.ok()) return rules->description();
  }
  return dtype_text(weight_dtype(config));
}

std::string percent(double value, double limit) {
  if (limit <= 0) return "-";
  char text[32];
  std::snprintf(text, sizeof(text), "%.0f%%", 100.0 * value / limit);
  return text;
}

}  // namespace

void print_progress(const Measurement& m) {
  std::printf("  %-7s batch %3lld x %5lld tokens, context %5lld: %9.3f ms/step, %10.1f tok/s%s\n", m.phase.c_str(),
              static_cast<long long>(m.batch), static_cast<long long>(m.new_tokens), static_cast<long long>(m.context),
              m.mean_step_s * 1e3, m.tokens_per_s, m.graphs ? " (CUDA graphs)" : "");
  std::fflush(stdout);
}

void print_table(const BenchEngineOptions& options, const DeviceDescription& device, const SizeReport& report,
                 const std::vector<Measurement>& results) {
  const model::Model& model = *report.model;
  const io::TextConfig& text = model.config().text_config;
  const StepCost& cost = report.cost;
  std::printf("\nfovea bench-engine: %s on %s\n", report.label.c_str(), device.name.c_str());
  std::printf(
      "  %lld layers, hidden %lld, %lld/%lld heads, MLP %lld, vocab %lld; %s weights (%s), %s activations, %s KV "
      "cache (%.2f GB), weights %.2f GB loaded in %.1f s\n",
      static_cast<long long>(text.num_hidden_layers), static_cast<long long>(text.hidden_size),
      static_cast<long long>(text.num_attention_heads), static_cast<long long>(text.num_key_value_heads),
      static_cast<long long>(text.intermediate_size), static_cast<long long>(text.vocab_size),
      weights_text(model.config()).c_str(), options.load_format.c_str(), dtype_text(report.act).c_str(),
      dtype_text(report.kv_dtype).c_str(), static_cast<double>(report.kv_bytes) / 1e9,
      static_cast<double>(model.weight_bytes()) / 1e9, report.load_s);
  std::printf("  limits measured in this run: copy %.0f GB/s (read + write, %lld MiB), %s GEMM %lld^3 %.1f TFLOP/s\n",
              report.copy_bytes_per_s / 1e9, static_cast<long long>(options.copy_mib), dtype_text(report.act).c_str(),
              static_cast<long long>(options.gemm_size), report.gemm_flops_per_s / 1e12);
  std::printf(
      "  decode limit: batch x bandwidth / (decoder weights %.2f GB + lm_head %.2f GB + KV read); prefill "
      "limit: tokens x GEMM peak / FLOPs\n",
      cost.layer_weight_bytes / 1e9, cost.lm_head_bytes / 1e9);
  std::printf("  %-8s %6s %7s %8s %10s %10s %12s %12s %8s\n", "phase", "batch", "tokens", "context", "ms/step",
              "median ms", "tok/s", "limit tok/s", "of limit");
  for (const Measurement& m : results) {
    std::printf("  %-8s %6lld %7lld %8lld %10.3f %10.3f %12.1f %12.1f %8s\n", m.phase.c_str(),
                static_cast<long long>(m.batch), static_cast<long long>(m.new_tokens),
                static_cast<long long>(m.context), m.mean_step_s * 1e3, m.median_step_s * 1e3, m.tokens_per_s,
                m.limit_tokens_per_s, percent(m.tokens_per_s, m.limit_tokens_per_s).c_str());
  }
  std::fflush(stdout);
}

base::Status write_json(const std::string& path, const BenchEngineOptions& options, const DeviceDescription& device,
                        const SizeReport& report, const std::vector<Measurement>& results) {
  const model::Model& model = *report.model;
  const io::TextConfig& text = model.config().text_config;
  const StepCost& cost = report.cost;
  ordered_json out;
  out["engine"] = "fovea";
  out["model"] = report.label;
  out["model_dir"] = options.model_dir;
  out["device"] = device.name;
  out["device_memory_bytes"] = device.memory_bytes;
  out["tensor_parallel_size"] = report.tp;
  out["shapes"] = {{"layers", text.num_hidden_layers},  {"hidden", text.hidden_size},
                   {"heads", text.num_attention_heads}, {"kv_heads", text.num_key_value_heads},
                   {"head_dim", text.head_dim},         {"intermediate", text.intermediate_size},
                   {"vocab", text.vocab_size}};
  out["weights"] = {{"dtype", dtype_text(weight_dtype(model.config()))},
                    {"load_format", options.load_format},
                    {"bytes", model.weight_bytes()},
                    {"load_s", report.load_s}};
  out["activation_dtype"] = dtype_text(report.act);
  out["kv_cache"] = {
      {"dtype", dtype_text(report.kv_dtype)}, {"bytes", report.kv_bytes}, {"block_size", options.block_size}};
  out["limits"] = {{"copy_bytes_per_s", report.copy_bytes_per_s},
                   {"copy_buffer_mib", options.copy_mib},
                   {"gemm_flops_per_s", report.gemm_flops_per_s},
                   {"gemm_size", options.gemm_size},
                   {"decode_weight_bytes", cost.layer_weight_bytes + cost.lm_head_bytes},
                   {"kv_bytes_per_token", cost.kv_bytes_per_token}};
  ordered_json rows = ordered_json::array();
  for (const Measurement& m : results) {
    rows.push_back({{"phase", m.phase},
                    {"batch", m.batch},
                    {"new_tokens", m.new_tokens},
                    {"context", m.context},
                    {"steps", m.num_steps},
                    {"mean_step_ms", m.mean_step_s * 1e3},
                    {"median_step_ms", m.median_step_s * 1e3},
                    {"tokens_per_s", m.tokens_per_s},
                    {"limit_tokens_per_s", m.limit_tokens_per_s},
                    {"cuda_graphs", m.graphs},
                    {"all_reduce_step_ms", m.all_reduce_step_s * 1e3}});
  }
  out["results"] = rows;
  std::ofstream file(path);
  file << out.dump(2) << "\n";
  file.close();
  if (!file) return base::make_error(base::StatusCode::kUnavailable, "cannot write --output-json {}", path);
  return base::Status();
}

void print_tp_comparison(const BenchEngineOptions& options, const DeviceDescription& device,
                         const std::vector<Measurement>& results) {
  const int base_tp = static_cast<int>(options.tps.front());
  std::printf(
      "\nfovea bench-engine: tensor parallel sizes on %s (tok/s; speed-up over tp=%d; all-reduce: a decode "
      "step's all-reduces (2 per layer + 1) enqueued alone, ms and share of the step)\n",
      device.name.c_str(), base_tp);
  std::printf("  %-8s %6s %7s %4s %12s %10s %12s %10s\n", "phase", "batch", "tokens", "tp", "tok/s", "speed-up",
              "all-reduce ms", "share");
  for (const Measurement& m : results) {
    const Measurement* base = nullptr;
    for (const Measurement& other : results) {
      if (other.tp == base_tp && other.phase == m.phase && other.batch == m.batch && other.new_tokens == m.new_tokens) {
        base = &other;
      }
    }
    const double speedup = base != nullptr && base->tokens_per_s > 0 ? m.tokens_per_s / base->tokens_per_s : 0;
    std::printf("  %-8s %6lld %7lld %4d %12.1f %9.2fx %12.3f %9.0f%%\n", m.phase.c_str(),
                static_cast<long long>(m.batch), static_cast<long long>(m.new_tokens), m.tp, m.tokens_per_s, speedup,
                m.all_reduce_step_s * 1e3, m.mean_step_s > 0 ? 100.0 * m.all_reduce_step_s / m.mean_step_s : 0.0);
  }
  std::fflush(stdout);
}

}  // namespace fovea::cli::bench_engine
