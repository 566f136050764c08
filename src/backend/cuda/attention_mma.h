// Tensor-core attention (mma.sync m16n8k16, bf16/f16 operands, fp32 accumulation) over the paged KV cache and over
// vision segments: which calls it takes, how many key splits, and its launch. attention_kernels.cu owns the choice
// between it and the SIMT kernel, the split-KV workspace and the merge of the splits.
// Must not contain kernels or validation.
#pragma once

#include <cuda_runtime_api.h>

#include "backend/cuda/kernel_args.h"

namespace fovea::backend::cuda {

// True when the call fits the tensor-core kernel: bf16/f16 activations, a cache of the same dtype or FP8 e4m3,
// head_dim a multiple of 8 (16 with FP8) up to 128, 16-byte aligned rows.
bool attention_mma_applies(const AttentionArgs& args);

// Key splits for a paged call (1 for segments): enough blocks to fill the GPU, at least 256 keys per split.
int attention_mma_num_splits(const AttentionArgs& args, int num_sms);

// num_splits > 1 writes unnormalised partial sums to part_acc [splits, T, nh, hd] f32 and (max, sum) pairs to
// part_ml [splits, T, nh, 2] f32 for the merge kernel; 1 writes `out` directly.
cudaError_t launch_attention_mma(const AttentionArgs& args, int num_splits, float* part_acc, float* part_ml,
                                 cudaStream_t stream);

}  // namespace fovea::backend::cuda
