// KV-cache sizing shared by `fovea plan` and the server's start-up: bytes per token and per block on one GPU (all
// layers, K and V, this rank's KV heads), and how many whole blocks fit in the bytes left after weights, workspace
// and overheads. The cache is organised as the engine's BlockPool expects: blocks of block_size tokens, each holding
// layers x {K, V} x kv_heads x head_dim elements. Must not contain weight or workspace estimates.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/status.h"
#include "io/model_config.h"
#include "tensor/dtype.h"

namespace fovea::plan {

// vLLM's --kv-cache-dtype values fovea accepts.
enum class KvCacheDtype {
  kAuto,      // the model's activation dtype
  kBFloat16,  // "bfloat16"
  kFloat16,   // "float16"
  kFp8E4m3,   // "fp8" / "fp8_e4m3"
  kFp8E5m2,   // "fp8_e5m2"
};

// Unknown spellings are an error listing the choices.
base::Result<KvCacheDtype> parse_kv_cache_dtype(std::string_view text);
std::string_view kv_cache_dtype_name(KvCacheDtype dtype);
// Bytes of one cached element: "auto" takes the activation dtype's size.
int kv_cache_element_bytes(KvCacheDtype dtype, tensor::DType activation_dtype);

// The engine's KV block size in tokens (engine::SchedulerConfig::block_size, vLLM's CUDA default).
inline constexpr int64_t kDefaultKvBlockSizeTokens = 16;

// The cache layout on one tensor-parallel rank.
struct KvCacheShape {
  int64_t num_layers = 0;
  int64_t num_kv_heads_per_gpu = 0;  // KV heads / tp, at least 1 (heads are replicated when tp exceeds them)
  int64_t head_dim = 0;
  int64_t element_bytes = 2;
  int64_t block_size_tokens = kDefaultKvBlockSizeTokens;

  // num_layers x 2 (K and V) x num_kv_heads_per_gpu x head_dim x element_bytes.
  uint64_t bytes_per_token() const;
  uint64_t bytes_per_block() const { return bytes_per_token() * static_cast<uint64_t>(block_size_tokens); }
};

// The per-GPU cache shape of a text config at tensor-parallel size tp. vLLM's rules: tp must divide the KV heads,
// or be a multiple of them (each head then lives on tp / kv_heads ranks); otherwise an error naming both.
base::Result<KvCacheShape> kv_cache_shape(const io::TextConfig& text, int element_bytes, int64_t tensor_parallel_size,
                                          int64_t block_size_tokens = kDefaultKvBlockSizeTokens);

// What a number of free bytes holds: whole blocks only.
struct KvCacheCapacity {
  int64_t num_blocks = 0;
  int64_t num_tokens = 0;  // num_blocks x block_size_tokens
  uint64_t num_bytes = 0;  // num_blocks x bytes_per_block (the bytes actually allocated)
};
KvCacheCapacity kv_cache_capacity(uint64_t free_bytes, const KvCacheShape& shape);

// vLLM's "Maximum concurrency for N tokens per request": blocks / blocks needed by one max_model_len request.
double max_concurrency(const KvCacheCapacity& capacity, const KvCacheShape& shape, int64_t max_model_len);

}  // namespace fovea::plan
