// The timed decode, prefill and all-reduce runs of `fovea bench-engine` (see bench_engine_timing.h). No model
// loading, no greedy check and no tables here.
#include "cli/bench_engine_timing.h"

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <memory>

#include "backend/cuda/cuda_factory.h"
#include "cli/bench_engine_clock.h"
#include "cli/bench_engine_report.h"
#include "cli/bench_engine_steps.h"

namespace fovea::cli::bench_engine {
namespace {

// Mean and median step time; tok/s counts the new tokens of every timed step over their total time.
void summarise(std::vector<double> times, int64_t tokens_per_step, Measurement* m) {
  double total = 0;
  for (double t : times) total += t;
  std::sort(times.begin(), times.end());
  m->mean_step_s = total / static_cast<double>(times.size());
  m->median_step_s = times[times.size() / 2];
  m->tokens_per_s = static_cast<double>(tokens_per_step) * static_cast<double>(times.size()) / total;
}

// The all-reduces of one decode step alone (2 per decoder layer and the embedding's, [batch, hidden] in the
// activation dtype), enqueued on every rank at once: the mean over `iters` steps.
base::Result<double> time_step_all_reduces(RankSet& ranks, int64_t batch, int64_t hidden, int64_t num_layers,
                                           tensor::DType act, int iters) {
  std::vector<std::unique_ptr<backend::Buffer>> buffers(static_cast<size_t>(ranks.size()));
  const uint64_t bytes = static_cast<uint64_t>(batch * hidden) * static_cast<uint64_t>(tensor::dtype_size_bytes(act));
  const int64_t per_step = 2 * num_layers + 1;
  const auto reduce_all = [&](int rank_idx, int num_steps) -> base::Status {
    const auto idx = static_cast<size_t>(rank_idx);
    backend::Backend& rank_backend = *ranks.backends[idx];
    if (buffers[idx] == nullptr) {
      FOVEA_ASSIGN_OR_RETURN(buffers[idx], rank_backend.allocate(bytes));
      std::vector<std::byte> zeros(bytes, std::byte{0});
      const backend::Tensor t = backend::Tensor::on(*buffers[idx], act, tensor::Shape({batch, hidden}));
      FOVEA_RETURN_IF_ERROR(rank_backend.copy_from_host(rank_backend.default_stream(), zeros.data(), t));
    }
    const backend::Tensor t = backend::Tensor::on(*buffers[idx], act, tensor::Shape({batch, hidden}));
    for (int64_t call = 0; call < per_step * num_steps; ++call) {
      FOVEA_RETURN_IF_ERROR(ranks.communicators[idx]->all_reduce_sum(rank_backend.default_stream(), t));
    }
    return rank_backend.synchronize(rank_backend.default_stream());
  };
  FOVEA_RETURN_IF_ERROR(ranks.threads->run([&](int rank_idx) { return reduce_all(rank_idx, 2); }));
  const auto start = Clock::now();
  FOVEA_RETURN_IF_ERROR(ranks.threads->run([&](int rank_idx) { return reduce_all(rank_idx, iters); }));
  return seconds_since(start) / iters;
}

// One more prefill with every op timed by device events (the events add small gaps, so the wall time is shown
// beside the sum of the op times).
base::Status profile_prefill(backend::Backend& backend, model::TextDecoder& decoder, const StepArrays& arrays,
                             const model::KvCache& cache, int64_t length) {
  backend::cuda::set_cuda_op_profiling(true);
  const auto start = Clock::now();
  base::Status status = decoder.forward(arrays.step(), cache).status();
  if (status.ok()) status = backend.synchronize(backend.default_stream());
  const double wall_s = seconds_since(start);
  const std::string table = backend::cuda::cuda_op_profile_report();
  backend::cuda::set_cuda_op_profiling(false);
  FOVEA_RETURN_IF_ERROR(status);
  std::printf("\n  per-op device time of one prefill of %lld tokens (wall %.3f ms with the events):\n%s\n",
              static_cast<long long>(length), wall_s * 1e3, table.c_str());
  std::fflush(stdout);
  return base::Status();
}

}  // namespace

base::Status time_decode(const BenchEngineOptions& options, RankSet& ranks, const SizeTiming& timing, std::mt19937& rng,
                         std::vector<Measurement>& results) {
  model::Model& model0 = *ranks.models[0];
  for (int64_t batch : options.batches) {
    // Steps append to each sequence; the cache's contents before them are whatever it holds (the time of a step
    // does not depend on the values). With --compare-eager the op-by-op run goes first over the same positions.
    std::vector<model::DecodeGraphMode> modes;
    if (options.compare_eager && timing.graphs_on) modes.push_back(model::DecodeGraphMode::kOff);
    modes.push_back(timing.graph_mode);
    for (model::DecodeGraphMode mode : modes) {
      set_decode_graph_mode(ranks, mode);
      const bool graphs = model0.decoder().decode_graph_mode() == model::DecodeGraphMode::kGraphs;
      Measurement m{timing.tp,
                    graphs || modes.size() == 1 ? "decode" : "eager",
                    batch,
                    1,
                    options.context_len,
                    static_cast<int>(options.decode_steps)};
      m.graphs = graphs;
      std::vector<double> times;
      for (int64_t step_idx = 0; step_idx < options.warmup + options.decode_steps; ++step_idx) {
        const StepArrays arrays = make_step(batch, options.context_len + step_idx, 1, timing.decode_blocks,
                                            options.block_size, timing.mrope, timing.vocab, rng);
        const auto start = Clock::now();
        FOVEA_RETURN_IF_ERROR(step_all(ranks, arrays, nullptr));
        if (step_idx >= options.warmup) times.push_back(seconds_since(start));
      }
      summarise(times, batch, &m);
      const double mean_context =
          static_cast<double>(options.context_len + options.warmup) + (options.decode_steps + 1) / 2.0;
      if (timing.copy_bytes_per_s > 0) {
        m.limit_tokens_per_s =
            static_cast<double>(batch) * timing.copy_bytes_per_s / timing.cost.decode_bytes(batch, mean_context);
      }
      if (timing.tp > 1) {
        FOVEA_ASSIGN_OR_RETURN(m.all_reduce_step_s,
                               time_step_all_reduces(ranks, batch, timing.hidden, timing.num_layers, timing.act, 10));
      }
      print_progress(m);
      results.push_back(m);
    }
  }
  if (const model::DecoderStepGraphs* graphs = model0.decoder().decode_graphs(); graphs != nullptr) {
    std::printf("  decode graphs captured: %lld%s%s\n", static_cast<long long>(graphs->num_graphs()),
                graphs->first_capture_error().ok() ? "" : "; first capture error: ",
                graphs->first_capture_error().ok() ? "" : graphs->first_capture_error().to_string().c_str());
  }
  return base::Status();
}

base::Status time_prefill(const BenchEngineOptions& options, RankSet& ranks, const SizeTiming& timing,
                          std::mt19937& rng, std::vector<Measurement>& results) {
  set_decode_graph_mode(ranks, model::DecodeGraphMode::kOff);  // prefill steps never use graphs
  for (int64_t length : options.prefills) {
    Measurement m{timing.tp, "prefill", 1, length, 0, static_cast<int>(options.prefill_iters)};
    const StepArrays arrays =
        make_step(1, 0, length, timing.prefill_blocks, options.block_size, timing.mrope, timing.vocab, rng);
    std::vector<double> times;
    const int64_t num_warmup = std::max<int64_t>(options.warmup, 1);
    for (int64_t iter = 0; iter < num_warmup + options.prefill_iters; ++iter) {
      const auto start = Clock::now();
      FOVEA_RETURN_IF_ERROR(step_all(ranks, arrays, nullptr));
      if (iter >= num_warmup) times.push_back(seconds_since(start));
    }
    summarise(times, length, &m);
    if (timing.gemm_flops_per_s > 0) {
      m.limit_tokens_per_s = static_cast<double>(length) * timing.gemm_flops_per_s / timing.cost.prefill_flops(length);
    }
    print_progress(m);
    results.push_back(m);
    if (options.profile_prefill && timing.tp == 1) {
      FOVEA_RETURN_IF_ERROR(
          profile_prefill(*ranks.backends[0], ranks.models[0]->decoder(), arrays, ranks.caches[0], length));
    }
  }
  return base::Status();
}

}  // namespace fovea::cli::bench_engine
