// Activation workspace of one GPU: the decoder's buffers for the largest step (max-num-batched-tokens tokens, up to
// max-num-seqs sampled rows) and the vision tower's for the largest allowed images of one request, as a C++ engine
// that allocates its buffers once for the largest step would hold them. Formulas in docs/PLAN.md. Must not contain
// weights, KV cache or runtime overheads.
#pragma once

#include <cstdint>

#include "io/model_config.h"
#include "plan/plan_options.h"

namespace fovea::plan {

// Flash-decoding splits of one sequence's keys whose partial outputs the attention kernel keeps (fp32 + LSE).
inline constexpr int64_t kAttentionSplits = 16;

struct DecoderWorkspace {
  uint64_t per_token_bytes = 0;  // activations per batched token (embeddings through the MLP), this rank's shards;
                                 // at tp > 1 with a bf16/f16 activation also the fp32 o_proj / down_proj partial
  uint64_t fp32_partial_per_token = 0;  // that fp32 partial's share of per_token_bytes (0 at tp 1 or with f32)
  uint64_t activations = 0;             // per_token_bytes x max_num_batched_tokens
  uint64_t attention_scratch = 0;       // split-KV partial outputs for every sampled row
  uint64_t logits = 0;                  // this rank's lm_head rows (activation dtype) + gathered fp32 logits
  uint64_t sampler = 0;                 // fp32 probabilities and the top-k/top-p sort (values fp32, indices int32)

  uint64_t total() const { return activations + attention_scratch + logits + sampler; }
};

// `num_sampled_rows` is min(max_num_seqs, max_num_batched_tokens): one row per running sequence at most.
DecoderWorkspace decoder_workspace(const io::ModelConfig& config, int activation_bytes, int64_t tensor_parallel_size,
                                   int64_t max_num_batched_tokens, int64_t num_sampled_rows);

// The images one request may carry, bounded by both --limit-mm-per-prompt and max-model-len (image tokens are
// prompt tokens).
struct VisionWorkload {
  int64_t max_pixels = 0;            // pixel ceiling of one image (bigger ones are resized down to it)
  int64_t max_tokens_per_image = 0;  // LLM tokens of the largest image: max_pixels / (patch x merge)^2
  int64_t num_images = 0;            // images of that size one request can hold
  int64_t num_tokens = 0;            // LLM tokens of all of them (at most max_model_len)
  int64_t num_patches = 0;           // vision-tower patches: num_tokens x merge^2
};
VisionWorkload vision_workload(const io::VisionConfig& vision, int64_t max_pixels, int64_t max_images_per_prompt,
                               int64_t max_model_len);

struct VisionWorkspace {
  int64_t num_patches = 0;      // patches one encoder step holds on this GPU (io::vision_step_budget)
  uint64_t transient = 0;       // buffers of the tower's largest point (a block's attention or MLP, the mergers),
                                // and the fp32 partial sums of weights mode at tp > 1 with a bf16/f16 activation
  uint64_t fp32_partial = 0;    // those partial sums' share of transient (0 otherwise)
  uint64_t encoder_output = 0;  // the encoder cache: image embeddings (main + DeepStack) kept for the decoder

  uint64_t per_patch_bytes = 0;  // transient bytes per patch (without the mergers), for the docs and tests
};
// The engine encodes images in steps of io::vision_step_budget's patches (each image its own attention segment) and
// keeps their embeddings in its encoder cache; this is what it allocates for both.
VisionWorkspace vision_workspace(const io::VisionConfig& vision, int activation_bytes, int64_t tensor_parallel_size,
                                 EncoderTpMode encoder_tp_mode, const VisionWorkload& workload,
                                 int64_t max_num_batched_tokens);

}  // namespace fovea::plan
