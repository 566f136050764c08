// Decode graphs on the CUDA backend: batches of sequences of the tiny checkpoints are prefilled, then decoded
// step by step three ways over three identical KV caches: as given (kOff), padded to the bucket op by op
// (kPaddedEager) and replayed from a captured graph (kGraphs). Graph logits must equal the padded op-by-op logits
// bit for bit; both stay within a small tolerance of the unpadded step. Skips without a GPU.
// Must not contain model code (the steps are built here the way ModelRunner builds them).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "backend/cuda/cuda_factory.h"
#include "decode_steps.h"
#include "model/model.h"

namespace fovea::model::testing {
namespace {

struct Case {
  std::string checkpoint;
  tensor::DType act;
};

class DecodeGraphTest : public ::testing::TestWithParam<Case> {};

TEST_P(DecodeGraphTest, GraphReplayMatchesPaddedEagerBitForBit) {
  if (backend::cuda::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device (or a build without FOVEA_CUDA)";
  const Case& c = GetParam();
  auto cuda = backend::cuda::create_cuda_backend("cuda:0");
  ASSERT_TRUE(cuda.ok()) << cuda.status().to_string();
  backend::Backend& backend = **cuda;
  ModelOptions options;
  options.activation_dtype = c.act;
  options.text_limits = {1024, kMaxSeqs, kMaxBlocksPerSeq};
  options.max_vision_patches = 0;
  auto model = Model::load(source_dir() + "/tests/golden/model/data/checkpoints/" + c.checkpoint, backend, options);
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  TextDecoder& decoder = (*model)->decoder();
  const bool mrope = decoder.uses_mrope();
  const int64_t num_blocks = kMaxSeqs * kMaxBlocksPerSeq;
  // One cache per way of running, so the three see the same history.
  std::vector<KvCache> caches;
  for (int k = 0; k < 3; ++k) {
    auto cache = (*model)->allocate_kv_cache(num_blocks, kBlockSize, c.act);
    ASSERT_TRUE(cache.ok()) << cache.status().to_string();
    caches.push_back(std::move(cache).value());
  }
  const double tolerance = c.act == tensor::DType::kF32 ? 1e-5 : 3e-2;
  const auto vocab = static_cast<int32_t>((*model)->config().text_config.vocab_size);
  std::mt19937 rng(7);

  for (int64_t num_seqs : {1, 3, 8, 17, 64}) {
    SCOPED_TRACE(c.checkpoint + " batch " + std::to_string(num_seqs));
    std::vector<std::vector<int32_t>> tokens = random_prompts(rng, num_seqs, vocab);
    std::vector<int64_t> begins(static_cast<size_t>(num_seqs), 0);
    const HostStep prefill = make_step(tokens, begins, mrope);
    std::vector<float> prefill_logits;
    for (const KvCache& cache : caches) prefill_logits = run(backend, decoder, DecodeGraphMode::kOff, prefill, cache);
    ASSERT_FALSE(prefill_logits.empty());

    const int64_t graphs_before = decoder.decode_graphs() == nullptr ? 0 : decoder.decode_graphs()->num_graphs();
    std::vector<float> previous = prefill_logits;
    for (int step_idx = 0; step_idx < kNumDecodeSteps; ++step_idx) {
      for (size_t b = 0; b < tokens.size(); ++b) {
        begins[b] = static_cast<int64_t>(tokens[b].size());
        const auto row = previous.begin() + static_cast<std::ptrdiff_t>(b * static_cast<size_t>(vocab));
        tokens[b].push_back(static_cast<int32_t>(std::max_element(row, row + vocab) - row));
      }
      const HostStep decode = make_step(tokens, begins, mrope);
      const std::vector<float> eager = run(backend, decoder, DecodeGraphMode::kOff, decode, caches[0]);
      const std::vector<float> padded = run(backend, decoder, DecodeGraphMode::kPaddedEager, decode, caches[1]);
      const std::vector<float> graph = run(backend, decoder, DecodeGraphMode::kGraphs, decode, caches[2]);
      ASSERT_EQ(graph.size(), static_cast<size_t>(num_seqs * vocab));
      ASSERT_EQ(padded.size(), graph.size());
      EXPECT_EQ(std::memcmp(padded.data(), graph.data(), graph.size() * sizeof(float)), 0)
          << "step " << step_idx << ": graph replay differs from the padded step run op by op";
      EXPECT_LE(relative_error(graph, eager), tolerance) << "step " << step_idx;
      previous = graph;
    }
    const DecoderStepGraphs* graphs = decoder.decode_graphs();
    ASSERT_NE(graphs, nullptr);
    EXPECT_TRUE(graphs->first_capture_error().ok()) << graphs->first_capture_error().to_string();
    // Ten steps over 4-25 cached tokens in blocks of 4 span at most four width buckets (1, 2, 4, 8 blocks): the
    // other steps replayed a graph captured by an earlier one.
    EXPECT_GE(graphs->num_graphs() - graphs_before, 1);
    EXPECT_LE(graphs->num_graphs() - graphs_before, 4);
  }
}

INSTANTIATE_TEST_SUITE_P(TinyCheckpoints, DecodeGraphTest,
                         ::testing::Values(Case{"qwen3-tiny", tensor::DType::kF32},
                                           Case{"qwen3-tiny", tensor::DType::kBF16},
                                           Case{"qwen3-vl-tiny", tensor::DType::kBF16}),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           std::string name = info.param.checkpoint + "_" +
                                              (info.param.act == tensor::DType::kF32 ? "f32" : "bf16");
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace fovea::model::testing
