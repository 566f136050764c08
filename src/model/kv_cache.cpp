// KV cache allocation: one buffer per layer, K and V regions carved from it.
#include "model/kv_cache.h"

#include "backend/op_checks.h"
#include "model/arena_carver.h"

namespace fovea::model {
namespace {

tensor::Shape layer_shape(const io::TextConfig& config, int64_t num_blocks, int64_t block_size) {
  return tensor::Shape({num_blocks, block_size, config.num_key_value_heads, config.head_dim});
}

}  // namespace

uint64_t kv_cache_bytes_per_block(const io::TextConfig& config, int64_t block_size, tensor::DType kv_dtype) {
  const auto per_layer = static_cast<uint64_t>(2 * block_size * config.num_key_value_heads * config.head_dim *
                                               tensor::dtype_size_bytes(kv_dtype));
  return per_layer * static_cast<uint64_t>(config.num_hidden_layers);
}

base::Result<KvCache> allocate_kv_cache(backend::Backend& backend, const io::TextConfig& config, int64_t num_blocks,
                                        int64_t block_size, tensor::DType kv_dtype) {
  if (!backend::is_kv_cache_dtype(kv_dtype)) {
    return base::invalid_argument("KV cache dtype {} is not supported; use bf16, f16, f32 or fp8 (e4m3)",
                                  tensor::dtype_name(kv_dtype));
  }
  if (num_blocks < 1 || block_size < 1) {
    return base::invalid_argument("KV cache needs at least one block of at least one token (got {} blocks of {})",
                                  num_blocks, block_size);
  }
  const tensor::Shape shape = layer_shape(config, num_blocks, block_size);
  ArenaCarver measure;
  measure.take(kv_dtype, shape);
  measure.take(kv_dtype, shape);
  if (measure.overflowed()) {
    return base::out_of_range("KV cache of {} blocks of {} tokens is too large to address", num_blocks, block_size);
  }
  KvCache cache;
  cache.num_blocks = num_blocks;
  cache.block_size = block_size;
  cache.dtype = kv_dtype;
  for (int64_t layer_idx = 0; layer_idx < config.num_hidden_layers; ++layer_idx) {
    FOVEA_ASSIGN_OR_RETURN(std::unique_ptr<backend::Buffer> buffer, backend.allocate(measure.used_bytes()));
    ArenaCarver carver(buffer.get());
    backend::PagedKvCache layer;
    layer.k = carver.take(kv_dtype, shape);
    layer.v = carver.take(kv_dtype, shape);
    cache.layers.push_back(layer);
    cache.buffers.push_back(std::move(buffer));
  }
  return cache;
}

}  // namespace fovea::model
