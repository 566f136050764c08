// The greedy runs of `fovea bench-engine` (see bench_engine_greedy.h): teacher-forced greedy decoding at one
// tensor-parallel size. No comparison (bench_engine_agreement.cpp), no timing and no benchmark tables here.
#include "cli/bench_engine_greedy.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <span>
#include <utility>

namespace fovea::cli::bench_engine {
namespace {

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
                                   int64_t num_seqs, int64_t blocks_per_seq, bool mrope, int64_t vocab) {
  const int64_t block_size = options.block_size;
  const int64_t prompt_len = options.greedy_prompt_len;
  GreedyRun run;
  run.tp = tp;
  run.num_seqs = num_seqs;
  // The first sequence's prompt is the same draw at every num_seqs: make_step takes it first.
  std::mt19937 prompt_rng(static_cast<uint32_t>(options.seed + 1000));
  StepArrays arrays = make_step(num_seqs, 0, prompt_len, blocks_per_seq, block_size, mrope, vocab, prompt_rng);
  std::vector<float> host(static_cast<size_t>(vocab));
  backend::Backend& backend0 = *ranks.backends[0];
  for (int64_t step_idx = 0; step_idx <= options.greedy_steps; ++step_idx) {
    backend::Tensor logits;
    FOVEA_RETURN_IF_ERROR(step_all(ranks, arrays, &logits));
    // Every rank has the full vocabulary; rank 0's first row is the first sequence's.
    const backend::Tensor row = logits.slice_rows(0, 1).slice_columns(0, vocab);
    FOVEA_RETURN_IF_ERROR(backend0.copy_to_host(backend0.default_stream(), row, host.data()));
    FOVEA_RETURN_IF_ERROR(backend0.synchronize(backend0.default_stream()));
    const auto [token, margin] = top1_with_margin(host);
    run.tokens.push_back(token);
    run.margins.push_back(margin);
    run.logits.push_back(host);
    const int32_t next = forced != nullptr ? forced->tokens[static_cast<size_t>(step_idx)] : token;
    // The next step: every sequence decodes one token at the next position; all are fed `next` (the others'
    // tokens only shape the batch).
    arrays = make_step(num_seqs, prompt_len + step_idx, 1, blocks_per_seq, block_size, mrope, vocab, prompt_rng);
    arrays.token_ids.assign(static_cast<size_t>(num_seqs), next);
  }
  return run;
}

}  // namespace fovea::cli::bench_engine
