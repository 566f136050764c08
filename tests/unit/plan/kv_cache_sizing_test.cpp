// KV-cache sizing: bytes per token computed from the published Qwen3-VL-32B config (performance-goals.md states
// 256 KiB bf16 / 128 KiB FP8 for all 64 layers), tensor-parallel head splitting and replication, whole blocks.
#include "plan/kv_cache_sizing.h"

#include <gtest/gtest.h>

#include "plan_test_util.h"

namespace fovea::plan {
namespace {

using testing::load_config;

TEST(KvCacheSizing, Qwen3Vl32bBytesPerTokenFromConfig) {
  const io::TextConfig text = load_config(testing::kBf16).text_config;
  base::Result<KvCacheShape> bf16 =
      kv_cache_shape(text, kv_cache_element_bytes(KvCacheDtype::kAuto, tensor::DType::kBF16), 1);
  ASSERT_TRUE(bf16.ok());
  EXPECT_EQ(bf16->bytes_per_token(), 256u * 1024u);
  base::Result<KvCacheShape> fp8 =
      kv_cache_shape(text, kv_cache_element_bytes(KvCacheDtype::kFp8E4m3, tensor::DType::kBF16), 1);
  ASSERT_TRUE(fp8.ok());
  EXPECT_EQ(fp8->bytes_per_token(), 128u * 1024u);
  EXPECT_EQ(fp8->bytes_per_block(), 16u * 128u * 1024u);
}

TEST(KvCacheSizing, TensorParallelSplitsHeadsAndReplicatesPastThem) {
  const io::TextConfig text = load_config(testing::kBf16).text_config;  // 8 KV heads
  base::Result<KvCacheShape> tp2 = kv_cache_shape(text, 1, 2);
  ASSERT_TRUE(tp2.ok());
  EXPECT_EQ(tp2->num_kv_heads_per_gpu, 4);
  EXPECT_EQ(tp2->bytes_per_token(), 64u * 1024u);
  base::Result<KvCacheShape> tp16 = kv_cache_shape(text, 2, 16);
  ASSERT_TRUE(tp16.ok());
  EXPECT_EQ(tp16->num_kv_heads_per_gpu, 1);  // each head on 2 GPUs
  EXPECT_EQ(tp16->bytes_per_token(), 64u * 2 * 1 * 128 * 2);
  for (int64_t tp : {3, 12}) {
    base::Result<KvCacheShape> bad = kv_cache_shape(text, 2, tp);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.status().message().find("8 KV heads"), std::string::npos) << bad.status().message();
  }
}

TEST(KvCacheSizing, CapacityIsWholeBlocks) {
  KvCacheShape shape;
  shape.num_layers = 2;
  shape.num_kv_heads_per_gpu = 1;
  shape.head_dim = 4;
  shape.element_bytes = 2;  // 32 bytes a token, 512 a block of 16
  EXPECT_EQ(shape.bytes_per_block(), 512u);
  KvCacheCapacity capacity = kv_cache_capacity(512 * 10 + 511, shape);
  EXPECT_EQ(capacity.num_blocks, 10);
  EXPECT_EQ(capacity.num_tokens, 160);
  EXPECT_EQ(capacity.num_bytes, 5120u);
  EXPECT_EQ(kv_cache_capacity(511, shape).num_blocks, 0);
  // vLLM's concurrency: blocks over the blocks one max_model_len request needs (ceil(100 / 16) = 7).
  EXPECT_DOUBLE_EQ(max_concurrency(capacity, shape, 100), 10.0 / 7.0);
  EXPECT_DOUBLE_EQ(max_concurrency(capacity, shape, 160), 1.0);
}

TEST(KvCacheSizing, DtypeSpellings) {
  EXPECT_EQ(*parse_kv_cache_dtype("fp8"), KvCacheDtype::kFp8E4m3);
  EXPECT_EQ(*parse_kv_cache_dtype("fp8_e5m2"), KvCacheDtype::kFp8E5m2);
  EXPECT_EQ(kv_cache_element_bytes(KvCacheDtype::kAuto, tensor::DType::kF16), 2);
  EXPECT_EQ(kv_cache_element_bytes(KvCacheDtype::kAuto, tensor::DType::kF32), 4);
  base::Result<KvCacheDtype> bad = parse_kv_cache_dtype("int8");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("fp8_e4m3"), std::string::npos);
}

}  // namespace
}  // namespace fovea::plan
