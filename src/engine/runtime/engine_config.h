// EngineConfig: what the engine needs to start, filled by `fovea serve` / `fovea run` from their flags: the model
// folder, device, dtypes and weight source, KV cache sizing (and the rule that sizes it) and scheduler limits, the
// chat template and sampling defaults, media access rules, the step watchdog's limit. Must not contain flag parsing.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/sampling/generation_defaults.h"
#include "io/model_config.h"

namespace fovea::backend {
class Communicator;
}  // namespace fovea::backend

namespace fovea::engine {

// Tests only: runs on each tensor-parallel rank's thread before its part of every step, with its communicator (a
// test makes a rank hang there until the communicator is aborted).
using RankStepHook = std::function<void(int rank_idx, backend::Communicator& communicator)>;

struct MediaAccess {
  std::string allowed_local_media_path;            // empty: file:// refused
  std::vector<std::string> allowed_media_domains;  // empty: http(s) refused
  int64_t max_image_bytes = 20 * 1024 * 1024;
  int64_t fetch_timeout_ms = 10000;  // one http(s) fetch: resolution, connection and transfer (--media-fetch-timeout)
};

// What the KV-cache rule is asked once the weights and workspaces are allocated. The memory is the device's as
// cudaMemGetInfo reports it; on the CPU, the share of free host memory the cache may take (total == free).
struct KvCacheSizingInput {
  const io::TextConfig* text_config = nullptr;  // not owned: the loaded model's
  int64_t tensor_parallel_size = 1;             // the memory is one rank's; its cache holds that rank's KV heads
  int kv_element_bytes = 2;
  int64_t block_size_tokens = 16;
  uint64_t total_bytes = 0;
  uint64_t free_bytes = 0;
  double memory_utilization = 0.92;
  int64_t max_model_len = 0;            // --max-model-len, or the model's max_position_embeddings
  bool max_model_len_auto_fit = false;  // --max-model-len auto: shorten max_model_len to what the cache holds
  uint64_t reserved_bytes = 0;          // allocated later: image embeddings the encoder cache may hold
  std::optional<int64_t> kv_cache_memory_bytes;
  std::optional<int64_t> num_gpu_blocks_override;
};

struct KvCacheSizing {
  int64_t num_blocks = 0;
  int64_t max_model_len = 0;  // the input's, or shorter under auto-fit
};

// The sizing rule. serve::size_engine_kv_cache applies plan::plan_kv_cache (the engine may not include plan); an
// error is the one-line start-up message (the cache cannot serve one max_model_len request, ...).
using KvCacheSizer = std::function<base::Result<KvCacheSizing>(const KvCacheSizingInput&)>;

struct EngineConfig {
  std::string model_dir;
  std::string device = "auto";          // "cpu", "cuda", "cuda:N", or "auto": cuda when this build and machine have one
  // --tensor-parallel-size: ranks, one thread each, on cuda:0..N-1 (device cuda or auto; CUDA_VISIBLE_DEVICES picks
  // the cards) or on N CPU backends (device cpu, for tests).
  int tensor_parallel_size = 1;
  bool shard_vision_weights = true;     // --mm-encoder-tp-mode weights (true) or data (false)
  // --disable-custom-all-reduce: every all-reduce between CUDA ranks goes through NCCL. Off (the default): small ones
  // take the one-shot peer-to-peer kernel where every pair of GPUs reaches each other's memory (docs/ENGINE.md).
  bool disable_custom_all_reduce = false;
  std::string dtype = "auto";           // --dtype
  std::string kv_cache_dtype = "auto";  // --kv-cache-dtype
  std::string load_format = "auto";     // --load-format: auto, safetensors, or dummy (seeded random weights)
  std::optional<int64_t> max_model_len;  // unset: the model's max_position_embeddings
  bool max_model_len_auto_fit = false;   // --max-model-len auto / -1 (needs kv_cache_sizer to shorten anything)
  int64_t block_size = 16;
  std::optional<int64_t> num_kv_blocks;          // --num-gpu-blocks-override
  std::optional<int64_t> kv_cache_memory_bytes;  // --kv-cache-memory-bytes
  double memory_utilization = 0.92;              // share of device (or, on CPU, of free host) memory
  // Unset: the cache holds max_num_seqs full-length sequences (or the overrides above), whatever memory is free.
  KvCacheSizer kv_cache_sizer;
  int64_t max_num_seqs = 64;
  int64_t max_num_batched_tokens = 2048;
  std::optional<int64_t> max_num_queued_requests;
  bool enable_prefix_caching = true;
  // --enforce-eager: decode steps run op by op instead of replaying CUDA graphs (only the CUDA backend has graphs).
  bool enforce_eager = false;
  int64_t max_images_per_prompt = 999;
  std::optional<int64_t> min_pixels;  // --mm-processor-kwargs
  std::optional<int64_t> max_pixels;
  // --chat-template, already read (file) or unescaped (inline); empty: the model folder's template.
  std::string chat_template;
  // --seed: unseeded requests draw their seeds from a generator seeded with it, so a restarted server answers the
  // same sequence of requests alike (vLLM's global seed); unset: from std::random_device. Also the dummy weights'.
  std::optional<uint64_t> seed;
  bool use_generation_config = true;  // false with --generation-config vllm
  std::string generation_config_dir;  // --generation-config DIR: generation_config.json from there
  GenerationDefaults generation_overrides;  // --override-generation-config, over the generation config's
  std::string quantization;                 // --quantization, checked against the checkpoint
  MediaAccess media;
  int num_threads = 0;  // CPU threads; 0: all cores
  // The engine step watchdog (tensor parallel only, docs/ENGINE.md): a step whose ranks have not all returned after
  // this many seconds fails, every communicator is aborted and the engine is dead (vLLM's
  // VLLM_ENGINE_ITERATION_TIMEOUT_S). Unset: FOVEA_ENGINE_ITERATION_TIMEOUT_S, else VLLM_ENGINE_ITERATION_TIMEOUT_S,
  // else 60; zero or negative: off.
  std::optional<double> step_timeout_s;
  RankStepHook rank_step_hook;  // tests only; empty in a server
};

}  // namespace fovea::engine
