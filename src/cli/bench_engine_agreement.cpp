// The greedy agreement verdict of `fovea bench-engine` (see bench_engine_agreement.h): each run against the first
// size step by step, the near-tie threshold from the noise-floor runs, the table and the verdict. No model, no
// device and no timing here.
#include "cli/bench_engine_agreement.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

namespace fovea::cli::bench_engine {
namespace {

// The spacing of bf16 values at `value` (logits of a bf16 model are bf16 values: margins come in these steps).
double bf16_ulp(double value) {
  const double magnitude = std::max(std::fabs(value), 1e-30);
  return std::ldexp(1.0, static_cast<int>(std::floor(std::log2(magnitude))) - 7);
}

// A step where a run picked another token than the first size.
struct Miss {
  float base_margin = 0;  // the first size's top-1 margin there
  std::string line;       // the step, both margins and the step's RMS logit difference
};

// One run against the first size, step by step; which misses are near-ties is decided later, against a threshold
// that the noise-floor runs' own comparisons set.
struct Agreement {
  int64_t agree = 0;
  size_t num_steps = 0;
  double rms_diff = 0;
  double max_diff = 0;
  std::vector<Miss> misses;
};

Agreement compare_runs(const GreedyRun& base, const GreedyRun& run, const std::string& run_name) {
  Agreement result;
  double sum_squares = 0;
  int64_t count = 0;
  result.num_steps = std::min(run.tokens.size(), base.tokens.size());
  for (size_t step_idx = 0; step_idx < result.num_steps; ++step_idx) {
    const std::vector<float>& want = base.logits[step_idx];
    const std::vector<float>& have = run.logits[step_idx];
    double step_squares = 0;
    for (size_t idx = 0; idx < want.size() && idx < have.size(); ++idx) {
      const double diff = static_cast<double>(have[idx]) - static_cast<double>(want[idx]);
      step_squares += diff * diff;
      result.max_diff = std::max(result.max_diff, std::fabs(diff));
    }
    sum_squares += step_squares;
    count += static_cast<int64_t>(want.size());
    if (run.tokens[step_idx] == base.tokens[step_idx]) {
      ++result.agree;
      continue;
    }
    const float base_margin = base.margins[step_idx];
    const auto base_token = static_cast<size_t>(base.tokens[step_idx]);
    const auto run_token = static_cast<size_t>(run.tokens[step_idx]);
    result.misses.push_back(
        {base_margin,
         fmt::format("    step {:2}: tp={} margin {:.4f} ({:.1f} bf16 steps of its top logit {:.3f}), {} margin {:.4f} "
                     "between the same tokens, step rms logit diff {:.4f}",
                     step_idx, base.tp, base_margin, base_margin / bf16_ulp(want[base_token]), want[base_token],
                     run_name, have[base_token] - have[run_token],
                     std::sqrt(step_squares / static_cast<double>(std::max<size_t>(want.size(), 1))))});
  }
  result.rms_diff = std::sqrt(sum_squares / static_cast<double>(std::max<int64_t>(count, 1)));
  return result;
}

// Prints the run's row and its misses; returns its real misses (those at a margin of `tie_margin` or more).
int64_t print_row(const std::string& name, const Agreement& result, float tie_margin) {
  int64_t num_ties = 0;
  for (const Miss& miss : result.misses) num_ties += miss.base_margin < tie_margin ? 1 : 0;
  const auto num_real = static_cast<int64_t>(result.misses.size()) - num_ties;
  std::printf("  %-12s %5lld/%zu %10lld %12lld %16.5f %16.5f\n", name.c_str(), static_cast<long long>(result.agree),
              result.num_steps, static_cast<long long>(num_ties), static_cast<long long>(num_real), result.rms_diff,
              result.max_diff);
  for (const Miss& miss : result.misses) {
    std::printf("%s%s\n", miss.line.c_str(), miss.base_margin < tie_margin ? " (near-tie)" : "");
  }
  return num_real;
}

}  // namespace

base::Status print_greedy_agreement(const std::string& dtype, const std::vector<GreedyRun>& runs,
                                    const std::vector<GreedyRun>& noise_floor) {
  const GreedyRun& base = runs.front();
  float min_margin = INFINITY;
  for (float margin : base.margins) min_margin = std::min(min_margin, margin);
  std::printf(
      "\nfovea bench-engine: greedy agreement with tp=%d over %zu steps (%s; teacher-forced; tp=%d's smallest "
      "top-1 margin %.4f)\n",
      base.tp, base.tokens.size(), dtype.c_str(), base.tp, static_cast<double>(min_margin));
  std::vector<std::string> noise_names;
  std::vector<Agreement> noise_rows;
  double noise_rms = 0;
  for (const GreedyRun& run : noise_floor) {
    noise_names.push_back(fmt::format("tp={} +{} seq", run.tp, run.num_seqs - 1));
    noise_rows.push_back(compare_runs(base, run, noise_names.back()));
    noise_rms = std::max(noise_rms, noise_rows.back().rms_diff);
  }
  const double noise_margin = kNoiseSigmas * std::sqrt(2.0) * noise_rms;
  const float tie_margin = std::max(kTieMargin, static_cast<float>(noise_margin));
  if (tie_margin > kTieMargin) {
    std::printf(
        "  near-tie: a tp=%d margin below %.4f = %.0f x sqrt(2) x %.5f, the RMS logit difference of tp=%d "
        "itself beside other sequences\n",
        base.tp, static_cast<double>(tie_margin), kNoiseSigmas, noise_rms, base.tp);
  } else {
    std::printf("  near-tie: a tp=%d margin below %.4f (issue 12's 1e-2)\n", base.tp, static_cast<double>(tie_margin));
  }
  std::printf("  %-12s %8s %10s %12s %16s %16s\n", "run", "agree", "near-ties", "real misses", "rms logit diff",
              "max logit diff");
  for (size_t run_idx = 0; run_idx < noise_rows.size(); ++run_idx) {
    print_row(noise_names[run_idx], noise_rows[run_idx], tie_margin);
  }
  if (!noise_floor.empty()) {
    std::printf(
        "  NOISE tp=%d %s: the rows above are tp=%d itself beside other sequences (its noise floor, not a "
        "check)\n",
        base.tp, dtype.c_str(), base.tp);
  }
  bool ok = true;
  for (size_t run_idx = 1; run_idx < runs.size(); ++run_idx) {
    const GreedyRun& run = runs[run_idx];
    const std::string name = fmt::format("tp={}", run.tp);
    const Agreement result = compare_runs(base, run, name);
    const int64_t num_real = print_row(name, result, tie_margin);
    const bool rms_ok = noise_floor.empty() || result.rms_diff <= kMaxRmsOverNoise * noise_rms;
    if (!rms_ok) {
      std::printf("  tp=%d: RMS logit difference %.5f is more than %.1f x the noise floor's %.5f\n", run.tp,
                  result.rms_diff, kMaxRmsOverNoise, noise_rms);
    }
    const bool pass = num_real == 0 && rms_ok;
    std::printf("  GREEDY tp=%d %s %s\n", run.tp, dtype.c_str(), pass ? "PASS" : "FAIL");
    ok = ok && pass;
  }
  std::fflush(stdout);
  if (ok) return base::Status();
  return base::make_error(base::StatusCode::kInternal,
                          "a tensor-parallel size picked another greedy token where the first size's margin was "
                          "{:.4f} or more, or its logits moved by more than rounding",
                          tie_margin);
}

}  // namespace fovea::cli::bench_engine
