// KV-cache bytes per token/block and capacity in whole blocks (vLLM's FullAttentionSpec page size and
// get_max_concurrency_for_kv_cache_config, applied per tensor-parallel rank).
#include "plan/kv_cache_sizing.h"

namespace fovea::plan {

base::Result<KvCacheDtype> parse_kv_cache_dtype(std::string_view text) {
  if (text == "auto") return KvCacheDtype::kAuto;
  if (text == "bfloat16") return KvCacheDtype::kBFloat16;
  if (text == "float16" || text == "half") return KvCacheDtype::kFloat16;
  if (text == "fp8" || text == "fp8_e4m3") return KvCacheDtype::kFp8E4m3;
  if (text == "fp8_e5m2") return KvCacheDtype::kFp8E5m2;
  return base::invalid_argument(
      "--kv-cache-dtype '{}' is not a KV cache type; choose auto, bfloat16, float16, fp8, fp8_e4m3 or fp8_e5m2", text);
}

std::string_view kv_cache_dtype_name(KvCacheDtype dtype) {
  switch (dtype) {
    case KvCacheDtype::kAuto:
      return "auto";
    case KvCacheDtype::kBFloat16:
      return "bfloat16";
    case KvCacheDtype::kFloat16:
      return "float16";
    case KvCacheDtype::kFp8E4m3:
      return "fp8_e4m3";
    case KvCacheDtype::kFp8E5m2:
      return "fp8_e5m2";
  }
  return "auto";
}

int kv_cache_element_bytes(KvCacheDtype dtype, tensor::DType activation_dtype) {
  switch (dtype) {
    case KvCacheDtype::kAuto:
      return tensor::dtype_size_bytes(activation_dtype);
    case KvCacheDtype::kBFloat16:
    case KvCacheDtype::kFloat16:
      return 2;
    case KvCacheDtype::kFp8E4m3:
    case KvCacheDtype::kFp8E5m2:
      return 1;
  }
  return 2;
}

uint64_t KvCacheShape::bytes_per_token() const {
  return static_cast<uint64_t>(num_layers) * 2 * static_cast<uint64_t>(num_kv_heads_per_gpu) *
         static_cast<uint64_t>(head_dim) * static_cast<uint64_t>(element_bytes);
}

base::Result<KvCacheShape> kv_cache_shape(const io::TextConfig& text, int element_bytes, int64_t tensor_parallel_size,
                                          int64_t block_size_tokens) {
  if (tensor_parallel_size < 1) {
    return base::invalid_argument("--tensor-parallel-size must be at least 1 but is {}", tensor_parallel_size);
  }
  if (block_size_tokens < 1) return base::invalid_argument("the KV block size must be at least 1 token");
  const int64_t kv_heads = text.num_key_value_heads;
  const int64_t tp = tensor_parallel_size;
  if (kv_heads % tp != 0 && tp % kv_heads != 0) {
    return base::invalid_argument(
        "--tensor-parallel-size {} neither divides the model's {} KV heads nor is a multiple of them; choose a tp "
        "that does",
        tp, kv_heads);
  }
  KvCacheShape shape;
  shape.num_layers = text.num_hidden_layers;
  shape.num_kv_heads_per_gpu = kv_heads >= tp ? kv_heads / tp : 1;
  shape.head_dim = text.head_dim;
  shape.element_bytes = element_bytes;
  shape.block_size_tokens = block_size_tokens;
  return shape;
}

KvCacheCapacity kv_cache_capacity(uint64_t free_bytes, const KvCacheShape& shape) {
  KvCacheCapacity capacity;
  const uint64_t block_bytes = shape.bytes_per_block();
  if (block_bytes == 0) return capacity;
  capacity.num_blocks = static_cast<int64_t>(free_bytes / block_bytes);
  capacity.num_tokens = capacity.num_blocks * shape.block_size_tokens;
  capacity.num_bytes = static_cast<uint64_t>(capacity.num_blocks) * block_bytes;
  return capacity;
}

double max_concurrency(const KvCacheCapacity& capacity, const KvCacheShape& shape, int64_t max_model_len) {
  if (max_model_len <= 0 || shape.block_size_tokens <= 0) return 0.0;
  const int64_t blocks_per_request = (max_model_len + shape.block_size_tokens - 1) / shape.block_size_tokens;
  return static_cast<double>(capacity.num_blocks) / static_cast<double>(blocks_per_request);
}

}  // namespace fovea::plan
