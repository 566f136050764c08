// The ranks of one `fovea bench-engine` tensor-parallel size: one backend, communicator, model and KV cache per rank,
// each driven by its own thread, and one decoder step run on all of them at once. Loading the models, timing and
// reporting live elsewhere (bench_engine_command.cpp, bench_engine_timing.*, bench_engine_report.*).
#pragma once

#include <memory>
#include <vector>

#include "backend/communicator.h"
#include "base/status.h"
#include "cli/bench_engine_options.h"
#include "cli/bench_engine_steps.h"
#include "engine/runtime/rank_threads.h"
#include "model/kv_cache.h"
#include "model/model.h"

namespace fovea::cli::bench_engine {

// The ranks of one tensor-parallel size: rank r's backend, communicator, model and KV cache (members destroyed in
// reverse: caches and models before communicators before backends).
struct RankSet {
  std::vector<std::unique_ptr<backend::Backend>> backends;
  std::vector<std::unique_ptr<backend::Communicator>> communicators;  // empty at tp 1
  std::vector<std::unique_ptr<model::Model>> models;
  std::vector<model::KvCache> caches;
  std::unique_ptr<engine::RankThreads> threads;

  int size() const { return static_cast<int>(backends.size()); }
};

// The backends and communicators of `tp` ranks: cpu (the cores shared out), --device at tp 1, else cuda:0..N-1.
// Names the device in *device.
base::Status make_ranks(const BenchEngineOptions& options, int tp, RankSet& ranks, DeviceDescription& device);

// One decoder step on every rank at once; rank 0's logits (device) in *logits when not null.
base::Status step_all(RankSet& ranks, const StepArrays& arrays, backend::Tensor* logits);

// Every rank's decode-graph mode (CUDA graphs or op by op).
void set_decode_graph_mode(RankSet& ranks, model::DecodeGraphMode mode);

}  // namespace fovea::cli::bench_engine
