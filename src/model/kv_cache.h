// KvCache: the paged K/V cache of every decoder layer, allocated by the caller (the engine sizes it from the memory
// left after weights and workspaces). Must not contain scheduling (which blocks hold what is the engine's).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "backend/backend.h"
#include "backend/op_params.h"
#include "base/status.h"
#include "io/model_config.h"

namespace fovea::model {

struct KvCache {
  std::vector<backend::PagedKvCache> layers;              // one per decoder layer, [blocks, block_size, nkv, hd]
  std::vector<std::unique_ptr<backend::Buffer>> buffers;  // owned: one per layer (K then V)
  int64_t num_blocks = 0;
  int64_t block_size = 0;
  tensor::DType dtype = tensor::DType::kBF16;
};

// Bytes one block takes over all layers (K and V), before alignment: what the planner divides free memory by.
uint64_t kv_cache_bytes_per_block(const io::TextConfig& config, int64_t block_size, tensor::DType kv_dtype);

// Allocates num_blocks blocks of block_size tokens per layer in kv_dtype (bf16, f16, f32 or f8e4m3; FP8 scales 1).
base::Result<KvCache> allocate_kv_cache(backend::Backend& backend, const io::TextConfig& config, int64_t num_blocks,
                                        int64_t block_size, tensor::DType kv_dtype);

}  // namespace fovea::model
