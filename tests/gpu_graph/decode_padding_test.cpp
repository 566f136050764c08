// Decode-step padding on the CPU backend (what CI can run): the buckets, the padded arrays, and the tiny checkpoints
// decoded with pure decode steps padded to their bucket (kPaddedEager) against the same steps as given (kOff),
// within f32 rounding. kGraphs on the CPU backend must fall back to op by op. Must not contain CUDA code.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "decode_steps.h"
#include "model/decoder_step_graphs.h"
#include "model/model.h"

namespace fovea::model::testing {
namespace {

TEST(DecoderStepGraphsTest, BucketsAreDoublingThenHalfSteps) {
  EXPECT_EQ(DecoderStepGraphs({1024, 64, 16}).batch_buckets(),
            (std::vector<int64_t>{1, 2, 4, 8, 16, 24, 32, 48, 64}));
  // The largest bucket is always the limit itself, so every step up to max_num_seqs has one.
  EXPECT_EQ(DecoderStepGraphs({1024, 20, 16}).batch_buckets(), (std::vector<int64_t>{1, 2, 4, 8, 16, 20}));
  EXPECT_EQ(DecoderStepGraphs({3, 64, 16}).batch_buckets(), (std::vector<int64_t>{1, 2, 3}));
}

TEST(DecoderStepGraphsTest, PadsRowsThatStoreNothingAndRoundsTheBlockTable) {
  DecoderStepGraphs graphs({1024, 64, 16});
  // Three sequences of 5, 9 and 2 cached tokens (blocks of 4) each decoding one token.
  const HostStep h = make_step({{1, 2, 3, 4, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9}, {7, 8}}, {4, 8, 1}, false);
  const DecoderStep* padded = graphs.pad(h.step, kBlockSize);
  ASSERT_NE(padded, nullptr);
  EXPECT_EQ(graphs.bucket(), (DecodeBucket{4, 4}));  // 3 -> 4 rows; 3 blocks -> 4
  EXPECT_EQ(padded->max_seq_len, 16);
  EXPECT_EQ(padded->max_query_len, 1);
  EXPECT_EQ(std::vector<int32_t>(padded->token_ids.begin(), padded->token_ids.end()),
            (std::vector<int32_t>{5, 9, 8, 0}));
  EXPECT_EQ(padded->slot_mapping.back(), -1);
  EXPECT_EQ(std::vector<int32_t>(padded->query_start_loc.begin(), padded->query_start_loc.end()),
            (std::vector<int32_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(std::vector<int32_t>(padded->seq_lens.begin(), padded->seq_lens.end()),
            (std::vector<int32_t>{5, 9, 2, 1}));
  EXPECT_EQ(std::vector<int32_t>(padded->logits_rows.begin(), padded->logits_rows.end()),
            (std::vector<int32_t>{0, 1, 2, 3}));
  ASSERT_EQ(padded->block_tables.size(), 16u);
  EXPECT_EQ(padded->block_tables[4 + 2], 16 + 2);  // sequence 1's third block, in a row of width 4
  EXPECT_EQ(padded->block_tables[3], 0);           // past sequence 0's blocks

  // Not pure decode: a prefill chunk, or more sequences than the largest bucket.
  const HostStep prefill = make_step({{1, 2, 3}}, {0}, false);
  EXPECT_EQ(graphs.pad(prefill.step, kBlockSize), nullptr);
  DecoderStepGraphs small({1024, 2, 16});
  EXPECT_EQ(small.pad(h.step, kBlockSize), nullptr);
}

class DecodePaddingTest : public ::testing::TestWithParam<std::string> {};

TEST_P(DecodePaddingTest, PaddedDecodeStepsMatchUnpaddedOnCpu) {
  backend::cpu::CpuBackend cpu;
  ModelOptions options;
  options.activation_dtype = tensor::DType::kF32;
  options.text_limits = {1024, kMaxSeqs, kMaxBlocksPerSeq};
  options.max_vision_patches = 0;
  auto model = Model::load(source_dir() + "/tests/golden/model/data/checkpoints/" + GetParam(), cpu, options);
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  TextDecoder& decoder = (*model)->decoder();
  decoder.set_decode_graph_mode(DecodeGraphMode::kGraphs);
  EXPECT_EQ(decoder.decode_graph_mode(), DecodeGraphMode::kOff) << "the CPU backend has no graphs";
  std::vector<KvCache> caches;
  for (int k = 0; k < 2; ++k) {
    auto cache = (*model)->allocate_kv_cache(kMaxSeqs * kMaxBlocksPerSeq, kBlockSize, tensor::DType::kF32);
    ASSERT_TRUE(cache.ok()) << cache.status().to_string();
    caches.push_back(std::move(cache).value());
  }
  const bool mrope = decoder.uses_mrope();
  const auto vocab = static_cast<int32_t>((*model)->config().text_config.vocab_size);
  std::mt19937 rng(11);
  for (int64_t num_seqs : {1, 3, 17}) {
    SCOPED_TRACE(GetParam() + " batch " + std::to_string(num_seqs));
    std::vector<std::vector<int32_t>> tokens = random_prompts(rng, num_seqs, vocab);
    std::vector<int64_t> begins(static_cast<size_t>(num_seqs), 0);
    const HostStep prefill = make_step(tokens, begins, mrope);
    std::vector<float> previous;
    for (const KvCache& cache : caches) previous = run(cpu, decoder, DecodeGraphMode::kOff, prefill, cache);
    ASSERT_FALSE(previous.empty());
    for (int step_idx = 0; step_idx < kNumDecodeSteps / 2; ++step_idx) {
      for (size_t b = 0; b < tokens.size(); ++b) {
        begins[b] = static_cast<int64_t>(tokens[b].size());
        const auto row = previous.begin() + static_cast<std::ptrdiff_t>(b * static_cast<size_t>(vocab));
        tokens[b].push_back(static_cast<int32_t>(std::max_element(row, row + vocab) - row));
      }
      const HostStep decode = make_step(tokens, begins, mrope);
      const std::vector<float> eager = run(cpu, decoder, DecodeGraphMode::kOff, decode, caches[0]);
      const std::vector<float> padded = run(cpu, decoder, DecodeGraphMode::kPaddedEager, decode, caches[1]);
      ASSERT_EQ(padded.size(), static_cast<size_t>(num_seqs * vocab));
      ASSERT_EQ(eager.size(), padded.size());
      EXPECT_LE(relative_error(padded, eager), 1e-5) << "step " << step_idx;
      previous = eager;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(TinyCheckpoints, DecodePaddingTest, ::testing::Values("qwen3-tiny", "qwen3-vl-tiny"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace fovea::model::testing
