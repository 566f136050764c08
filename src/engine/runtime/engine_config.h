// EngineConfig: what the engine needs to start, filled by `fovea serve` / `fovea run` from their flags: the model
// folder, backend and dtypes, KV cache sizing and scheduler limits, media access rules.
// Must not contain flag parsing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fovea::engine {

struct MediaAccess {
  std::string allowed_local_media_path;            // empty: file:// refused
  std::vector<std::string> allowed_media_domains;  // empty: http(s) refused
  int64_t max_image_bytes = 20 * 1024 * 1024;
  int64_t fetch_timeout_ms = 10000;
};

struct EngineConfig {
  std::string model_dir;
  std::string device = "auto";          // "cpu", "cuda", "auto"
  std::string dtype = "auto";           // --dtype
  std::string kv_cache_dtype = "auto";  // --kv-cache-dtype
  std::optional<int64_t> max_model_len;
  int64_t block_size = 16;
  std::optional<int64_t> num_kv_blocks;         // --num-gpu-blocks-override
  std::optional<int64_t> kv_cache_memory_bytes;  // --kv-cache-memory-bytes
  double memory_utilization = 0.92;              // share of device (or, on CPU, of free host) memory
  int64_t max_num_seqs = 64;
  int64_t max_num_batched_tokens = 2048;
  std::optional<int64_t> max_num_queued_requests;
  bool enable_prefix_caching = true;
  int64_t max_images_per_prompt = 999;
  std::optional<int64_t> min_pixels;  // --mm-processor-kwargs
  std::optional<int64_t> max_pixels;
  bool use_generation_config = true;  // false with --generation-config vllm
  std::string quantization;           // --quantization, checked against the checkpoint
  MediaAccess media;
  int num_threads = 0;  // CPU threads; 0: all cores
};

}  // namespace fovea::engine
