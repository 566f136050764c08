// Helpers for the tensor-parallel engine tests: the tiny Qwen3-VL checkpoint loaded as N ranks on CPU backends
// (thread communicators), every rank loaded at once on RankThreads as the engine does. Must not contain test cases.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "backend/communicator.h"
#include "backend/cpu/cpu_backend.h"
#include "engine/runtime/rank_threads.h"
#include "model/model.h"

namespace fovea::engine::testing {

inline std::string tiny_vl_dir() {
  return std::string(FOVEA_SOURCE_DIR) + "/tests/golden/model/data/checkpoints/qwen3-vl-tiny";
}

// N ranks of one model (N = 1: no communicator). Members are destroyed in reverse: models, communicators, backends.
struct Ranks {
  std::vector<std::unique_ptr<backend::Backend>> backends;
  std::vector<std::unique_ptr<backend::Communicator>> communicators;
  std::vector<std::unique_ptr<model::Model>> models;
  std::unique_ptr<RankThreads> threads;

  std::vector<backend::Communicator*> communicator_ptrs() const {
    std::vector<backend::Communicator*> out;
    for (const auto& comm : communicators) out.push_back(comm.get());
    return out;
  }
};

inline model::ModelOptions tiny_options() {
  model::ModelOptions options;
  options.activation_dtype = tensor::DType::kF32;
  options.text_limits = {64, 4, 8};
  options.max_vision_patches = 1024;
  return options;
}

// Loads the tiny VL checkpoint as `num_ranks` ranks (`shard_vision`: --mm-encoder-tp-mode weights).
inline base::Status load_ranks(int num_ranks, bool shard_vision, Ranks& ranks,
                               model::ModelOptions options = tiny_options()) {
  for (int rank_idx = 0; rank_idx < num_ranks; ++rank_idx) {
    backend::cpu::CpuBackendOptions cpu;
    cpu.num_threads = 1;
    ranks.backends.push_back(std::make_unique<backend::cpu::CpuBackend>(cpu));
  }
  if (num_ranks > 1) {
    std::vector<backend::Backend*> pointers;
    for (const auto& rank_backend : ranks.backends) pointers.push_back(rank_backend.get());
    FOVEA_ASSIGN_OR_RETURN(ranks.communicators, backend::create_communicators(pointers));
  }
  ranks.threads = std::make_unique<RankThreads>(num_ranks);
  ranks.models.resize(static_cast<size_t>(num_ranks));
  options.tp_size = num_ranks;
  options.shard_vision_weights = shard_vision;
  return ranks.threads->run([&](int rank_idx) -> base::Status {
    const auto idx = static_cast<size_t>(rank_idx);
    model::ModelOptions rank_options = options;
    rank_options.tp_rank = rank_idx;
    rank_options.communicator = num_ranks > 1 ? ranks.communicators[idx].get() : nullptr;
    FOVEA_ASSIGN_OR_RETURN(ranks.models[idx], model::Model::load(tiny_vl_dir(), *ranks.backends[idx], rank_options));
    return base::Status();
  });
}

// After a failed or timed-out run, the next run() still reaches every rank (the threads outlive the failure).
inline void expect_every_rank_runs(RankThreads& threads) {
  std::atomic<int> ran{0};
  EXPECT_TRUE(threads
                  .run([&](int) {
                    ++ran;
                    return base::Status();
                  })
                  .ok());
  EXPECT_EQ(ran.load(), threads.num_ranks());
}

}  // namespace fovea::engine::testing
