// `fovea bench-engine --model DIR [--load-format dummy] [--device cuda] [--tensor-parallel-size 1,2]`: an offline
// benchmark of the model's steps like vLLM's (decode tok/s per batch size, prefill tok/s per prompt length, each beside
// the limit measured in the same run; each TP size in turn, optionally with a greedy agreement check). This file: the
// flags, their checks and each size's run (one model loaded per rank); the parts are in
// bench_engine_{ranks,steps,limits,timing,greedy,report}.*. Must not contain scheduling, sampling or op code.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cli/bench_engine_clock.h"
#include "cli/bench_engine_greedy.h"
#include "cli/bench_engine_limits.h"
#include "cli/bench_engine_options.h"
#include "cli/bench_engine_ranks.h"
#include "cli/bench_engine_report.h"
#include "cli/bench_engine_timing.h"
#include "cli/command_registry.h"
#include "model/kv_cache.h"
#include "model/model.h"

namespace fovea::cli {
namespace {

using bench_engine::BenchEngineOptions;
using bench_engine::Clock;
using bench_engine::GreedyRun;
using bench_engine::Measurement;
using bench_engine::RankSet;
using bench_engine::seconds_since;

base::Result<tensor::DType> parse_act_dtype(const std::string& name) {
  if (name == "bfloat16" || name == "bf16") return tensor::DType::kBF16;
  if (name == "float16" || name == "f16") return tensor::DType::kF16;
  if (name == "float32" || name == "f32") return tensor::DType::kF32;
  return base::invalid_argument("--dtype {} is not an activation dtype; use bfloat16, float16 or float32", name);
}

base::Result<tensor::DType> parse_kv_dtype(const std::string& name, tensor::DType act) {
  if (name == "auto") return act;
  if (name == "fp8" || name == "fp8_e4m3") return tensor::DType::kF8E4M3;
  if (name == "bfloat16" || name == "float16" || name == "float32") return parse_act_dtype(name);
  return base::invalid_argument("--kv-cache-dtype {} is not supported; use auto, bfloat16, float16, float32 or fp8",
                                name);
}

// Polls for `path` every 100 ms, for at most 15 minutes.
base::Status wait_for_file(const std::string& path) {
  const auto start = Clock::now();
  std::error_code error;
  while (!std::filesystem::exists(path, error)) {
    if (seconds_since(start) > 900) {
      return base::make_error(base::StatusCode::kUnavailable,
                              "--start-after {}: the file did not appear within 15 minutes", path);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return base::Status();
}

std::vector<int64_t> parse_list(const std::string& text) {
  std::vector<int64_t> values;
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = text.find(',', begin);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(begin, end - begin);
    char* parse_end = nullptr;
    const long long value = std::strtoll(item.c_str(), &parse_end, 10);
    values.push_back(item.empty() || *parse_end != '\0' ? -1 : value);
    begin = end + 1;
  }
  return values;
}

class BenchEngineCommand : public Command {
 public:
  void configure(CLI::App& app) override {
    BenchEngineOptions& o = options_;
    app.add_option("--model", o.model_dir, "Model folder (config.json; weights unless --load-format dummy)")
        ->required();
    app.add_option("--load-format", o.load_format, "safetensors, or dummy: seeded random weights of the real shapes")
        ->capture_default_str();
    app.add_option("--device", o.device, "cuda, cuda:N or cpu")->capture_default_str();
    app.add_option("--tensor-parallel-size,--tp", o.tp_sizes,
                   "Tensor-parallel sizes to run in turn, comma-separated (ranks on cuda:0..N-1, or N CPU backends)")
        ->capture_default_str();
    app.add_option("--mm-encoder-tp-mode", o.encoder_tp_mode, "weights or data: how the vision weights are split")
        ->capture_default_str();
    app.add_option("--greedy-steps", o.greedy_steps,
                   "Greedy decode steps from one prompt at each size; later sizes are fed the first size's tokens and "
                   "must pick them (0: skip)")
        ->capture_default_str();
    app.add_option("--greedy-prompt-len", o.greedy_prompt_len, "Prompt tokens of the greedy check")
        ->capture_default_str();
    app.add_option("--dtype", o.dtype, "Activation dtype: bfloat16, float16 or float32")->capture_default_str();
    app.add_option("--kv-cache-dtype", o.kv_dtype, "auto (the activation dtype) or fp8")->capture_default_str();
    app.add_option("--batch-sizes", o.batch_sizes, "Decode batch sizes, comma-separated")->capture_default_str();
    app.add_option("--context-len", o.context_len, "Cached tokens per sequence before the timed decode steps")
        ->capture_default_str();
    app.add_option("--decode-steps", o.decode_steps, "Timed decode steps per batch size")->capture_default_str();
    app.add_option("--prefill-lens", o.prefill_lens, "Prompt lengths of the prefill runs, comma-separated")
        ->capture_default_str();
    app.add_option("--prefill-iters", o.prefill_iters, "Timed prefills per length")->capture_default_str();
    app.add_option("--warmup", o.warmup, "Untimed steps before each measurement")->capture_default_str();
    app.add_flag("--enforce-eager", o.enforce_eager,
                 "Run decode steps op by op (no CUDA graphs), as vLLM's --enforce-eager");
    app.add_flag("--compare-eager", o.compare_eager,
                 "Also time every decode batch op by op first (phase \"eager\"), beside the CUDA-graph rows");
    app.add_flag("--profile-prefill", o.profile_prefill,
                 "After each prefill length, run one more with per-op device timing (CUDA) and print the table");
    app.add_option("--block-size", o.block_size, "KV cache block size in tokens")->capture_default_str();
    app.add_option("--copy-mib", o.copy_mib, "Buffer size of the bandwidth measurement (0: skip)")
        ->capture_default_str();
    app.add_option("--gemm-size", o.gemm_size, "M = N = K of the GEMM peak measurement (0: skip)")
        ->capture_default_str();
    app.add_option("--seed", o.seed, "Seed of the dummy weights and token ids")->capture_default_str();
    app.add_option("--threads", o.num_threads, "CPU threads for --device cpu (0: all cores)")->capture_default_str();
    app.add_option("--label", o.label, "Name of the model shapes in the table (default: the folder)");
    app.add_option("--output-json", o.json_path, "Also write the results as JSON to this file");
    app.add_option("--start-after", o.start_after_path,
                   "After loading, wait until this file exists before measuring (a driver loads the model while "
                   "other GPU work finishes, then creates the file)");
  }

  int run() override {
    auto status = execute();
    return status.ok() ? 0 : report_error(status);
  }

 private:
  base::Status check_options() {
    BenchEngineOptions& o = options_;
    if (o.load_format != "dummy" && o.load_format != "safetensors") {
      return base::invalid_argument("--load-format {} is not supported; use safetensors or dummy", o.load_format);
    }
    o.batches = parse_list(o.batch_sizes);
    o.prefills = parse_list(o.prefill_lens);
    o.tps = parse_list(o.tp_sizes);
    for (int64_t tp : o.tps) {
      if (tp < 1 || tp > 64)
        return base::invalid_argument("--tensor-parallel-size takes sizes 1 to 64, comma-separated");
    }
    if (o.tps.empty()) return base::invalid_argument("--tensor-parallel-size needs at least one size");
    if (o.encoder_tp_mode != "weights" && o.encoder_tp_mode != "data") {
      return base::invalid_argument("--mm-encoder-tp-mode {} is not a mode; use weights or data", o.encoder_tp_mode);
    }
    if (o.greedy_steps < 0 || o.greedy_prompt_len < 1) {
      return base::invalid_argument("--greedy-steps must be >= 0 and --greedy-prompt-len >= 1");
    }
    for (const auto* list : {&o.batches, &o.prefills}) {
      for (int64_t value : *list) {
        if (value < 1 || value > 1 << 20) {
          return base::invalid_argument("--batch-sizes and --prefill-lens take positive integers separated by commas");
        }
      }
    }
    if (o.context_len < 0 || o.decode_steps < 1 || o.prefill_iters < 1 || o.warmup < 0 || o.block_size < 1 ||
        o.copy_mib < 0 || o.gemm_size < 0) {
      return base::invalid_argument(
          "--context-len, --warmup, --copy-mib and --gemm-size must be >= 0, and --decode-steps, --prefill-iters "
          "and --block-size >= 1");
    }
    return base::Status();
  }

  base::Status execute() {
    FOVEA_RETURN_IF_ERROR(check_options());
    FOVEA_ASSIGN_OR_RETURN(tensor::DType act, parse_act_dtype(options_.dtype));
    FOVEA_ASSIGN_OR_RETURN(tensor::DType kv_dtype, parse_kv_dtype(options_.kv_dtype, act));
    std::vector<Measurement> all_results;
    std::vector<GreedyRun> greedy_runs;
    for (int64_t tp : options_.tps) {
      FOVEA_RETURN_IF_ERROR(run_size(static_cast<int>(tp), act, kv_dtype, all_results, greedy_runs));
    }
    if (options_.tps.size() > 1) bench_engine::print_tp_comparison(options_, device_, all_results);
    if (greedy_runs.size() > 1) return bench_engine::print_greedy_agreement(options_.dtype, greedy_runs, noise_floor_);
    return base::Status();
  }

  // Everything at one tensor-parallel size: load, limits, greedy check, decode and prefill steps, the table.
  base::Status run_size(int tp, tensor::DType act, tensor::DType kv_dtype, std::vector<Measurement>& all_results,
                        std::vector<GreedyRun>& greedy_runs) {
    const BenchEngineOptions& o = options_;
    RankSet ranks;
    FOVEA_RETURN_IF_ERROR(bench_engine::make_ranks(o, tp, ranks, device_));
    backend::Backend& backend0 = *ranks.backends[0];

    // The greedy check's noise-floor runs decode its sequence beside up to 7 others (bench_engine_greedy.h).
    const bool noise_floor = o.greedy_steps > 0 && act != tensor::DType::kF32;
    const int64_t greedy_seqs = noise_floor ? bench_engine::kMaxNoiseFloorBatch : 1;
    const int64_t max_batch =
        std::max(o.batches.empty() ? 1 : *std::max_element(o.batches.begin(), o.batches.end()), greedy_seqs);
    const int64_t max_prefill =
        std::max(o.prefills.empty() ? 1 : *std::max_element(o.prefills.begin(), o.prefills.end()),
                 o.greedy_steps > 0 ? greedy_seqs * o.greedy_prompt_len : 1);
    const int64_t decode_len =
        std::max(o.context_len + o.warmup + o.decode_steps, o.greedy_prompt_len + o.greedy_steps + 1);
    const int64_t decode_blocks = (decode_len + o.block_size - 1) / o.block_size;
    const int64_t prefill_blocks = (max_prefill + o.block_size - 1) / o.block_size;
    model::ModelOptions model_options;
    model_options.activation_dtype = act;
    model_options.load_format = o.load_format == "dummy" ? model::LoadFormat::kDummy : model::LoadFormat::kSafetensors;
    model_options.dummy_seed = o.seed;
    model_options.text_limits.max_num_batched_tokens = std::max(max_batch, max_prefill);
    model_options.text_limits.max_num_seqs = max_batch;
    model_options.text_limits.max_blocks_per_seq = std::max(decode_blocks, prefill_blocks);
    model_options.max_vision_patches = 0;  // text steps only: no vision workspace
    model_options.tp_size = tp;
    model_options.shard_vision_weights = o.encoder_tp_mode == "weights";

    std::printf("bench-engine: loading %s (%s weights) on %s, tensor parallel %d\n", o.model_dir.c_str(),
                o.load_format.c_str(), device_.name.c_str(), tp);
    std::fflush(stdout);
    auto load_start = Clock::now();
    ranks.models.resize(static_cast<size_t>(tp));
    FOVEA_RETURN_IF_ERROR(ranks.threads->run([&](int rank_idx) -> base::Status {
      const auto idx = static_cast<size_t>(rank_idx);
      model::ModelOptions rank_options = model_options;
      rank_options.tp_rank = rank_idx;
      rank_options.communicator = tp > 1 ? ranks.communicators[idx].get() : nullptr;
      FOVEA_ASSIGN_OR_RETURN(ranks.models[idx], model::Model::load(o.model_dir, *ranks.backends[idx], rank_options));
      return base::Status();
    }));
    const double load_s = seconds_since(load_start);
    model::Model& model0 = *ranks.models[0];
    const io::ModelConfig& config = model0.config();
    const int64_t num_blocks = std::max(max_batch * decode_blocks, prefill_blocks);
    for (const auto& rank_model : ranks.models) {
      FOVEA_ASSIGN_OR_RETURN(model::KvCache cache, rank_model->allocate_kv_cache(num_blocks, o.block_size, kv_dtype));
      ranks.caches.push_back(std::move(cache));
    }
    uint64_t kv_bytes = 0;
    for (const auto& buffer : ranks.caches[0].buffers) kv_bytes += buffer->size_bytes();
    std::printf("  weights per rank:");
    for (int rank_idx = 0; rank_idx < tp; ++rank_idx) {
      std::printf(" rank %d %.3f GB (%llu bytes)%s", rank_idx,
                  static_cast<double>(ranks.models[static_cast<size_t>(rank_idx)]->weight_bytes()) / 1e9,
                  static_cast<unsigned long long>(ranks.models[static_cast<size_t>(rank_idx)]->weight_bytes()),
                  rank_idx + 1 < tp ? "," : "\n");
    }
    std::fflush(stdout);

    if (!o.start_after_path.empty()) FOVEA_RETURN_IF_ERROR(wait_for_file(o.start_after_path));

    bench_engine::SizeTiming timing;
    timing.tp = tp;
    timing.act = act;
    // The limits, measured on rank 0's device after the model's memory is in place (the buffers go back to the pool
    // afterwards).
    if (o.copy_mib > 0) {
      FOVEA_ASSIGN_OR_RETURN(timing.copy_bytes_per_s, bench_engine::measure_copy_bandwidth(
                                                          backend0, static_cast<uint64_t>(o.copy_mib) << 20, 20));
    }
    if (o.gemm_size > 0) {
      FOVEA_ASSIGN_OR_RETURN(timing.gemm_flops_per_s, bench_engine::measure_gemm_peak(backend0, o.gemm_size, act, 10));
    }
    // A rank reads 1/tp of the decoder's weights and KV cache and does 1/tp of the FLOPs (the limits are per GPU).
    bench_engine::StepCost& cost = timing.cost;
    cost = bench_engine::step_cost(config, kv_dtype);
    const auto share = 1.0 / tp;
    cost.layer_weight_bytes *= share;
    cost.lm_head_bytes *= share;
    cost.kv_bytes_per_token *= share;
    cost.linear_flops_per_token *= share;
    cost.lm_head_flops_per_row *= share;
    cost.attention_flops_per_pair *= share;
    FOVEA_RETURN_IF_ERROR(bench_engine::use_quantized_weight_bytes(config, tp, cost));

    timing.decode_blocks = decode_blocks;
    timing.prefill_blocks = std::max(decode_blocks, prefill_blocks);
    timing.mrope = model0.decoder().uses_mrope();
    timing.vocab = config.text_config.vocab_size;
    timing.hidden = config.text_config.hidden_size;
    timing.num_layers = config.text_config.num_hidden_layers;
    timing.graph_mode = o.enforce_eager ? model::DecodeGraphMode::kOff : model::DecodeGraphMode::kGraphs;
    bench_engine::set_decode_graph_mode(ranks, timing.graph_mode);
    timing.graphs_on = model0.decoder().decode_graph_mode() == model::DecodeGraphMode::kGraphs;  // CUDA only

    if (o.greedy_steps > 0) {
      const GreedyRun* forced = greedy_runs.empty() ? nullptr : &greedy_runs.front();
      FOVEA_ASSIGN_OR_RETURN(
          GreedyRun run, bench_engine::run_greedy(o, ranks, tp, forced, 1, decode_blocks, timing.mrope, timing.vocab));
      std::printf("  greedy: %zu tokens from a %lld-token prompt%s\n", run.tokens.size(),
                  static_cast<long long>(o.greedy_prompt_len),
                  forced != nullptr ? " (fed the first size's tokens)" : "");
      greedy_runs.push_back(std::move(run));
      for (const int64_t num_seqs : bench_engine::kNoiseFloorBatches) {
        if (forced != nullptr || !noise_floor) break;
        FOVEA_ASSIGN_OR_RETURN(GreedyRun beside, bench_engine::run_greedy(o, ranks, tp, &greedy_runs.front(), num_seqs,
                                                                          decode_blocks, timing.mrope, timing.vocab));
        std::printf("  greedy: the same %zu tokens again beside %lld other sequences (the noise floor)\n",
                    beside.tokens.size(), static_cast<long long>(num_seqs - 1));
        noise_floor_.push_back(std::move(beside));
      }
    }

    std::vector<Measurement> results;
    std::mt19937 rng(static_cast<uint32_t>(o.seed));
    FOVEA_RETURN_IF_ERROR(bench_engine::time_decode(o, ranks, timing, rng, results));
    FOVEA_RETURN_IF_ERROR(bench_engine::time_prefill(o, ranks, timing, rng, results));

    bench_engine::SizeReport report;
    report.label = (o.label.empty() ? o.model_dir : o.label) + (o.tps.size() > 1 ? fmt::format(" tp={}", tp) : "");
    report.model = &model0;
    report.tp = tp;
    report.act = act;
    report.kv_dtype = kv_dtype;
    report.load_s = load_s;
    report.kv_bytes = kv_bytes;
    report.copy_bytes_per_s = timing.copy_bytes_per_s;
    report.gemm_flops_per_s = timing.gemm_flops_per_s;
    report.cost = cost;
    bench_engine::print_table(o, device_, report, results);
    if (!o.json_path.empty()) {
      const std::string path = o.tps.size() > 1 ? fmt::format("{}.tp{}.json", o.json_path, tp) : o.json_path;
      FOVEA_RETURN_IF_ERROR(bench_engine::write_json(path, o, device_, report, results));
    }
    all_results.insert(all_results.end(), results.begin(), results.end());
    return base::Status();
  }

  BenchEngineOptions options_;
  bench_engine::DeviceDescription device_;  // set by make_ranks; the last size's in the tp comparison
  std::vector<GreedyRun> noise_floor_;      // the first size's greedy run again, beside other sequences
};

}  // namespace

FOVEA_REGISTER_COMMAND(BenchEngineCommand, "bench-engine",
                       "Offline benchmark of the model's decode and prefill steps beside measured limits");

}  // namespace fovea::cli
