// SequenceRunner: one sequence's steps built the way the engine's model runner will build them.
#include "sequence_runner.h"

#include <algorithm>

#include "model/arena_carver.h"

namespace fovea::model::testing {

base::Result<std::unique_ptr<SequenceRunner>> SequenceRunner::create(
    backend::Backend& backend, Model& model, std::vector<int32_t> prompt_ids,
    const std::vector<vision::PreprocessedImage>& images, int64_t max_new_tokens, int64_t block_size) {
  std::unique_ptr<SequenceRunner> runner(new SequenceRunner(backend, model));
  const io::ModelConfig& config = model.config();
  runner->tokens_ = std::move(prompt_ids);
  runner->num_prompt_tokens_ = static_cast<int64_t>(runner->tokens_.size());
  const int64_t num_tokens = runner->num_prompt_tokens_;

  // Placeholder runs, one per image, in order.
  size_t image_idx = 0;
  for (int64_t idx = 0; idx < num_tokens;) {
    if (!config.has_vision() || runner->tokens_[static_cast<size_t>(idx)] != config.image_token_id) {
      ++idx;
      continue;
    }
    int64_t end = idx;
    while (end < num_tokens && runner->tokens_[static_cast<size_t>(end)] == config.image_token_id) ++end;
    if (image_idx >= images.size()) return base::invalid_argument("more placeholder runs than images");
    const auto& grid = images[image_idx].grid_thw;
    VisualSegment segment{idx, grid[0], grid[1], grid[2]};
    if (segment_num_tokens(segment, config.vision_config->spatial_merge_size) != end - idx) {
      return base::invalid_argument("image {} has {} placeholders for grid [{}, {}, {}]", image_idx, end - idx, grid[0],
                                    grid[1], grid[2]);
    }
    runner->segments_.push_back(segment);
    ++image_idx;
    idx = end;
  }
  if (image_idx != images.size()) return base::invalid_argument("fewer placeholder runs than images");

  if (!images.empty()) {
    VisionEncoder* encoder = model.vision_encoder();
    if (encoder == nullptr) return base::invalid_argument("the model has no vision encoder");
    int64_t total_tokens = 0;
    std::vector<VisionImage> inputs;
    for (const vision::PreprocessedImage& image : images) {
      VisionGrid grid{image.grid_thw[0], image.grid_thw[1], image.grid_thw[2]};
      total_tokens += encoder->num_tokens(grid);
      inputs.push_back({image.pixel_values, grid});
    }
    const tensor::DType act = model.decoder().activation_dtype();
    const tensor::Shape shape({total_tokens, encoder->out_hidden_size()});
    ArenaCarver measure;
    for (int64_t k = 0; k <= encoder->num_deepstack(); ++k) measure.take(act, shape);
    FOVEA_ASSIGN_OR_RETURN(runner->vision_buffer_, backend.allocate(measure.used_bytes()));
    ArenaCarver carver(runner->vision_buffer_.get());
    runner->embeds_ = carver.take(act, shape);
    for (int64_t k = 0; k < encoder->num_deepstack(); ++k) runner->deepstack_.push_back(carver.take(act, shape));
    FOVEA_RETURN_IF_ERROR(encoder->encode(inputs, runner->embeds_, runner->deepstack_));
  }

  if (config.type == io::ModelType::kQwen3Vl) {
    FOVEA_ASSIGN_OR_RETURN(MropePositions positions, compute_mrope_positions(num_tokens, runner->segments_,
                                                                             config.vision_config->spatial_merge_size));
    runner->prompt_positions_ = std::move(positions.positions);
    runner->rope_delta_ = positions.rope_delta;
  }

  const int64_t num_blocks = (num_tokens + max_new_tokens + block_size - 1) / block_size;
  FOVEA_ASSIGN_OR_RETURN(runner->cache_,
                         model.allocate_kv_cache(num_blocks, block_size, model.decoder().activation_dtype()));
  for (int64_t block_idx = 0; block_idx < num_blocks; ++block_idx) {
    runner->block_table_.push_back(static_cast<int32_t>(block_idx));
  }
  return runner;
}

int32_t SequenceRunner::position(int64_t axis, int64_t token_idx) const {
  if (prompt_positions_.empty()) return static_cast<int32_t>(token_idx);
  if (token_idx < num_prompt_tokens_) {
    return prompt_positions_[static_cast<size_t>(axis * num_prompt_tokens_ + token_idx)];
  }
  return static_cast<int32_t>(mrope_decode_position(token_idx, rope_delta_));
}

base::Result<std::vector<float>> SequenceRunner::run_chunk(int64_t begin, int64_t end) {
  const int64_t count = end - begin;
  const bool mrope = model_->decoder().uses_mrope();
  std::vector<int32_t> ids(tokens_.begin() + begin, tokens_.begin() + end);
  std::vector<int32_t> positions;
  for (int64_t axis = 0; axis < (mrope ? 3 : 1); ++axis) {
    for (int64_t idx = begin; idx < end; ++idx) positions.push_back(position(axis, idx));
  }
  std::vector<int32_t> slots;
  for (int64_t idx = begin; idx < end; ++idx) slots.push_back(static_cast<int32_t>(idx));
  const std::vector<int32_t> query_start_loc = {0, static_cast<int32_t>(count)};
  const std::vector<int32_t> seq_lens = {static_cast<int32_t>(end)};
  const std::vector<int32_t> logits_rows = {static_cast<int32_t>(count - 1)};

  DecoderStep step;
  step.token_ids = ids;
  step.positions = positions;
  step.slot_mapping = slots;
  step.query_start_loc = query_start_loc;
  step.seq_lens = seq_lens;
  step.block_tables = block_table_;
  step.blocks_per_seq = static_cast<int64_t>(block_table_.size());
  step.max_query_len = static_cast<int>(count);
  step.max_seq_len = static_cast<int>(end);
  step.logits_rows = logits_rows;
  // The part of each image's rows that falls into this chunk.
  int64_t image_row = 0;
  for (const VisualSegment& segment : segments_) {
    const int64_t length = segment_num_tokens(segment, model_->config().vision_config->spatial_merge_size);
    const int64_t overlap_begin = std::max(begin, segment.start_idx);
    const int64_t overlap_end = std::min(end, segment.start_idx + length);
    if (overlap_begin < overlap_end) {
      const int64_t rows_begin = image_row + overlap_begin - segment.start_idx;
      VisualRows rows;
      rows.embeds = embeds_.slice_rows(rows_begin, overlap_end - overlap_begin);
      for (const backend::Tensor& extra : deepstack_) {
        rows.deepstack.push_back(extra.slice_rows(rows_begin, overlap_end - overlap_begin));
      }
      rows.first_row = overlap_begin - begin;
      step.visual.push_back(std::move(rows));
    }
    image_row += length;
  }

  FOVEA_ASSIGN_OR_RETURN(backend::Tensor logits, model_->decoder().forward(step, cache_));
  std::vector<float> host(static_cast<size_t>(logits.numel()));
  backend::Stream& stream = backend_->default_stream();
  FOVEA_RETURN_IF_ERROR(backend_->copy_to_host(stream, logits, host.data()));
  FOVEA_RETURN_IF_ERROR(backend_->synchronize(stream));
  return host;
}

base::Result<std::vector<float>> SequenceRunner::prefill(int64_t chunk_tokens) {
  std::vector<float> logits;
  for (int64_t begin = 0; begin < num_prompt_tokens_; begin += chunk_tokens) {
    FOVEA_ASSIGN_OR_RETURN(logits, run_chunk(begin, std::min(num_prompt_tokens_, begin + chunk_tokens)));
  }
  return logits;
}

base::Result<std::vector<float>> SequenceRunner::decode(int32_t token) {
  tokens_.push_back(token);
  const auto idx = static_cast<int64_t>(tokens_.size()) - 1;
  return run_chunk(idx, idx + 1);
}

}  // namespace fovea::model::testing
