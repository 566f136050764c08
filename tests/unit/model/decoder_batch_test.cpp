// Decoder batching on dummy weights: sequences computed together in one varlen step (prefill chunks, decodes and
// vision rows mixed, blocks scattered over the cache) give the logits they give alone.
#include <gtest/gtest.h>

#include <cmath>

#include "backend/cpu/cpu_backend.h"
#include "model/model.h"
#include "model/mrope_positions.h"
#include "model_test_util.h"

namespace fovea::model {
namespace {

constexpr int64_t kBlockSize = 4;

// One sequence's chunk of a step.
struct Chunk {
  std::vector<int32_t> ids;        // the new tokens
  std::vector<int32_t> positions;  // [3 * n] rows t, h, w
  int64_t num_cached = 0;          // tokens already in the cache
  std::vector<int32_t> blocks;     // the sequence's block table
  std::vector<VisualRows> visual;  // first_row relative to the chunk
};

// Runs chunks as one step; returns each chunk's last-token logits.
std::vector<std::vector<float>> run_step(backend::Backend& backend, Model& model, const KvCache& cache,
                                         const std::vector<Chunk>& chunks) {
  std::vector<int32_t> ids, positions_t, positions_h, positions_w, slots, query_start_loc = {0}, seq_lens, tables,
                                                                          logits_rows;
  int64_t blocks_per_seq = 0;
  for (const Chunk& chunk : chunks) blocks_per_seq = std::max<int64_t>(blocks_per_seq, chunk.blocks.size());
  DecoderStep step;
  int max_query = 0;
  int max_seq = 0;
  for (const Chunk& chunk : chunks) {
    const auto n = static_cast<int64_t>(chunk.ids.size());
    const auto first_row = static_cast<int64_t>(ids.size());
    for (VisualRows rows : chunk.visual) {
      rows.first_row += first_row;
      step.visual.push_back(rows);
    }
    for (int64_t idx = 0; idx < n; ++idx) {
      const int64_t pos = chunk.num_cached + idx;
      ids.push_back(chunk.ids[static_cast<size_t>(idx)]);
      positions_t.push_back(chunk.positions[static_cast<size_t>(idx)]);
      positions_h.push_back(chunk.positions[static_cast<size_t>(n + idx)]);
      positions_w.push_back(chunk.positions[static_cast<size_t>(2 * n + idx)]);
      slots.push_back(chunk.blocks[static_cast<size_t>(pos / kBlockSize)] * kBlockSize + pos % kBlockSize);
    }
    query_start_loc.push_back(static_cast<int32_t>(ids.size()));
    seq_lens.push_back(static_cast<int32_t>(chunk.num_cached + n));
    for (int64_t idx = 0; idx < blocks_per_seq; ++idx) {
      tables.push_back(idx < static_cast<int64_t>(chunk.blocks.size()) ? chunk.blocks[static_cast<size_t>(idx)] : 0);
    }
    logits_rows.push_back(static_cast<int32_t>(ids.size() - 1));
    max_query = std::max(max_query, static_cast<int>(n));
    max_seq = std::max(max_seq, static_cast<int>(chunk.num_cached + n));
  }
  std::vector<int32_t> positions = positions_t;
  positions.insert(positions.end(), positions_h.begin(), positions_h.end());
  positions.insert(positions.end(), positions_w.begin(), positions_w.end());
  step.token_ids = ids;
  step.positions = positions;
  step.slot_mapping = slots;
  step.query_start_loc = query_start_loc;
  step.seq_lens = seq_lens;
  step.block_tables = tables;
  step.blocks_per_seq = blocks_per_seq;
  step.max_query_len = max_query;
  step.max_seq_len = max_seq;
  step.logits_rows = logits_rows;
  auto logits = model.decoder().forward(step, cache);
  EXPECT_TRUE(logits.ok()) << logits.status().to_string();
  if (!logits.ok()) return {};
  std::vector<float> host(static_cast<size_t>(logits->numel()));
  EXPECT_TRUE(backend.copy_to_host(backend.default_stream(), *logits, host.data()).ok());
  std::vector<std::vector<float>> out;
  const auto vocab = static_cast<size_t>(logits->dim(1));
  for (size_t row = 0; row < chunks.size(); ++row) {
    out.emplace_back(host.begin() + static_cast<int64_t>(row * vocab),
                     host.begin() + static_cast<int64_t>((row + 1) * vocab));
  }
  return out;
}

double max_relative_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double diff = 0.0;
  double scale = 0.0;
  for (size_t idx = 0; idx < a.size(); ++idx) {
    diff = std::max(diff, std::fabs(static_cast<double>(a[idx]) - b[idx]));
    scale = std::max(scale, std::fabs(static_cast<double>(b[idx])));
  }
  return diff / scale;
}

// Positions [3 * n] of tokens [begin, end) of a prompt laid out by compute_mrope_positions (decode past it).
std::vector<int32_t> slice_positions(const MropePositions& prompt, int64_t num_prompt, int64_t begin, int64_t end) {
  std::vector<int32_t> out;
  for (int64_t axis = 0; axis < 3; ++axis) {
    for (int64_t idx = begin; idx < end; ++idx) {
      out.push_back(idx < num_prompt ? prompt.positions[static_cast<size_t>(axis * num_prompt + idx)]
                                     : static_cast<int32_t>(mrope_decode_position(idx, prompt.rope_delta)));
    }
  }
  return out;
}

TEST(DecoderBatchTest, MixedStepsMatchSequencesAlone) {
  testing::TempDir dir;
  testing::write_model_folder(dir, "qwen3-vl-tiny", {});
  backend::cpu::CpuBackend backend;
  ModelOptions options;
  options.activation_dtype = tensor::DType::kF32;
  options.load_format = LoadFormat::kDummy;
  options.dummy_seed = 3;
  options.text_limits = {64, 4, 8};
  options.max_vision_patches = 64;
  auto loaded = Model::load(dir.path(), backend, options);
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  Model& model = **loaded;
  const io::ModelConfig& config = model.config();

  // Sequence B carries one image of grid [1, 4, 4]: 4 placeholders at prompt index 3.
  VisionEncoder& encoder = *model.vision_encoder();
  std::vector<float> pixels(16 * 1536);
  for (size_t idx = 0; idx < pixels.size(); ++idx) pixels[idx] = std::sin(0.01f * static_cast<float>(idx));
  const VisionImage image{pixels, {1, 4, 4}};
  auto vision_buffer = backend.allocate(3 * 4 * 64 * sizeof(float));
  ASSERT_TRUE(vision_buffer.ok());
  const backend::Tensor embeds = backend::Tensor::on(**vision_buffer, tensor::DType::kF32, {4, 64});
  const std::vector<backend::Tensor> deepstack = {
      backend::Tensor::on(**vision_buffer, tensor::DType::kF32, {4, 64}, 4 * 64 * 4),
      backend::Tensor::on(**vision_buffer, tensor::DType::kF32, {4, 64}, 2 * 4 * 64 * 4)};
  ASSERT_TRUE(encoder.encode(std::span<const VisionImage>(&image, 1), embeds, deepstack).ok());
  auto rows_for = [&](int64_t image_begin, int64_t count, int64_t first_row) {
    VisualRows rows;
    rows.embeds = embeds.slice_rows(image_begin, count);
    for (const backend::Tensor& extra : deepstack) rows.deepstack.push_back(extra.slice_rows(image_begin, count));
    rows.first_row = first_row;
    return rows;
  };

  const std::vector<int32_t> prompt_a = {11, 12, 13, 14, 15, 16, 17};
  const auto image_id = static_cast<int32_t>(config.image_token_id);
  const std::vector<int32_t> prompt_b = {
      21, 22, static_cast<int32_t>(config.vision_start_token_id), image_id, image_id, image_id, image_id, 23, 24};
  auto positions_a = compute_mrope_positions(7, {}, 2);
  const std::vector<VisualSegment> segments_b = {{3, 1, 4, 4}};
  auto positions_b = compute_mrope_positions(9, segments_b, 2);
  ASSERT_TRUE(positions_a.ok() && positions_b.ok());
  auto chunk = [](const std::vector<int32_t>& prompt, const MropePositions& positions, int64_t begin, int64_t end,
                  std::vector<int32_t> blocks, std::vector<int32_t> extra = {}) {
    Chunk c;
    std::vector<int32_t> all = prompt;
    all.insert(all.end(), extra.begin(), extra.end());
    c.ids.assign(all.begin() + begin, all.begin() + end);
    c.positions = slice_positions(positions, static_cast<int64_t>(prompt.size()), begin, end);
    c.num_cached = begin;
    c.blocks = std::move(blocks);
    return c;
  };

  // Alone: A in blocks {0, 1, 2}, B in blocks {3, 4, 5} of their own caches; B's image split over two chunks.
  auto cache_alone = model.allocate_kv_cache(8, kBlockSize, tensor::DType::kF32);
  ASSERT_TRUE(cache_alone.ok());
  const auto a_prefill = run_step(backend, model, *cache_alone, {chunk(prompt_a, *positions_a, 0, 7, {0, 1, 2})});
  const auto a_decode = run_step(backend, model, *cache_alone, {chunk(prompt_a, *positions_a, 7, 8, {0, 1, 2}, {42})});
  Chunk b1 = chunk(prompt_b, *positions_b, 0, 5, {3, 4, 5});
  b1.visual.push_back(rows_for(0, 2, 3));
  Chunk b2 = chunk(prompt_b, *positions_b, 5, 9, {3, 4, 5});
  b2.visual.push_back(rows_for(2, 2, 0));
  const auto b_first = run_step(backend, model, *cache_alone, {b1});
  const auto b_second = run_step(backend, model, *cache_alone, {b2});
  ASSERT_EQ(a_prefill.size(), 1u);
  ASSERT_EQ(b_second.size(), 1u);

  // Together, blocks interleaved in one cache: step 1 = A's prefill + B's first chunk; step 2 = A's decode + B's
  // second chunk.
  auto cache = model.allocate_kv_cache(8, kBlockSize, tensor::DType::kF32);
  ASSERT_TRUE(cache.ok());
  Chunk a1 = chunk(prompt_a, *positions_a, 0, 7, {6, 1, 4});
  Chunk a2 = chunk(prompt_a, *positions_a, 7, 8, {6, 1, 4}, {42});
  b1.blocks = {0, 7, 2};
  b2.blocks = {0, 7, 2};
  const auto step1 = run_step(backend, model, *cache, {a1, b1});
  const auto step2 = run_step(backend, model, *cache, {b2, a2});
  ASSERT_EQ(step1.size(), 2u);
  ASSERT_EQ(step2.size(), 2u);
  EXPECT_LE(max_relative_diff(step1[0], a_prefill[0]), 1e-5);
  EXPECT_LE(max_relative_diff(step1[1], b_first[0]), 1e-5);
  EXPECT_LE(max_relative_diff(step2[0], b_second[0]), 1e-5);
  EXPECT_LE(max_relative_diff(step2[1], a_decode[0]), 1e-5);
  // The image mattered: B's logits without its vision rows differ.
  Chunk b1_plain = b1;
  b1_plain.visual.clear();
  auto cache_plain = model.allocate_kv_cache(8, kBlockSize, tensor::DType::kF32);
  ASSERT_TRUE(cache_plain.ok());
  const auto plain = run_step(backend, model, *cache_plain, {b1_plain});
  EXPECT_GT(max_relative_diff(plain[0], b_first[0]), 1e-3);
}

}  // namespace
}  // namespace fovea::model
