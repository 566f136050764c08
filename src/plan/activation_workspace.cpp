// Decoder and vision-tower workspace formulas (docs/PLAN.md "Activation workspace"). Every buffer is counted at
// the width one tensor-parallel rank holds; the attention and MLP halves of a layer share one region of the arena,
// activations are applied in place, and nothing else shares memory.
#include "plan/activation_workspace.h"

#include <algorithm>

#include "io/tensor_parallel_layout.h"
#include "io/vision_step_budget.h"

namespace fovea::plan {
namespace {

uint64_t u(int64_t value) { return static_cast<uint64_t>(std::max<int64_t>(value, 0)); }

}  // namespace

DecoderWorkspace decoder_workspace(const io::ModelConfig& config, int activation_bytes, int64_t tensor_parallel_size,
                                   int64_t max_num_batched_tokens, int64_t num_sampled_rows) {
  const io::TextConfig& text = config.text_config;
  const int64_t tp = std::max<int64_t>(tensor_parallel_size, 1);
  const uint64_t a = u(activation_bytes);
  const uint64_t hidden = u(text.hidden_size);
  const uint64_t q_heads = u(std::max<int64_t>(text.num_attention_heads / tp, 1));
  const uint64_t kv_heads = u(std::max<int64_t>(text.num_key_value_heads / tp, 1));
  const uint64_t head_dim = u(text.head_dim);
  const uint64_t inter = u(text.intermediate_size / tp);
  const uint64_t vocab = u(text.vocab_size);
  const uint64_t num_deepstack = config.vision_config ? config.vision_config->deepstack_visual_indexes.size() : 0;
  const uint64_t num_position_rows = config.has_vision() ? 3 : 1;  // MRoPE has t/h/w positions

  DecoderWorkspace workspace;
  // The attention half (q, k, v, attention output) and the MLP half (gate|up, SiLU(gate)*up) of a layer are not
  // live at once: the arena gives both the same bytes.
  const uint64_t attention_half = (q_heads + 2 * kv_heads) * head_dim + q_heads * head_dim;
  const uint64_t mlp_half = 2 * inter + inter;
  // Above tp 1 with a bf16/f16 activation, o_proj and down_proj also sum their partials in an fp32 [T, H] buffer
  // (the model's TextWorkspace::partial), rounded once into the activation-dtype one.
  workspace.fp32_partial_per_token = tp > 1 && a != 4 ? 4 * hidden : 0;
  workspace.per_token_bytes = a * (hidden                                         // input embeddings
                                   + hidden + hidden                              // residual stream, normed input
                                   + std::max(attention_half, mlp_half) + hidden  // o_proj / down_proj partial sums
                                   + num_deepstack * hidden)                      // DeepStack visual features
                              + workspace.fp32_partial_per_token                  // their fp32 sum (tp > 1, not f32)
                              + 8 * (num_position_rows + 1);                      // int64 positions and KV slot
  workspace.activations = workspace.per_token_bytes * u(max_num_batched_tokens);
  const uint64_t rows = u(num_sampled_rows);
  workspace.attention_scratch = rows * q_heads * (head_dim + 1) * 4 * u(kAttentionSplits);
  // f32 logits for the sampler, plus the activation-dtype logits: at tp 1 one [rows, vocab] matrix; above, the rank's
  // [rows, Vr] shard, the gathered [rows, tp * Vr] matrix and the gather's staging of the same size (model's
  // TextWorkspace), Vr being the vocabulary padded to 64 rows and split evenly.
  const uint64_t padded_vocab =
      (vocab + u(io::kVocabPaddingRows) - 1) / u(io::kVocabPaddingRows) * u(io::kVocabPaddingRows);
  const uint64_t vocab_per_rank = padded_vocab / u(tp);
  workspace.logits = rows * vocab * 4 + (tp == 1 ? rows * vocab * a : rows * vocab_per_rank * a * (1 + 2 * u(tp)));
  workspace.sampler = rows * vocab * (4 + 4 + 4);
  return workspace;
}

VisionWorkload vision_workload(const io::VisionConfig& vision, int64_t max_pixels, int64_t max_images_per_prompt,
                               int64_t max_model_len) {
  VisionWorkload workload;
  // The engine resizes bigger images down to what one encoder step holds.
  workload.max_pixels = std::min(max_pixels, io::vision_step_budget(vision, 0).max_pixels_per_image);
  const int64_t merge_area = vision.spatial_merge_size * vision.spatial_merge_size;
  const int64_t pixels_per_token = vision.patch_size * vision.patch_size * merge_area;
  if (pixels_per_token <= 0 || max_images_per_prompt <= 0 || workload.max_pixels <= 0) return workload;
  workload.max_tokens_per_image = std::max<int64_t>(workload.max_pixels / pixels_per_token, 1);
  const int64_t tokens_allowed = std::min(max_images_per_prompt, (int64_t{1} << 40) / workload.max_tokens_per_image) *
                                 workload.max_tokens_per_image;
  workload.num_tokens = std::min(tokens_allowed, std::max<int64_t>(max_model_len, 0));
  workload.num_images = (workload.num_tokens + workload.max_tokens_per_image - 1) / workload.max_tokens_per_image;
  workload.num_patches = workload.num_tokens * merge_area;
  return workload;
}

VisionWorkspace vision_workspace(const io::VisionConfig& vision, int activation_bytes, int64_t tensor_parallel_size,
                                 EncoderTpMode encoder_tp_mode, const VisionWorkload& workload,
                                 int64_t max_num_batched_tokens) {
  VisionWorkspace workspace;
  if (workload.num_patches <= 0) return workspace;
  const int64_t tp = std::max<int64_t>(tensor_parallel_size, 1);
  const bool sharded = encoder_tp_mode == EncoderTpMode::kWeights;
  const uint64_t shard = u(sharded ? tp : 1);
  const uint64_t a = u(activation_bytes);
  const uint64_t hidden = u(vision.hidden_size);
  const uint64_t inter = u(vision.intermediate_size);
  const uint64_t head_dim = u(vision.hidden_size / std::max<int64_t>(vision.num_heads, 1));
  const uint64_t merge_area = u(vision.spatial_merge_size * vision.spatial_merge_size);
  const uint64_t patch_values =
      u(vision.in_channels * vision.temporal_patch_size * vision.patch_size * vision.patch_size);
  const io::VisionStepBudget budget = io::vision_step_budget(vision, max_num_batched_tokens);

  // The engine allocates one encoder step's patches whatever the images; a request's images are encoded over as
  // many steps as they need. In data mode every GPU runs its own steps over its share of the images.
  const int64_t num_patches = budget.max_patches_per_step;
  workspace.num_patches = num_patches;
  const uint64_t attention_point = 3 * hidden / shard + hidden / shard;              // qkv, attention output
  const uint64_t mlp_point = inter / shard;                                          // fc1 output, GELU in place
  workspace.per_patch_bytes = a * (patch_values                                      // pixel rows
                                   + hidden + hidden                                 // residual stream, normed input
                                   + std::max(attention_point, mlp_point) + hidden)  // proj / fc2 partial sums
                              + 2 * head_dim * 4;                                    // rotary cos and sin, fp32
  const uint64_t num_merged = u(num_patches) / merge_area;
  const uint64_t merger_bytes = num_merged * a * (merge_area * hidden + merge_area * hidden / shard);
  // Weights mode above tp 1 with a bf16/f16 activation: the row-parallel partial sums in fp32, one buffer for the
  // blocks' [P, Hv] and the mergers' [M, out_hidden] (the model's VisionWorkspace::partial).
  workspace.fp32_partial =
      sharded && tp > 1 && a != 4 ? 4 * std::max(u(num_patches) * hidden, num_merged * u(vision.out_hidden_size)) : 0;
  workspace.transient = workspace.per_patch_bytes * u(num_patches) + merger_bytes + workspace.fp32_partial;
  // The encoder cache keeps image embeddings until the decoder's prefill has read them, on every GPU.
  workspace.encoder_output =
      u(budget.encoder_cache_tokens) * io::encoder_cache_bytes_per_token(vision, activation_bytes);
  return workspace;
}

}  // namespace fovea::plan
