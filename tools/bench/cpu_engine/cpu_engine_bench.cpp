// fovea_cpu_engine_bench: prefill and decode tok/s of the text decoder on the CPU backend, with the steps built the
// way the engine's model runner builds them (one sequence, paged KV cache, prompt chunks of the scheduler's token
// budget, logits of the last row copied to the host). Prints a table and one JSON line (last line of stdout).
// Usage: fovea_cpu_engine_bench --model DIR [--load-format safetensors|dummy] [--threads 2] [--prompt-tokens 512]
//        [--gen-tokens 128] [--decode-prompt-tokens 16] [--max-num-batched-tokens 2048] [--reps 3] [--profile]
// Not a test: numbers go to docs/PERFORMANCE.md (tools/bench/cpu_vs_llamacpp.sh runs it beside llama-bench).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "model/decoder_step.h"
#include "model/model.h"
#include "timed_backend.h"

namespace fovea::bench {
namespace {

struct BenchOptions {
  std::string model_dir;
  std::string load_format = "safetensors";
  int num_threads = 2;
  int64_t prompt_tokens = 512;
  int64_t gen_tokens = 128;
  int64_t decode_prompt_tokens = 16;
  int64_t max_num_batched_tokens = 2048;  // the engine's default scheduler token budget
  int64_t block_size = 16;                // the engine's default
  int reps = 3;
  uint64_t seed = 0;
  bool profile = false;
};

double process_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

// One sequence's decoder steps, as engine::ModelRunner::execute builds them for a single scheduled sequence:
// positions 0.., slots block_id * block_size + offset over an identity block table, logits of the last row only
// when the step samples, copied to host memory like the runner does.
class SequenceDriver {
 public:
  SequenceDriver(backend::Backend& backend, model::Model& model, model::KvCache& cache)
      : backend_(&backend), model_(&model), cache_(&cache) {
    for (int64_t block_idx = 0; block_idx < cache.num_blocks; ++block_idx) {
      block_ids_.push_back(static_cast<int32_t>(block_idx));
    }
    logits_host_.resize(static_cast<size_t>(model.config().text_config.vocab_size));
  }

  void reset() { num_computed_tokens_ = 0; }

  base::Status step(std::span<const int32_t> new_tokens, bool samples) {
    const int64_t block_size = cache_->block_size;
    const int64_t begin = num_computed_tokens_;
    const auto end = begin + static_cast<int64_t>(new_tokens.size());
    positions_.clear();
    slot_mapping_.clear();
    for (int64_t token_idx = begin; token_idx < end; ++token_idx) {
      positions_.push_back(static_cast<int32_t>(token_idx));
      const int32_t block_id = block_ids_[static_cast<size_t>(token_idx / block_size)];
      slot_mapping_.push_back(static_cast<int32_t>(block_id * block_size + token_idx % block_size));
    }
    const int64_t num_blocks = (end + block_size - 1) / block_size;
    query_start_loc_ = {0, static_cast<int32_t>(new_tokens.size())};
    seq_lens_ = {static_cast<int32_t>(end)};
    logits_rows_.clear();
    if (samples) logits_rows_.push_back(static_cast<int32_t>(new_tokens.size() - 1));

    model::DecoderStep step;
    step.token_ids = new_tokens;
    step.positions = positions_;
    step.slot_mapping = slot_mapping_;
    step.query_start_loc = query_start_loc_;
    step.seq_lens = seq_lens_;
    step.block_tables = std::span<const int32_t>(block_ids_).first(static_cast<size_t>(num_blocks));
    step.blocks_per_seq = num_blocks;
    step.max_query_len = static_cast<int>(new_tokens.size());
    step.max_seq_len = static_cast<int>(end);
    step.logits_rows = logits_rows_;
    FOVEA_ASSIGN_OR_RETURN(backend::Tensor logits, model_->decoder().forward(step, *cache_));
    backend::Stream& stream = backend_->default_stream();
    if (samples) FOVEA_RETURN_IF_ERROR(backend_->copy_to_host(stream, logits, logits_host_.data()));
    FOVEA_RETURN_IF_ERROR(backend_->synchronize(stream));
    num_computed_tokens_ = end;
    return base::Status();
  }

 private:
  backend::Backend* backend_;  // not owned
  model::Model* model_;        // not owned
  model::KvCache* cache_;      // not owned
  int64_t num_computed_tokens_ = 0;
  std::vector<int32_t> block_ids_;
  std::vector<int32_t> positions_;
  std::vector<int32_t> slot_mapping_;
  std::vector<int32_t> query_start_loc_;
  std::vector<int32_t> seq_lens_;
  std::vector<int32_t> logits_rows_;
  std::vector<float> logits_host_;  // [vocab] f32
};

// A phase's repetitions: tok/s over wall time per rep, and over CPU time per thread (what an idle machine would
// give if the threads never waited; the build machine is shared, so both are printed).
struct PhaseResult {
  std::vector<double> wall_tok_s;
  std::vector<double> cpu_tok_s;

  double mean() const {
    double sum = 0.0;
    for (double v : wall_tok_s) sum += v;
    return wall_tok_s.empty() ? 0.0 : sum / static_cast<double>(wall_tok_s.size());
  }
  double stddev() const {
    if (wall_tok_s.size() < 2) return 0.0;
    const double m = mean();
    double sum = 0.0;
    for (double v : wall_tok_s) sum += (v - m) * (v - m);
    return std::sqrt(sum / static_cast<double>(wall_tok_s.size() - 1));
  }
  double cpu_mean() const {
    double sum = 0.0;
    for (double v : cpu_tok_s) sum += v;
    return cpu_tok_s.empty() ? 0.0 : sum / static_cast<double>(cpu_tok_s.size());
  }
};

std::vector<int32_t> random_tokens(int64_t count, int64_t vocab_size, std::mt19937_64& rng) {
  std::uniform_int_distribution<int32_t> dist(0, static_cast<int32_t>(vocab_size - 1));
  std::vector<int32_t> tokens(static_cast<size_t>(count));
  for (int32_t& token : tokens) token = dist(rng);
  return tokens;
}

// The prompt in chunks of at most the token budget (the scheduler's chunked prefill); the last chunk samples.
base::Status run_prefill(SequenceDriver& driver, std::span<const int32_t> prompt, int64_t budget_tokens) {
  driver.reset();
  for (size_t begin = 0; begin < prompt.size(); begin += static_cast<size_t>(budget_tokens)) {
    const size_t count = std::min(prompt.size() - begin, static_cast<size_t>(budget_tokens));
    FOVEA_RETURN_IF_ERROR(driver.step(prompt.subspan(begin, count), begin + count == prompt.size()));
  }
  return base::Status();
}

template <typename Fn>
base::Result<PhaseResult> repeat(const BenchOptions& options, int64_t num_tokens, Fn&& run_once) {
  PhaseResult result;
  for (int rep_idx = 0; rep_idx < options.reps; ++rep_idx) {
    double wall_s = 0.0;
    double cpu_s = 0.0;
    FOVEA_RETURN_IF_ERROR(run_once(wall_s, cpu_s));
    result.wall_tok_s.push_back(static_cast<double>(num_tokens) / wall_s);
    result.cpu_tok_s.push_back(static_cast<double>(num_tokens) / (cpu_s / options.num_threads));
  }
  return result;
}

void print_profile(const char* phase, const std::map<std::string, OpTotals>& totals_by_op, double total_s) {
  std::vector<std::pair<std::string, OpTotals>> rows(totals_by_op.begin(), totals_by_op.end());
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second.seconds > b.second.seconds; });
  std::printf("\n%s: time per op (all reps, %.3f s of steps)\n", phase, total_s);
  std::printf("  %-22s %10s %12s %8s %12s\n", "op", "calls", "seconds", "share", "us/call");
  double op_sum = 0.0;
  for (const auto& [name, totals] : rows) {
    op_sum += totals.seconds;
    std::printf("  %-22s %10lld %12.4f %7.1f%% %12.1f\n", name.c_str(), static_cast<long long>(totals.num_calls),
                totals.seconds, 100.0 * totals.seconds / total_s,
                1e6 * totals.seconds / static_cast<double>(totals.num_calls));
  }
  std::printf("  %-22s %10s %12.4f %7.1f%%\n", "(outside ops)", "", total_s - op_sum,
              100.0 * (total_s - op_sum) / total_s);
}

base::Status run(const BenchOptions& options) {
  backend::cpu::CpuBackendOptions backend_options;
  backend_options.num_threads = options.num_threads;
  backend::cpu::CpuBackend cpu(backend_options);
  std::unique_ptr<TimedBackend> timed;
  if (options.profile) timed = std::make_unique<TimedBackend>(cpu);
  backend::Backend& backend = timed ? static_cast<backend::Backend&>(*timed) : cpu;

  const int64_t max_tokens = std::max(options.prompt_tokens, options.decode_prompt_tokens + options.gen_tokens);
  model::ModelOptions model_options;
  model_options.load_format =
      options.load_format == "dummy" ? model::LoadFormat::kDummy : model::LoadFormat::kSafetensors;
  model_options.dummy_seed = options.seed;
  model_options.max_vision_patches = 0;
  model_options.text_limits.max_num_batched_tokens = options.max_num_batched_tokens;
  model_options.text_limits.max_blocks_per_seq = (max_tokens + options.block_size - 1) / options.block_size;
  const auto load_start = std::chrono::steady_clock::now();
  FOVEA_ASSIGN_OR_RETURN(std::unique_ptr<model::Model> model,
                         model::Model::load(options.model_dir, backend, model_options));
  const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
  const io::TextConfig& text = model->config().text_config;
  const tensor::DType act = model->decoder().activation_dtype();
  FOVEA_ASSIGN_OR_RETURN(model::KvCache cache, model->allocate_kv_cache(model_options.text_limits.max_blocks_per_seq,
                                                                        options.block_size, act));
  SequenceDriver driver(backend, *model, cache);
  std::mt19937_64 rng(options.seed);
  const std::vector<int32_t> prompt = random_tokens(options.prompt_tokens, text.vocab_size, rng);
  const std::vector<int32_t> decode_prompt = random_tokens(options.decode_prompt_tokens, text.vocab_size, rng);
  const std::vector<int32_t> generated = random_tokens(options.gen_tokens, text.vocab_size, rng);

  auto prefill_once = [&](double& wall_s, double& cpu_s) -> base::Status {
    const double cpu_start = process_cpu_seconds();
    const auto start = std::chrono::steady_clock::now();
    FOVEA_RETURN_IF_ERROR(run_prefill(driver, prompt, options.max_num_batched_tokens));
    wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    cpu_s = process_cpu_seconds() - cpu_start;
    return base::Status();
  };
  auto decode_once = [&](double& wall_s, double& cpu_s) -> base::Status {
    if (timed) timed->timed_ops().set_recording(false);
    FOVEA_RETURN_IF_ERROR(run_prefill(driver, decode_prompt, options.max_num_batched_tokens));
    if (timed) timed->timed_ops().set_recording(true);
    const double cpu_start = process_cpu_seconds();
    const auto start = std::chrono::steady_clock::now();
    for (size_t token_idx = 0; token_idx < generated.size(); ++token_idx) {
      FOVEA_RETURN_IF_ERROR(driver.step(std::span<const int32_t>(generated).subspan(token_idx, 1), true));
    }
    wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    cpu_s = process_cpu_seconds() - cpu_start;
    return base::Status();
  };

  // One warm-up of each phase (first touch of the weights and the workspace), then the timed repetitions.
  double ignored_wall = 0.0;
  double ignored_cpu = 0.0;
  FOVEA_RETURN_IF_ERROR(prefill_once(ignored_wall, ignored_cpu));
  FOVEA_RETURN_IF_ERROR(decode_once(ignored_wall, ignored_cpu));
  if (timed) timed->timed_ops().reset();
  FOVEA_ASSIGN_OR_RETURN(PhaseResult prefill, repeat(options, options.prompt_tokens, prefill_once));
  std::map<std::string, OpTotals> prefill_ops;
  if (timed) {
    prefill_ops = timed->timed_ops().totals();
    timed->timed_ops().reset();
  }
  FOVEA_ASSIGN_OR_RETURN(PhaseResult decode, repeat(options, options.gen_tokens, decode_once));

  const std::string act_name(tensor::dtype_name(act));
  std::printf("fovea CPU engine bench: %s (%s weights, %s activations and KV cache), %d threads, load %.1f s\n",
              options.model_dir.c_str(), options.load_format.c_str(), act_name.c_str(), options.num_threads, load_s);
  std::printf("  %-28s %12s %10s %18s\n", "test", "tok/s", "stddev", "cpu-time tok/s");
  std::printf("  %-28s %12.2f %10.2f %18.2f\n", ("prefill pp" + std::to_string(options.prompt_tokens)).c_str(),
              prefill.mean(), prefill.stddev(), prefill.cpu_mean());
  std::printf("  %-28s %12.2f %10.2f %18.2f\n", ("decode tg" + std::to_string(options.gen_tokens)).c_str(),
              decode.mean(), decode.stddev(), decode.cpu_mean());
  if (timed) {
    double prefill_s = 0.0;
    for (double v : prefill.wall_tok_s) prefill_s += static_cast<double>(options.prompt_tokens) / v;
    double decode_s = 0.0;
    for (double v : decode.wall_tok_s) decode_s += static_cast<double>(options.gen_tokens) / v;
    print_profile("prefill", prefill_ops, prefill_s);
    print_profile("decode", timed->timed_ops().totals(), decode_s);
  }
  nlohmann::json line = {
      {"bench", "cpu_engine"},
      {"model_dir", options.model_dir},
      {"load_format", options.load_format},
      {"activation_dtype", act_name},
      {"threads", options.num_threads},
      {"reps", options.reps},
      {"max_num_batched_tokens", options.max_num_batched_tokens},
      {"prompt_tokens", options.prompt_tokens},
      {"prefill_tok_s", prefill.mean()},
      {"prefill_tok_s_stddev", prefill.stddev()},
      {"prefill_tok_s_cpu_time", prefill.cpu_mean()},
      {"decode_prompt_tokens", options.decode_prompt_tokens},
      {"gen_tokens", options.gen_tokens},
      {"decode_tok_s", decode.mean()},
      {"decode_tok_s_stddev", decode.stddev()},
      {"decode_tok_s_cpu_time", decode.cpu_mean()},
      {"profiled", options.profile},
  };
  std::printf("%s\n", line.dump().c_str());
  return base::Status();
}

}  // namespace
}  // namespace fovea::bench

int main(int argc, char** argv) {
  fovea::bench::BenchOptions options;
  CLI::App app{"fovea_cpu_engine_bench: prefill and decode tok/s of the CPU backend on a model folder"};
  app.add_option("--model", options.model_dir, "model folder (config.json, and safetensors unless dummy)")->required();
  app.add_option("--load-format", options.load_format, "safetensors or dummy (seeded random weights)")
      ->check(CLI::IsMember({"safetensors", "dummy"}));
  app.add_option("--threads", options.num_threads, "CPU threads")->check(CLI::Range(1, 256));
  app.add_option("--prompt-tokens", options.prompt_tokens, "prefill prompt length")->check(CLI::Range(1, 1 << 20));
  app.add_option("--gen-tokens", options.gen_tokens, "decode steps timed")->check(CLI::Range(1, 1 << 20));
  app.add_option("--decode-prompt-tokens", options.decode_prompt_tokens, "prompt before the decode steps")
      ->check(CLI::Range(1, 1 << 20));
  app.add_option("--max-num-batched-tokens", options.max_num_batched_tokens, "scheduler token budget per step")
      ->check(CLI::Range(1, 1 << 20));
  app.add_option("--block-size", options.block_size, "KV cache block size")->check(CLI::Range(1, 4096));
  app.add_option("--reps", options.reps, "timed repetitions of each phase")->check(CLI::Range(1, 1000));
  app.add_option("--seed", options.seed, "token and dummy-weight seed");
  app.add_flag("--profile", options.profile, "time every op (adds a little per-call overhead)");
  CLI11_PARSE(app, argc, argv);
  const fovea::base::Status status = fovea::bench::run(options);
  if (!status.ok()) {
    std::fprintf(stderr, "fovea_cpu_engine_bench: %s\n", status.to_string().c_str());
    return 1;
  }
  return 0;
}
