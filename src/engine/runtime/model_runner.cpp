// ModelRunner: one scheduler step as a vision-encoder pass (new images only) and one decoder forward over the
// step's varlen batch. Must not contain scheduling or sampling decisions.
#include "engine/runtime/model_runner.h"

#include <algorithm>
#include <chrono>

#include "model/arena_carver.h"
#include "model/mrope_positions.h"

namespace fovea::engine {

ModelRunner::ModelRunner(backend::Backend& backend, model::Model& model, model::KvCache cache,
                         ModelRunnerOptions options)
    : backend_(&backend), model_(&model), cache_(std::move(cache)), copy_logits_(options.copy_logits) {
  // Pure decode steps (every sequence one token, no image rows) replay a CUDA graph per batch-size bucket.
  model.decoder().set_decode_graph_mode(options.enforce_eager ? model::DecodeGraphMode::kOff
                                                              : model::DecodeGraphMode::kGraphs);
}

void ModelRunner::add_prompt(const std::string& request_id, std::shared_ptr<const ProcessedPrompt> prompt) {
  prompts_[request_id] = std::move(prompt);
}

void ModelRunner::remove_prompt(const std::string& request_id) { prompts_.erase(request_id); }

const ProcessedPrompt* ModelRunner::prompt_of(const Request& request) const {
  auto found = prompts_.find(request.request_id);
  return found == prompts_.end() ? nullptr : found->second.get();
}

int32_t ModelRunner::position(const ProcessedPrompt& prompt, int64_t axis, int64_t token_idx) const {
  const auto num_prompt_tokens = static_cast<int64_t>(prompt.token_ids.size());
  if (prompt.mrope_positions.empty()) return static_cast<int32_t>(token_idx);
  if (token_idx < num_prompt_tokens) {
    return prompt.mrope_positions[static_cast<size_t>(axis * num_prompt_tokens + token_idx)];
  }
  return static_cast<int32_t>(model::mrope_decode_position(token_idx, prompt.rope_delta));
}

base::Status ModelRunner::encode_new_images(const SchedulerOutput& output, RunnerOutput& result) {
  struct NewImage {
    const PromptImage* image;
    const std::string* request_id;
  };
  std::vector<NewImage> new_images;
  for (const ScheduledSequence& scheduled : output.scheduled) {
    if (scheduled.encoder_input_idxs.empty()) continue;
    const ProcessedPrompt* prompt = prompt_of(*scheduled.request);
    if (prompt == nullptr)
      return base::internal_error("request {} has no registered prompt", scheduled.request->request_id);
    for (int32_t input_idx : scheduled.encoder_input_idxs) {
      const PromptImage& image = prompt->images.at(static_cast<size_t>(input_idx));
      const bool seen = embeddings_.contains(image.content_hash) ||
                        std::any_of(new_images.begin(), new_images.end(), [&](const NewImage& other) {
                          return other.image->content_hash == image.content_hash;
                        });
      if (!seen) new_images.push_back({&image, &scheduled.request->request_id});
    }
    result.vision_encoder_s.try_emplace(scheduled.request->request_id, 0.0);
  }
  if (new_images.empty()) return base::Status();
  model::VisionEncoder* encoder = model_->vision_encoder();
  if (encoder == nullptr) return base::internal_error("an image was scheduled but the model has no vision encoder");
  const auto start = std::chrono::steady_clock::now();
  const tensor::DType act = model_->decoder().activation_dtype();
  std::vector<model::VisionImage> inputs;
  std::vector<model::VisionOutput> outputs;
  std::vector<ImageEmbeddings> entries;
  int64_t total_patches = 0;
  for (const NewImage& item : new_images) {
    const PromptImage& image = *item.image;
    const model::VisionGrid grid{image.pixels.grid_thw[0], image.pixels.grid_thw[1], image.pixels.grid_thw[2]};
    const tensor::Shape shape({encoder->num_tokens(grid), encoder->out_hidden_size()});
    model::ArenaCarver measure;
    for (int64_t k = 0; k <= encoder->num_deepstack(); ++k) measure.take(act, shape);
    ImageEmbeddings entry;
    FOVEA_ASSIGN_OR_RETURN(entry.buffer, backend_->allocate(measure.used_bytes()));
    model::ArenaCarver carver(entry.buffer.get());
    entry.embeds = carver.take(act, shape);
    for (int64_t k = 0; k < encoder->num_deepstack(); ++k) entry.deepstack.push_back(carver.take(act, shape));
    inputs.push_back({image.pixels.pixel_values, grid});
    outputs.push_back({entry.embeds, entry.deepstack});
    entries.push_back(std::move(entry));
    total_patches += grid.num_patches();
  }
  FOVEA_RETURN_IF_ERROR(encoder->encode_each(inputs, outputs));
  FOVEA_RETURN_IF_ERROR(backend_->synchronize(backend_->default_stream()));
  const double elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (size_t image_idx = 0; image_idx < new_images.size(); ++image_idx) {
    // Each request is charged the share of the pass its images' patches took.
    const double share = static_cast<double>(inputs[image_idx].grid.num_patches()) /
                         static_cast<double>(std::max<int64_t>(total_patches, 1));
    result.vision_encoder_s[*new_images[image_idx].request_id] += elapsed_s * share;
    embeddings_[new_images[image_idx].image->content_hash] = std::move(entries[image_idx]);
  }
  return base::Status();
}

base::Result<RunnerOutput> ModelRunner::execute(const SchedulerOutput& output) {
  for (const ContentHash& hash : output.evicted_encoder_hashes) embeddings_.erase(hash);
  RunnerOutput result;
  if (output.scheduled.empty()) return result;

  // Vision encoder for the images this step reaches first.
  FOVEA_RETURN_IF_ERROR(encode_new_images(output, result));

  const bool mrope = model_->decoder().uses_mrope();
  const int64_t num_tokens = output.num_scheduled_tokens;
  const int64_t block_size = cache_.block_size;
  size_t blocks_per_seq = 1;
  for (const ScheduledSequence& scheduled : output.scheduled) {
    blocks_per_seq = std::max(blocks_per_seq, scheduled.block_ids.size());
  }
  token_ids_.clear();
  positions_.assign(static_cast<size_t>((mrope ? 3 : 1) * num_tokens), 0);
  slot_mapping_.clear();
  query_start_loc_.assign(1, 0);
  seq_lens_.clear();
  block_tables_.assign(output.scheduled.size() * blocks_per_seq, 0);
  logits_rows_.clear();
  model::DecoderStep step;
  int max_query_len = 0;
  int max_seq_len = 0;

  for (size_t seq_idx = 0; seq_idx < output.scheduled.size(); ++seq_idx) {
    const ScheduledSequence& scheduled = output.scheduled[seq_idx];
    const ProcessedPrompt* prompt = prompt_of(*scheduled.request);
    if (prompt == nullptr) return base::internal_error("request {} has no registered prompt", scheduled.request->request_id);
    const int64_t first_row = static_cast<int64_t>(token_ids_.size());
    const int64_t begin = scheduled.num_computed_tokens;
    const int64_t end = begin + scheduled.num_new_tokens;
    for (int64_t token_idx = begin; token_idx < end; ++token_idx) {
      const int64_t row = first_row + token_idx - begin;
      token_ids_.push_back(scheduled.token_ids[static_cast<size_t>(token_idx - begin)]);
      for (int64_t axis = 0; axis < (mrope ? 3 : 1); ++axis) {
        positions_[static_cast<size_t>(axis * num_tokens + row)] = position(*prompt, axis, token_idx);
      }
      const int32_t block_id = scheduled.block_ids[static_cast<size_t>(token_idx / block_size)];
      slot_mapping_.push_back(static_cast<int32_t>(block_id * block_size + token_idx % block_size));
    }
    query_start_loc_.push_back(static_cast<int32_t>(token_ids_.size()));
    seq_lens_.push_back(static_cast<int32_t>(end));
    std::copy(scheduled.block_ids.begin(), scheduled.block_ids.end(),
              block_tables_.begin() + static_cast<std::ptrdiff_t>(seq_idx * blocks_per_seq));
    max_query_len = std::max(max_query_len, static_cast<int>(scheduled.num_new_tokens));
    max_seq_len = std::max(max_seq_len, static_cast<int>(end));
    if (scheduled.samples) {
      logits_rows_.push_back(static_cast<int32_t>(first_row + scheduled.num_new_tokens - 1));
      result.seq_ids.push_back(scheduled.seq_id);
    }
    // The rows of each image this chunk covers.
    for (const PromptImage& image : prompt->images) {
      const int64_t overlap_begin = std::max(begin, image.placeholder_start_idx);
      const int64_t overlap_end = std::min(end, image.placeholder_start_idx + image.num_placeholder_tokens);
      if (overlap_begin >= overlap_end) continue;
      auto found = embeddings_.find(image.content_hash);
      if (found == embeddings_.end()) {
        return base::internal_error("image placeholders of request {} were scheduled without their embeddings",
                                    scheduled.request->request_id);
      }
      const int64_t rows_begin = overlap_begin - image.placeholder_start_idx;
      model::VisualRows rows;
      rows.embeds = found->second.embeds.slice_rows(rows_begin, overlap_end - overlap_begin);
      for (const backend::Tensor& extra : found->second.deepstack) {
        rows.deepstack.push_back(extra.slice_rows(rows_begin, overlap_end - overlap_begin));
      }
      rows.first_row = first_row + overlap_begin - begin;
      step.visual.push_back(std::move(rows));
    }
  }

  step.token_ids = token_ids_;
  step.positions = positions_;
  step.slot_mapping = slot_mapping_;
  step.query_start_loc = query_start_loc_;
  step.seq_lens = seq_lens_;
  step.block_tables = block_tables_;
  step.blocks_per_seq = static_cast<int64_t>(blocks_per_seq);
  step.max_query_len = max_query_len;
  step.max_seq_len = max_seq_len;
  step.logits_rows = logits_rows_;
  FOVEA_ASSIGN_OR_RETURN(backend::Tensor logits, model_->decoder().forward(step, cache_));
  result.vocab_size = model_->config().text_config.vocab_size;
  backend::Stream& stream = backend_->default_stream();
  if (!copy_logits_) {
    // The step must have finished (and its collectives with it) before the rank reports it done.
    FOVEA_RETURN_IF_ERROR(backend_->synchronize(stream));
    return result;
  }
  result.logits.resize(static_cast<size_t>(logits.numel()));
  if (!result.logits.empty()) {
    FOVEA_RETURN_IF_ERROR(backend_->copy_to_host(stream, logits, result.logits.data()));
    FOVEA_RETURN_IF_ERROR(backend_->synchronize(stream));
  }
  return result;
}

}  // namespace fovea::engine
