// Argument structs that CudaOps (host C++) fills and the kernel launchers (*.cu) read: device addresses, element
// types and element strides of the views, and each op's scalars. Plain data shared by both compilers.
// Must not contain CUDA types, fovea Status or any logic.
#pragma once

#include <cstdint>

namespace fovea::backend::cuda {

enum class ElemType : uint8_t {
  kF32,
  kBF16,
  kF16,
  kF8E4M3,
  kI32,
};

// A view as a kernel reads it: element `inner` of row `row` sits at data + row * stride_rows + inner (in elements).
// A packed view may be collapsed to one row of all its elements.
struct DeviceView {
  void* data = nullptr;  // device address of element 0 (not owned)
  ElemType type = ElemType::kF32;
  int64_t num_rows = 0;     // dim 0, or 1 when collapsed
  int64_t row_numel = 0;    // elements per row
  int64_t stride_rows = 0;  // elements between the starts of consecutive rows
};

enum class UnaryKind : uint8_t {
  kConvert,
  kGeluTanh,
  kGeluErf,
};

struct RopeCosSinArgs {
  const int32_t* positions = nullptr;  // [T] or [axes, T] i32 (not owned)
  int64_t axis_stride = 0;             // elements between the rows of a [axes, T] positions tensor
  int kind = 0;                        // RopeKind as an integer
  float theta = 0.0f;
  int rotary_dim = 0;
  int mrope_section[3] = {0, 0, 0};
  int64_t num_tokens = 0;
  DeviceView cos;  // [T, rotary_dim] f32
  DeviceView sin;  // [T, rotary_dim] f32
};

struct RopeApplyArgs {
  DeviceView x;    // [T, heads * D] act (rows are tokens)
  DeviceView cos;  // [T, D] f32
  DeviceView sin;  // [T, D] f32
  DeviceView out;  // like x
  int num_heads = 0;
  int head_dim = 0;
  bool fp32_arithmetic = false;  // RopeArithmetic::kFloat32
};

struct KvWriteArgs {
  DeviceView k;  // [T, nkv * hd] act
  DeviceView v;
  const int32_t* slots = nullptr;  // [T] i32 (not owned)
  DeviceView k_cache;              // [num_blocks, block_size * nkv * hd] kv dtype
  DeviceView v_cache;
  int64_t block_size = 0;
  float k_scale = 1.0f;
  float v_scale = 1.0f;
};

// Attention over either the paged cache (causal, varlen) or dense per-segment K/V (non-causal, vision).
struct AttentionArgs {
  const void* q = nullptr;  // [T, nh, hd] act (not owned)
  int64_t q_token_stride = 0;
  void* out = nullptr;  // [T, nh, hd] act (not owned)
  int64_t out_token_stride = 0;
  ElemType act_type = ElemType::kBF16;
  ElemType kv_type = ElemType::kBF16;
  int num_heads = 0;
  int num_kv_heads = 0;
  int head_dim = 0;
  float scale = 1.0f;
  int64_t num_tokens = 0;
  int num_seqs = 0;       // sequences (paged) or segments
  int max_query_len = 0;  // host hint: >= every query count (paged) or segment length
  int max_seq_len = 0;    // host hint: >= every sequence length (paged)
  bool paged = true;
  // Paged: caches [num_blocks, block_size, nkv, hd], metadata of PagedAttentionBatch.
  const void* k_cache = nullptr;
  const void* v_cache = nullptr;
  int64_t k_block_stride = 0;  // elements between cache blocks
  int64_t v_block_stride = 0;
  int block_size = 0;
  int64_t num_blocks = 0;
  float k_scale = 1.0f;
  float v_scale = 1.0f;
  const int32_t* query_start_loc = nullptr;  // [num_seqs + 1]
  const int32_t* seq_lens = nullptr;         // [num_seqs]
  const int32_t* block_tables = nullptr;     // [num_seqs, table_width]
  int64_t block_table_stride = 0;
  int64_t table_width = 0;
  // Segments: k, v [N, nkv, hd] with the same dtype as q.
  const void* k = nullptr;
  const void* v = nullptr;
  int64_t k_token_stride = 0;
  int64_t v_token_stride = 0;
  const int32_t* cu_seqlens = nullptr;  // [num_segments + 1]
};

// Dense linear through the SIMT kernel (any mix of dtypes) or the epilogue after a cuBLASLt f32 product.
struct LinearArgs {
  DeviceView x;                // [M, K] act
  DeviceView w;                // [N, K] bf16 / f16 / f32
  const void* bias = nullptr;  // [N] (not owned), or null
  ElemType bias_type = ElemType::kF32;
  DeviceView y;  // [M, N] act
  int64_t m = 0;
  int64_t n = 0;
  int64_t k = 0;
};

}  // namespace fovea::backend::cuda
