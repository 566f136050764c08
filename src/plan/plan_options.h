// PlanOptions: the serving settings a memory plan depends on, with vLLM's flag meanings and defaults, and the parsing
// of the two JSON-valued flags (--limit-mm-per-prompt, --mm-processor-kwargs). Independent of serve/'s flag parser
// (the server fills these from its own config). Must not contain planning arithmetic.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "plan/kv_cache_sizing.h"

namespace fovea::plan {

// --mm-encoder-tp-mode: how the vision tower uses tensor-parallel GPUs.
enum class EncoderTpMode {
  kWeights,  // "weights": vision Linears sharded like the decoder's (vLLM's default)
  kData,     // "data": the whole vision tower on every GPU, each GPU encoding its own share of images
};

base::Result<EncoderTpMode> parse_encoder_tp_mode(std::string_view text);
std::string_view encoder_tp_mode_name(EncoderTpMode mode);

struct PlanOptions {
  int64_t tensor_parallel_size = 1;                   // --tensor-parallel-size
  std::optional<int64_t> max_model_len;               // --max-model-len; unset: the config's max_position_embeddings
  bool max_model_len_auto_fit = false;                // --max-model-len auto: as long as the KV cache holds
  KvCacheDtype kv_cache_dtype = KvCacheDtype::kAuto;  // --kv-cache-dtype
  double gpu_memory_utilization = 0.9;                // --gpu-memory-utilization (vLLM's default)
  std::optional<int64_t> max_num_seqs;                // --max-num-seqs; unset: vLLM's default for the GPU class
  std::optional<int64_t> max_num_batched_tokens;      // --max-num-batched-tokens; unset: likewise
  int64_t max_images_per_prompt = 999;                // --limit-mm-per-prompt image (vLLM's default: 999)
  int64_t max_videos_per_prompt = 999;                // --limit-mm-per-prompt video (fovea serves no video yet)
  std::optional<int64_t> max_pixels;                  // --mm-processor-kwargs max_pixels (size.longest_edge)
  EncoderTpMode mm_encoder_tp_mode = EncoderTpMode::kWeights;  // --mm-encoder-tp-mode
  std::optional<std::string> quantization;                     // --quantization; must agree with the checkpoint
  bool enforce_eager = false;                                  // --enforce-eager: no CUDA graphs
  bool disable_custom_all_reduce = false;          // --disable-custom-all-reduce: no peer-to-peer all-reduce buffers
  std::optional<uint64_t> kv_cache_memory_bytes;   // --kv-cache-memory-bytes: KV cache size instead of the fraction
  std::optional<int64_t> num_gpu_blocks_override;  // --num-gpu-blocks-override: KV blocks instead of the fraction
  int64_t block_size_tokens = kDefaultKvBlockSizeTokens;

  // Ranges each flag must lie in; the error names the flag.
  base::Status validate() const;
};

// --limit-mm-per-prompt '{"image": 3, "video": 0}' (a modality may also be {"count": N, ...}). Modalities other than
// image, video and audio are errors; audio is accepted and ignored (Qwen3-VL has no audio input).
base::Status parse_limit_mm_per_prompt(std::string_view json_text, PlanOptions& options);

// --mm-processor-kwargs '{"max_pixels": 1048576}' (or {"size": {"longest_edge": N}}). Keys that do not change memory
// (min_pixels, fps, ...) are accepted and reported in `ignored_keys`.
base::Status parse_mm_processor_kwargs(std::string_view json_text, PlanOptions& options,
                                       std::vector<std::string>& ignored_keys);

}  // namespace fovea::plan
