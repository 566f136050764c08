// The flag values of `fovea bench-engine` (see bench_engine_command.cpp for their help text), shared by the files that
// load the ranks, time the steps, check greedy agreement and print the report. Plain data: no parsing, no checks
// (the command does those) and no defaults other than the flags' own.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fovea::cli::bench_engine {

struct BenchEngineOptions {
  std::string model_dir;
  std::string load_format = "safetensors";
  std::string device = "cuda";
  std::string tp_sizes = "1";
  std::string encoder_tp_mode = "weights";
  int64_t greedy_steps = 0;
  int64_t greedy_prompt_len = 32;
  std::string dtype = "bfloat16";
  std::string kv_dtype = "auto";
  std::string batch_sizes = "1,8,32,64";
  int64_t context_len = 512;
  int64_t decode_steps = 16;
  std::string prefill_lens = "512,2048";
  int64_t prefill_iters = 3;
  int64_t warmup = 3;
  bool enforce_eager = false;
  bool compare_eager = false;
  bool profile_prefill = false;
  int64_t block_size = 16;
  int64_t copy_mib = 512;
  int64_t gemm_size = 8192;
  uint64_t seed = 0;
  int num_threads = 0;
  std::string label;
  std::string json_path;
  std::string start_after_path;

  // The comma-separated lists above, parsed by the command's option check.
  std::vector<int64_t> batches;
  std::vector<int64_t> prefills;
  std::vector<int64_t> tps;
};

// The device the ranks run on, as the report names it (the last size's, as make_ranks leaves it).
struct DeviceDescription {
  std::string name;
  uint64_t memory_bytes = 0;  // cuda only; 0 on cpu
};

}  // namespace fovea::cli::bench_engine
