// The greedy agreement check of `fovea bench-engine` (see bench_engine_greedy.h): the teacher-forced greedy runs and
// their comparison table and verdict. No timing and no benchmark tables here.
#include "cli/bench_engine_greedy.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <span>
#include <string>
#include <utility>

namespace fovea::cli::bench_engine {
namespace {

// The spacing of bf16 values at `value` (logits of a bf16 model are bf16 values: margins come in these steps).
double bf16_ulp(double value) {
  const double magnitude = std::max(std::fabs(value), 1e-30);
  return std::ldexp(1.0, static_cast<int>(std::floor(std::log2(magnitude))) - 7);
}

// Top-1 token and its margin over the runner-up.
std::pair<int32_t, float> top1_with_margin(std::span<const float> row) {
  int32_t best = 0;
  float first = -INFINITY;
  float second = -INFINITY;
  for (size_t idx = 0; idx < row.size(); ++idx) {
    if (row[idx] > first) {
      second = first;
      first = row[idx];
      best = static_cast<int32_t>(idx);
    } else if (row[idx] > second) {
      second = row[idx];
    }
  }
  return {best, first - second};
}

}  // namespace

base::Result<GreedyRun> run_greedy(const BenchEngineOptions& options, RankSet& ranks, int tp, const GreedyRun* forced,
                                   int64_t blocks_per_seq, bool mrope, int64_t vocab) {
  const int64_t block_size = options.block_size;
  const int64_t prompt_len = options.greedy_prompt_len;
  GreedyRun run;
  run.tp = tp;
  std::mt19937 prompt_rng(static_cast<uint32_t>(options.seed + 1000));
  StepArrays arrays = make_step(1, 0, prompt_len, blocks_per_seq, block_size, mrope, vocab, prompt_rng);
  std::vector<float> host(static_cast<size_t>(vocab));
  backend::Backend& backend0 = *ranks.backends[0];
  for (int64_t step_idx = 0; step_idx <= options.greedy_steps; ++step_idx) {
    backend::Tensor logits;
    FOVEA_RETURN_IF_ERROR(step_all(ranks, arrays, &logits));
    // Every rank has the full vocabulary; rank 0's first row is the step's.
    const backend::Tensor row = logits.slice_rows(0, 1).slice_columns(0, vocab);
    FOVEA_RETURN_IF_ERROR(backend0.copy_to_host(backend0.default_stream(), row, host.data()));
    FOVEA_RETURN_IF_ERROR(backend0.synchronize(backend0.default_stream()));
    const auto [token, margin] = top1_with_margin(host);
    run.tokens.push_back(token);
    run.margins.push_back(margin);
    run.logits.push_back(host);
    const int32_t next = forced != nullptr ? forced->tokens[static_cast<size_t>(step_idx)] : token;
    const int64_t pos = prompt_len + step_idx;
    arrays.token_ids.assign(1, next);
    for (int32_t& value : arrays.positions) value = static_cast<int32_t>(pos);
    arrays.positions.resize(mrope ? 3 : 1, static_cast<int32_t>(pos));
    arrays.slot_mapping.assign(1, static_cast<int32_t>((pos / block_size) * block_size + pos % block_size));
    arrays.query_start_loc = {0, 1};
    arrays.seq_lens.assign(1, static_cast<int32_t>(pos + 1));
    arrays.logits_rows.assign(1, 0);
    arrays.max_query_len = 1;
    arrays.max_seq_len = static_cast<int>(pos + 1);
  }
  return run;
}

base::Status print_greedy_agreement(const BenchEngineOptions& options, const std::vector<GreedyRun>& runs) {
  constexpr float kTieMargin = 1e-2f;
  const std::string& dtype = options.dtype;
  const GreedyRun& base = runs.front();
  float min_margin = INFINITY;
  for (float margin : base.margins) min_margin = std::min(min_margin, margin);
  std::printf(
      "\nfovea bench-engine: greedy agreement with tp=%d over %zu steps (%s; teacher-forced; tp=%d's smallest "
      "top-1 margin %.4f)\n",
      base.tp, base.tokens.size(), dtype.c_str(), base.tp, static_cast<double>(min_margin));
  std::printf("  %4s %8s %10s %12s %16s %16s\n", "tp", "agree", "near-ties", "real misses", "rms logit diff",
              "max logit diff");
  bool ok = true;
  for (size_t run_idx = 1; run_idx < runs.size(); ++run_idx) {
    const GreedyRun& run = runs[run_idx];
    int64_t agree = 0;
    int64_t ties = 0;
    int64_t misses = 0;
    double sum_squares = 0;
    double max_diff = 0;
    int64_t count = 0;
    std::vector<std::string> miss_lines;
    const size_t num_steps = std::min(run.tokens.size(), base.tokens.size());
    for (size_t step_idx = 0; step_idx < num_steps; ++step_idx) {
      const std::vector<float>& want = base.logits[step_idx];
      const std::vector<float>& have = run.logits[step_idx];
      double step_squares = 0;
      for (size_t idx = 0; idx < want.size() && idx < have.size(); ++idx) {
        const double diff = static_cast<double>(have[idx]) - static_cast<double>(want[idx]);
        step_squares += diff * diff;
        max_diff = std::max(max_diff, std::fabs(diff));
      }
      sum_squares += step_squares;
      count += static_cast<int64_t>(want.size());
      if (run.tokens[step_idx] == base.tokens[step_idx]) {
        ++agree;
        continue;
      }
      const float base_margin = base.margins[step_idx];
      const bool tie = base_margin < kTieMargin;
      (tie ? ties : misses) += 1;
      const auto base_token = static_cast<size_t>(base.tokens[step_idx]);
      const auto run_token = static_cast<size_t>(run.tokens[step_idx]);
      miss_lines.push_back(fmt::format(
          "    step {:2}: tp={} margin {:.4f} ({:.1f} bf16 steps of its top logit {:.3f}), tp={} margin {:.4f} "
          "between the same tokens, step rms logit diff {:.4f}{}",
          step_idx, base.tp, base_margin, base_margin / bf16_ulp(want[base_token]), want[base_token], run.tp,
          have[base_token] - have[run_token],
          std::sqrt(step_squares / static_cast<double>(std::max<size_t>(want.size(), 1))), tie ? " (near-tie)" : ""));
    }
    std::printf("  %4d %5lld/%zu %10lld %12lld %16.5f %16.5f\n", run.tp, static_cast<long long>(agree), num_steps,
                static_cast<long long>(ties), static_cast<long long>(misses),
                std::sqrt(sum_squares / static_cast<double>(std::max<int64_t>(count, 1))), max_diff);
    for (const std::string& line : miss_lines) std::printf("%s\n", line.c_str());
    std::printf("  GREEDY tp=%d %s %s\n", run.tp, dtype.c_str(), misses == 0 ? "PASS" : "FAIL");
    ok = ok && misses == 0;
  }
  std::fflush(stdout);
  if (ok) return base::Status();
  return base::make_error(base::StatusCode::kInternal,
                          "a tensor-parallel size picked another greedy token where the first size's margin was "
                          "{} or more",
                          kTieMargin);
}

}  // namespace fovea::cli::bench_engine
