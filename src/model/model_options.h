// ModelOptions: how a model is loaded (weight source, activation dtype) and the batch limits its preallocated
// workspaces are sized for. Must not contain loading code.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "io/vision_step_budget.h"
#include "tensor/dtype.h"

namespace fovea::backend {
class Communicator;
}  // namespace fovea::backend

namespace fovea::model {

enum class LoadFormat : uint8_t {
  kSafetensors,  // the checkpoint's model.safetensors (or shards + index)
  kDummy,        // seeded random weights of the right shapes, no checkpoint read (benchmarks)
};

// Limits of one decoder step; the text workspace is sized for them once.
struct TextLimits {
  int64_t max_num_batched_tokens = 2048;  // tokens of one step, all sequences together
  int64_t max_num_seqs = 256;             // sequences of one step (and rows of logits)
  int64_t max_blocks_per_seq = 2048;      // block-table width: ceil(max_model_len / block_size)
};

// How far weight loading has come, reported after each tensor or Linear module is on the device. With a checkpoint
// the progress is through the checkpoint: a tensor-parallel rank counts every stored tensor it has gone through at
// its full size, once, whatever part of it the rank keeps, so every rank ends at the bytes of the tensors the model
// uses (the checkpoint's total when it uses them all); device_bytes is what the rank holds.
struct LoadProgress {
  int64_t num_tensors_loaded = 0;  // checkpoint tensors gone through; dummy weights: tensors and Linears made
  uint64_t bytes_loaded = 0;       // their stored bytes; dummy weights: device_bytes
  int64_t num_tensors_total = 0;   // tensors in the checkpoint; 0 for dummy weights (not known up front)
  uint64_t bytes_total = 0;        // bytes of the checkpoint's tensors; 0 for dummy weights
  uint64_t device_bytes = 0;       // this rank's weights loaded so far (WeightLoader::weight_bytes)
};
// Called on the loading thread; it must be quick (it runs once per tensor).
using LoadProgressCallback = std::function<void(const LoadProgress&)>;

struct ModelOptions {
  tensor::DType activation_dtype = tensor::DType::kBF16;  // f32, bf16 or f16 (vision tower and decoder)
  LoadFormat load_format = LoadFormat::kSafetensors;
  uint64_t dummy_seed = 0;  // kDummy only
  // --quantization as given (vLLM's values; empty: the checkpoint's own method), checked against config.json's
  // quantization_config at load (quant::check_quantization_flag); "fp8" on an unquantized checkpoint quantizes its
  // Linears (not lm_head) to fp8 per tensor at load time, as vLLM does. Otherwise weights load in the checkpoint's format.
  std::string quantization;
  TextLimits text_limits;
  // Patches (pixel_values rows) of one vision-encoder call; 0 for a model without vision or when images are
  // never encoded (the vision workspace is then not allocated).
  int64_t max_vision_patches = io::kMaxVisionPatchesPerStep;
  LoadProgressCallback on_load_progress;  // empty: no progress reports
  // Tensor parallelism (docs/TENSOR_PARALLEL.md): this Model is rank `tp_rank` of `tp_size`; it loads only its
  // shard of every weight (io::TensorParallelLayout) and its decoder joins the other ranks through `communicator`.
  // Every call on a rank's Model is made on all ranks at once, one thread per rank, with the same host inputs.
  int tp_size = 1;
  int tp_rank = 0;
  // --mm-encoder-tp-mode: weights (true) shards the vision tower like the decoder; data (false) keeps it whole.
  bool shard_vision_weights = true;
  // Not owned; this rank's communicator (rank tp_rank of a world of tp_size). Required when tp_size > 1; with
  // tp_size 1 it may be null (no collective is made then).
  backend::Communicator* communicator = nullptr;
};

}  // namespace fovea::model
