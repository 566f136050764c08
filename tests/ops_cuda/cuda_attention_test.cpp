// CUDA attention against the CPU reference: KV-cache writes (padding slots, FP8 with scales), paged causal
// attention over mixed prefill-chunk + decode batches (GQA 1/2/4/8, block sizes 5/16/32, bf16/f16/f32/FP8 caches,
// head_dim 64/72/128/256, long contexts that take the split-KV path, scattered block tables), segment attention
// of the vision tower, and a warm decode loop that must not grow the stream's scratch. The tile-edge cases aim at
// the tensor-core kernel (bf16/f16, head_dim <= 128): query lengths around its 16-row and 64-key tiles, context
// offsets, decodes around its split boundaries, FP8 widening, and the padding of head_dim 72 to 80.
#include <algorithm>
#include <numeric>

#include "backend/cuda/cuda_backend.h"
#include "cuda_op_test_util.h"

namespace fovea::backend::testing {
namespace {

using tensor::DType;
using tensor::Shape;

// Like the CPU fast kernel, the GPU kernel rounds P to the activation dtype at a running maximum (per key tile, and
// per split on the split-KV path) where the reference rounds at the row's maximum: the bf16/f16 outputs may then
// differ by one ulp in a share of the elements (BACKEND.md), about twice the share the CPU tests' bounds allow.
double attention_nmse(DType dtype) {
  switch (dtype) {
    case DType::kBF16:
      return 2e-5;
    case DType::kF16:
      return 4e-7;
    default:
      return 1e-10;
  }
}

struct SeqSpec {
  int32_t q_len;
  int32_t seq_len;
};

struct PagedCase {
  std::string name;
  std::vector<SeqSpec> seqs;
  int64_t num_heads;
  int64_t num_kv_heads;
  int64_t head_dim;
  int64_t block_size;
  DType cache_dtype;
};

class CudaAttentionTest : public CudaOpsTest {
 protected:
  void run_paged(const PagedCase& c, DType q_dtype) {
    const std::string what = c.name + " heads " + std::to_string(c.num_heads) + "/" + std::to_string(c.num_kv_heads) +
                             " hd " + std::to_string(c.head_dim) + " block " + std::to_string(c.block_size) +
                             " cache " + std::string(tensor::dtype_name(c.cache_dtype)) + " q " +
                             std::string(tensor::dtype_name(q_dtype));
    const int64_t num_seqs = static_cast<int64_t>(c.seqs.size());
    int64_t max_blocks = 0;
    int32_t num_tokens = 0;
    int32_t max_q = 0;
    int32_t max_len = 0;
    std::vector<int32_t> query_start{0};
    std::vector<int32_t> seq_lens;
    for (const SeqSpec& seq : c.seqs) {
      max_blocks = std::max<int64_t>(max_blocks, (seq.seq_len + c.block_size - 1) / c.block_size);
      num_tokens += seq.q_len;
      query_start.push_back(num_tokens);
      seq_lens.push_back(seq.seq_len);
      max_q = std::max(max_q, seq.q_len);
      max_len = std::max(max_len, seq.seq_len);
    }
    const int64_t table_width = max_blocks + 2;  // spare columns hold ids that must never be read
    const int64_t num_blocks = num_seqs * max_blocks + 3;
    std::vector<int32_t> pool(static_cast<size_t>(num_blocks));
    std::iota(pool.begin(), pool.end(), 0);
    std::shuffle(pool.begin(), pool.end(), rng_);
    std::vector<int32_t> tables(static_cast<size_t>(num_seqs * table_width), 1 << 30);
    size_t next = 0;
    for (int64_t seq_idx = 0; seq_idx < num_seqs; ++seq_idx) {
      const int64_t used = (seq_lens[static_cast<size_t>(seq_idx)] + c.block_size - 1) / c.block_size;
      for (int64_t block_idx = 0; block_idx < used; ++block_idx) {
        tables[static_cast<size_t>(seq_idx * table_width + block_idx)] = pool[next++];
      }
    }
    const Shape cache_shape{num_blocks, c.block_size, c.num_kv_heads, c.head_dim};
    const float range = c.cache_dtype == DType::kF8E4M3 ? 3.0f : 1.0f;
    GuardedTensor k_cache = random(c.cache_dtype, cache_shape, -range, range);
    GuardedTensor v_cache = random(c.cache_dtype, cache_shape, -range, range);
    GuardedTensor q = random(q_dtype, {num_tokens, c.num_heads, c.head_dim}, -1.0f, 1.0f, 8);
    GuardedTensor query_start_loc = make(DType::kI32, {num_seqs + 1});
    GuardedTensor lens = make(DType::kI32, {num_seqs});
    GuardedTensor block_tables = make(DType::kI32, {num_seqs, table_width});
    query_start_loc.fill_i32(query_start);
    lens.fill_i32(seq_lens);
    block_tables.fill_i32(tables);
    const float scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
    check(
        "paged_attention", what, q_dtype, {num_tokens, c.num_heads, c.head_dim}, attention_nmse(q_dtype),
        [&](Side& s, const Tensor& out) {
          PagedKvCache cache{s(k_cache.view()), s(v_cache.view()), 1.0f, 1.0f};
          if (c.cache_dtype == DType::kF8E4M3) {
            cache.k_scale = 0.37f;
            cache.v_scale = 1.9f;
          }
          const PagedAttentionBatch batch{s(query_start_loc.view()), s(lens.view()), s(block_tables.view()), max_q,
                                          max_len};
          return s.ops().paged_attention(s.stream(), s(q.view()), cache, batch, scale, out);
        },
        3);
  }
};

TEST_F(CudaAttentionTest, DecodeBatchGqa2) {
  for (DType q_dtype : {DType::kF32, DType::kBF16, DType::kF16}) {
    run_paged({"decode", {{1, 1}, {1, 17}, {1, 100}}, 4, 2, 128, 16, DType::kBF16}, q_dtype);
  }
}

TEST_F(CudaAttentionTest, MixedPrefillChunksAndDecodesGqa8) {
  // A fresh prefill, a decode, a chunk continuing a prefill, an idle sequence.
  const std::vector<SeqSpec> seqs = {{13, 13}, {1, 50}, {20, 70}, {0, 5}};
  for (DType q_dtype : {DType::kF32, DType::kBF16}) {
    run_paged({"mixed", seqs, 16, 2, 64, 32, DType::kF32}, q_dtype);
    run_paged({"mixed", seqs, 16, 2, 64, 16, DType::kBF16}, q_dtype);
  }
}

TEST_F(CudaAttentionTest, NoGroupingFp8CacheWithScales) {
  for (DType q_dtype : {DType::kF32, DType::kBF16}) {
    run_paged({"fp8", {{7, 40}, {1, 33}, {33, 33}}, 3, 3, 128, 16, DType::kF8E4M3}, q_dtype);
  }
  run_paged({"fp8 long", {{1, 2000}, {5, 900}}, 8, 2, 128, 16, DType::kF8E4M3}, DType::kBF16);
}

TEST_F(CudaAttentionTest, HalfPrecisionOddBlockSizeAndHeadDims) {
  run_paged({"odd", {{5, 23}, {1, 9}, {17, 17}}, 8, 4, 72, 5, DType::kF16}, DType::kF16);
  run_paged({"hd256", {{3, 40}, {1, 300}}, 4, 2, 256, 16, DType::kBF16}, DType::kBF16);
  run_paged({"hd80", {{9, 9}, {1, 64}}, 6, 1, 80, 16, DType::kBF16}, DType::kF32);
}

TEST_F(CudaAttentionTest, LongContextsTakeTheSplitKvPath) {
  run_paged({"long decode", {{1, 3000}}, 8, 1, 128, 16, DType::kBF16}, DType::kBF16);
  run_paged({"long chunk+decode", {{20, 1100}, {1, 2100}}, 4, 2, 128, 32, DType::kBF16}, DType::kF32);
  run_paged({"8k decodes", {{1, 8192}, {1, 5000}, {1, 77}}, 8, 2, 128, 16, DType::kBF16}, DType::kBF16);
  run_paged({"long f16", {{1, 4097}}, 16, 4, 64, 32, DType::kF16}, DType::kF16);
}

TEST_F(CudaAttentionTest, LargerPrefillChunk) {
  run_paged({"prefill", {{200, 260}, {64, 64}, {1, 700}}, 16, 4, 128, 16, DType::kBF16}, DType::kBF16);
}

TEST_F(CudaAttentionTest, TensorCoreTileEdgesWithContextOffsets) {
  // Query lengths 1, 15, 16, 17, 127 and 129 over fresh and continued sequences (context offset = seq_len - q_len).
  const std::vector<SeqSpec> seqs = {{1, 40}, {15, 15}, {16, 300}, {17, 33}, {127, 127}, {129, 500}, {0, 7}};
  run_paged({"edges", seqs, 8, 2, 128, 16, DType::kBF16}, DType::kBF16);
  run_paged({"edges", seqs, 4, 4, 72, 32, DType::kF16}, DType::kF16);
  run_paged({"edges", seqs, 16, 2, 64, 32, DType::kBF16}, DType::kBF16);
  run_paged({"edges fp8", seqs, 8, 1, 64, 16, DType::kF8E4M3}, DType::kF16);
  run_paged({"edges fp8", seqs, 8, 2, 128, 32, DType::kF8E4M3}, DType::kBF16);
}

TEST_F(CudaAttentionTest, TensorCoreLongPrefillAndDecodeSplits) {
  run_paged({"prefill 2048 after 52", {{2048, 2100}}, 4, 1, 64, 16, DType::kBF16}, DType::kBF16);
  // Decodes of group 16 (exactly one row tile) and 32 (two), contexts around the 64-key tiles and the splits.
  const std::vector<SeqSpec> decodes = {{1, 1}, {1, 63}, {1, 64}, {1, 65}, {1, 1000}, {1, 4100}};
  run_paged({"decodes", decodes, 32, 2, 128, 16, DType::kBF16}, DType::kBF16);
  run_paged({"decodes", decodes, 32, 1, 72, 32, DType::kF16}, DType::kF16);
  run_paged({"decodes fp8", decodes, 8, 2, 128, 16, DType::kF8E4M3}, DType::kBF16);
}

TEST_F(CudaAttentionTest, KvCacheWriteSkipsPaddingSlotsAndQuantisesFp8) {
  for (DType cache_dtype : {DType::kBF16, DType::kF16, DType::kF32, DType::kF8E4M3}) {
    for (DType act_dtype : {DType::kF32, DType::kBF16, DType::kF16}) {
      const Shape cache_shape{6, 16, 2, 72};
      GuardedTensor k = random(act_dtype, {9, 2, 72}, -3.0f, 3.0f, 4);
      GuardedTensor v = random(act_dtype, {9, 2, 72}, -3.0f, 3.0f);
      GuardedTensor slots = make(DType::kI32, {9});
      slots.fill_i32({0, 17, 95, -1, 40, 41, 42, -1, 63});
      const std::vector<float> k_start = random_floats(rng_, 6 * 16 * 2 * 72, -1.0f, 1.0f);
      const std::vector<float> v_start = random_floats(rng_, 6 * 16 * 2 * 72, -1.0f, 1.0f);
      for (bool check_k : {true, false}) {
        GuardedTensor other = make(cache_dtype, cache_shape);
        other.fill(check_k ? v_start : k_start);
        check(
            "kv_cache_write",
            std::string(tensor::dtype_name(act_dtype)) + "->" + std::string(tensor::dtype_name(cache_dtype)) +
                (check_k ? " k" : " v"),
            cache_dtype, cache_shape, 0.0,
            [&](Side& s, const Tensor& out) {
              PagedKvCache cache{check_k ? out : s(other.view()), check_k ? s(other.view()) : out, 0.8f, 1.7f};
              return s.ops().kv_cache_write(s.stream(), s(k.view()), s(v.view()), s(slots.view()), cache);
            },
            0, check_k ? k_start : v_start);
      }
    }
  }
}

TEST_F(CudaAttentionTest, SegmentAttentionOfTheVisionTower) {
  struct SegmentCase {
    DType dtype;
    int64_t num_kv_heads;
    int64_t head_dim;
  };
  for (const SegmentCase& c :
       {SegmentCase{DType::kF32, 16, 72}, SegmentCase{DType::kBF16, 16, 64}, SegmentCase{DType::kBF16, 8, 72},
        SegmentCase{DType::kF16, 4, 64}, SegmentCase{DType::kBF16, 16, 80}, SegmentCase{DType::kF16, 16, 72},
        SegmentCase{DType::kBF16, 2, 128}}) {
    // Segments of 5, 0, 40 and 90 tokens: shorter and longer than a query tile and a key tile.
    GuardedTensor q = random(c.dtype, {135, 16, c.head_dim}, -1.0f, 1.0f, 5);
    GuardedTensor k = random(c.dtype, {135, c.num_kv_heads, c.head_dim});
    GuardedTensor v = random(c.dtype, {135, c.num_kv_heads, c.head_dim}, -1.0f, 1.0f, 3);
    GuardedTensor cu_seqlens = make(DType::kI32, {5});
    cu_seqlens.fill_i32({0, 5, 5, 45, 135});
    check("segment_attention",
          std::string(tensor::dtype_name(c.dtype)) + " kv heads " + std::to_string(c.num_kv_heads) + " hd " +
              std::to_string(c.head_dim),
          c.dtype, {135, 16, c.head_dim}, attention_nmse(c.dtype), [&](Side& s, const Tensor& out) {
            const SegmentBatch segments{s(cu_seqlens.view()), 90};
            return s.ops().segment_attention(s.stream(), s(q.view()), s(k.view()), s(v.view()), segments, 1.0f / 8.0f,
                                             out);
          });
  }
  // Longer segments (many query and key tiles; the reference's cost bounds the size).
  GuardedTensor q = random(DType::kBF16, {900, 4, 72});
  GuardedTensor k = random(DType::kBF16, {900, 4, 72});
  GuardedTensor v = random(DType::kBF16, {900, 4, 72});
  GuardedTensor cu_seqlens = make(DType::kI32, {3});
  cu_seqlens.fill_i32({0, 700, 900});
  check("segment_attention", "bf16 segments 700+200", DType::kBF16, {900, 4, 72}, attention_nmse(DType::kBF16),
        [&](Side& s, const Tensor& out) {
          const SegmentBatch segments{s(cu_seqlens.view()), 700};
          return s.ops().segment_attention(s.stream(), s(q.view()), s(k.view()), s(v.view()), segments, 0.125f, out);
        });
}

TEST_F(CudaAttentionTest, WarmDecodeStepsDoNotGrowScratch) {
  GuardedTensor k_cache = random(DType::kBF16, {300, 16, 2, 64});
  GuardedTensor v_cache = random(DType::kBF16, {300, 16, 2, 64});
  GuardedTensor q = random(DType::kBF16, {2, 8, 64});
  GuardedTensor k = random(DType::kBF16, {2, 2, 64});
  GuardedTensor out = make(DType::kBF16, {2, 8, 64});
  GuardedTensor query_start = make(DType::kI32, {3});
  GuardedTensor tables = make(DType::kI32, {2, 150});
  std::vector<int32_t> table_values(300);
  std::iota(table_values.begin(), table_values.end(), 0);
  query_start.fill_i32({0, 1, 2});
  tables.fill_i32(table_values);
  Side device = device_side();
  const PagedKvCache cache{device(k_cache.view()), device(v_cache.view()), 1.0f, 1.0f};
  GuardedTensor lens = make(DType::kI32, {2});
  GuardedTensor slots = make(DType::kI32, {2});
  int64_t growths = -1;
  for (int32_t step = 0; step < 6; ++step) {
    // Two long sequences decode one token per step (split-KV, so the attention uses scratch).
    lens.fill_i32({2000 + step, 1700 + step});
    slots.fill_i32({2000 + step - 1, 2400 + 1700 + step - 1});
    FOVEA_ASSERT_OK(device.upload(lens.view()));
    FOVEA_ASSERT_OK(device.upload(slots.view()));
    FOVEA_ASSERT_OK(
        device.ops().kv_cache_write(device.stream(), device(k.view()), device(k.view()), device(slots.view()), cache));
    FOVEA_ASSERT_OK(device.ops().paged_attention(
        device.stream(), device(q.view()), cache,
        {device(query_start.view()), device(lens.view()), device(tables.view()), 1, 2100}, 0.125f, device(out.view())));
    FOVEA_ASSERT_OK(device.backend().synchronize(device.stream()));
    if (step == 0) growths = cuda::CudaBackend::num_scratch_growths(device.stream());
  }
  EXPECT_GT(growths, 0) << "the split-KV path should have used scratch";
  EXPECT_EQ(cuda::CudaBackend::num_scratch_growths(device.stream()), growths);
}

TEST_F(CudaAttentionTest, HeadDimAboveTheKernelLimitIsUnsupported) {
  GuardedTensor q = random(DType::kBF16, {2, 2, 320});
  GuardedTensor k = random(DType::kBF16, {2, 2, 320});
  GuardedTensor out = make(DType::kBF16, {2, 2, 320});
  GuardedTensor cu_seqlens = make(DType::kI32, {2});
  cu_seqlens.fill_i32({0, 2});
  Side device = device_side();
  const base::Status status =
      device.ops().segment_attention(device.stream(), device(q.view()), device(k.view()), device(k.view()),
                                     {device(cu_seqlens.view()), 2}, 0.1f, device(out.view()));
  EXPECT_EQ(status.code(), base::StatusCode::kUnsupported) << status.to_string();
}

}  // namespace
}  // namespace fovea::backend::testing
