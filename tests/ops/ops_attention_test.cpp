// Fast CPU attention against the reference: KV-cache writes (padding slots, FP8 with scales), paged causal
// attention over mixed prefill-chunk + decode batches (GQA 1/2/8, block sizes 5/16/32, bf16/f16/f32/FP8 caches,
// long contexts, scattered block tables), segment attention of the vision tower, and metadata errors.
#include <algorithm>
#include <numeric>

#include "op_test_util.h"

namespace fovea::backend::testing {
namespace {

using tensor::DType;
using tensor::Shape;

struct SeqSpec {
  int32_t q_len;
  int32_t seq_len;
};

struct PagedCase {
  std::vector<SeqSpec> seqs;
  int64_t num_heads;
  int64_t num_kv_heads;
  int64_t head_dim;
  int64_t block_size;
  DType cache_dtype;
};

class AttentionTest : public OpsTest {
 protected:
  void run_paged(const PagedCase& c, DType q_dtype) {
    SCOPED_TRACE(::testing::Message() << "heads " << c.num_heads << "/" << c.num_kv_heads << " hd " << c.head_dim
                                      << " block " << c.block_size << " cache " << tensor::dtype_name(c.cache_dtype)
                                      << " q " << tensor::dtype_name(q_dtype));
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
    // Scattered block ids: a shuffled pool shared by all sequences.
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
    PagedKvCache cache{k_cache.view(), v_cache.view(), 1.0f, 1.0f};
    if (c.cache_dtype == DType::kF8E4M3) {
      cache.k_scale = 0.37f;
      cache.v_scale = 1.9f;
    }
    const PagedAttentionBatch batch{query_start_loc.view(), lens.view(), block_tables.view(), max_q, max_len};
    const float scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
    check_op(
        q_dtype, {num_tokens, c.num_heads, c.head_dim}, default_nmse(q_dtype),
        [&](Ops& ops, const Tensor& out) { return ops.paged_attention(stream(), q.view(), cache, batch, scale, out); },
        3);
  }
};

TEST_F(AttentionTest, DecodeBatchGqa2) {
  for (DType q_dtype : {DType::kF32, DType::kBF16}) {
    run_paged({{{1, 1}, {1, 17}, {1, 100}}, 4, 2, 128, 16, DType::kBF16}, q_dtype);
  }
}

TEST_F(AttentionTest, MixedPrefillChunksAndDecodesGqa8) {
  // A fresh prefill, a decode, a chunk continuing a prefill, an idle sequence.
  const std::vector<SeqSpec> seqs = {{13, 13}, {1, 50}, {20, 70}, {0, 5}};
  for (DType q_dtype : {DType::kF32, DType::kBF16}) {
    run_paged({seqs, 16, 2, 64, 32, DType::kF32}, q_dtype);
    run_paged({seqs, 16, 2, 64, 16, DType::kBF16}, q_dtype);
  }
}

TEST_F(AttentionTest, NoGroupingFp8CacheWithScales) {
  for (DType q_dtype : {DType::kF32, DType::kBF16}) {
    run_paged({{{7, 40}, {1, 33}, {33, 33}}, 3, 3, 128, 16, DType::kF8E4M3}, q_dtype);
  }
}

TEST_F(AttentionTest, HalfPrecisionAndOddBlockSize) {
  run_paged({{{5, 23}, {1, 9}, {17, 17}}, 8, 4, 72, 5, DType::kF16}, DType::kF16);
}

TEST_F(AttentionTest, LongContextDecodeAndChunk) {
  run_paged({{{1, 3000}}, 8, 1, 128, 16, DType::kBF16}, DType::kBF16);
  run_paged({{{20, 1100}, {1, 2100}}, 4, 2, 128, 32, DType::kBF16}, DType::kF32);
}

TEST_F(AttentionTest, KvCacheWriteSkipsPaddingSlotsAndQuantisesFp8) {
  for (DType cache_dtype : {DType::kBF16, DType::kF16, DType::kF32, DType::kF8E4M3}) {
    for (DType act_dtype : {DType::kF32, DType::kBF16}) {
      const Shape cache_shape{6, 16, 2, 72};
      GuardedTensor k = random(act_dtype, {9, 2, 72}, -3.0f, 3.0f, 4);
      GuardedTensor v = random(act_dtype, {9, 2, 72}, -3.0f, 3.0f);
      GuardedTensor slots = make(DType::kI32, {9});
      slots.fill_i32({0, 17, 95, -1, 40, 41, 42, -1, 63});
      const std::vector<float> k_start = random_floats(rng_, 6 * 16 * 2 * 72, -1.0f, 1.0f);
      const std::vector<float> v_start = random_floats(rng_, 6 * 16 * 2 * 72, -1.0f, 1.0f);
      for (bool check_k : {true, false}) {
        check_op(cache_dtype, cache_shape, 0.0, [&](Ops& ops, const Tensor& out) {
          GuardedTensor other = make(cache_dtype, cache_shape);
          other.fill(check_k ? v_start : k_start);
          GuardedTensor start = make(cache_dtype, cache_shape);
          start.fill(check_k ? k_start : v_start);
          FOVEA_RETURN_IF_ERROR(backend_.copy(stream(), start.view(), out));
          PagedKvCache cache{check_k ? out : other.view(), check_k ? other.view() : out, 0.8f, 1.7f};
          return ops.kv_cache_write(stream(), k.view(), v.view(), slots.view(), cache);
        });
      }
    }
  }
}

TEST_F(AttentionTest, SegmentAttentionOfTheVisionTower) {
  struct SegmentCase {
    DType dtype;
    int64_t num_kv_heads;
    int64_t head_dim;
  };
  for (const SegmentCase& c : {SegmentCase{DType::kF32, 16, 72}, SegmentCase{DType::kBF16, 16, 64},
                               SegmentCase{DType::kBF16, 8, 72}, SegmentCase{DType::kF16, 4, 64}}) {
    // Segments of 5, 0, 40 and 90 tokens: shorter and longer than a query tile and a key block.
    GuardedTensor q = random(c.dtype, {135, 16, c.head_dim}, -1.0f, 1.0f, 5);
    GuardedTensor k = random(c.dtype, {135, c.num_kv_heads, c.head_dim});
    GuardedTensor v = random(c.dtype, {135, c.num_kv_heads, c.head_dim});
    GuardedTensor cu_seqlens = make(DType::kI32, {5});
    cu_seqlens.fill_i32({0, 5, 5, 45, 135});
    const SegmentBatch segments{cu_seqlens.view(), 90};
    check_op(c.dtype, {135, 16, c.head_dim}, default_nmse(c.dtype), [&](Ops& ops, const Tensor& out) {
      return ops.segment_attention(stream(), q.view(), k.view(), v.view(), segments, 1.0f / 8.0f, out);
    });
  }
}

TEST_F(AttentionTest, WarmDecodeStepsDoNotGrowScratch) {
  GuardedTensor k_cache = random(DType::kBF16, {8, 16, 2, 64});
  GuardedTensor v_cache = random(DType::kBF16, {8, 16, 2, 64});
  GuardedTensor q = random(DType::kBF16, {2, 8, 64});
  GuardedTensor k = random(DType::kBF16, {2, 2, 64});
  GuardedTensor out = make(DType::kBF16, {2, 8, 64});
  GuardedTensor query_start = make(DType::kI32, {3});
  GuardedTensor lens = make(DType::kI32, {2});
  GuardedTensor tables = make(DType::kI32, {2, 4});
  GuardedTensor slots = make(DType::kI32, {2});
  query_start.fill_i32({0, 1, 2});
  tables.fill_i32({0, 1, 2, 3, 4, 5, 6, 7});
  const PagedKvCache cache{k_cache.view(), v_cache.view(), 1.0f, 1.0f};
  for (FastVariant& variant : variants_) {
    int64_t growths = -1;
    for (int32_t step = 0; step < 6; ++step) {
      // Two sequences decode one token per step, as the engine loop would.
      lens.fill_i32({40 + step, 17 + step});
      slots.fill_i32({40 + step - 1, 64 + 17 + step - 1});
      FOVEA_ASSERT_OK(variant.ops->kv_cache_write(stream(), k.view(), k.view(), slots.view(), cache));
      FOVEA_ASSERT_OK(variant.ops->paged_attention(
          stream(), q.view(), cache, {query_start.view(), lens.view(), tables.view(), 1, 64}, 0.125f, out.view()));
      if (step == 0) growths = variant.ops->num_workspace_growths();
    }
    EXPECT_EQ(variant.ops->num_workspace_growths(), growths) << variant.name;
  }
}

TEST_F(AttentionTest, BadMetadataIsAnErrorNotAStrayRead) {
  GuardedTensor k_cache = random(DType::kBF16, {4, 16, 1, 64});
  GuardedTensor v_cache = random(DType::kBF16, {4, 16, 1, 64});
  GuardedTensor q = random(DType::kBF16, {2, 2, 64});
  GuardedTensor out = make(DType::kBF16, {2, 2, 64});
  GuardedTensor query_start_loc = make(DType::kI32, {2});
  GuardedTensor lens = make(DType::kI32, {1});
  GuardedTensor tables = make(DType::kI32, {1, 2});
  const PagedKvCache cache{k_cache.view(), v_cache.view(), 1.0f, 1.0f};
  const PagedAttentionBatch batch{query_start_loc.view(), lens.view(), tables.view(), 2, 32};
  struct BadCase {
    std::vector<int32_t> query_start;
    int32_t seq_len;
    std::vector<int32_t> table;
  };
  const BadCase bad_cases[] = {
      {{0, 2}, 20, {1, 4}},  // a block id past the cache
      {{0, 2}, 1, {1, 2}},   // more new tokens than tokens
      {{0, 2}, 40, {1, 2}},  // more tokens than the table holds (and than max_seq_len)
      {{0, 1}, 5, {1, 2}},   // query_start_loc does not end at the token count
      {{0, 2}, 20, {-1, 2}},
  };
  for (const BadCase& bad : bad_cases) {
    query_start_loc.fill_i32(bad.query_start);
    lens.fill_i32({bad.seq_len});
    tables.fill_i32(bad.table);
    EXPECT_FALSE(reference_.paged_attention(stream(), q.view(), cache, batch, 0.125f, out.view()).ok());
    for (FastVariant& variant : variants_) {
      EXPECT_FALSE(variant.ops->paged_attention(stream(), q.view(), cache, batch, 0.125f, out.view()).ok());
    }
  }
  EXPECT_TRUE(out.guards_intact());
}

}  // namespace
}  // namespace fovea::backend::testing
