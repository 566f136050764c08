// The kernel launchers of the CUDA op table: one function per kernel family, defined in the *.cu files, called
// by CudaOps after validation. Each enqueues on `stream` and returns the launch error (cudaGetLastError).
// Must not contain validation (op_checks does that) or host allocation.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "backend/cuda/kernel_args.h"

namespace fovea::backend::cuda {

// elementwise_kernels.cu
cudaError_t launch_embedding(const DeviceView& table, const int32_t* ids, const DeviceView& out, cudaStream_t stream);
// Ids in [vocab_begin, vocab_begin + vocab_count) read row id - vocab_begin; others write zeros.
cudaError_t launch_embedding_range(const DeviceView& table, const int32_t* ids, int64_t vocab_begin,
                                   int64_t vocab_count, const DeviceView& out, cudaStream_t stream);
cudaError_t launch_scatter_rows(const DeviceView& src, const int32_t* row_indices, bool accumulate,
                                const DeviceView& dst, cudaStream_t stream);
// out = f(x) element by element (x and out share the row structure).
cudaError_t launch_unary(UnaryKind kind, const DeviceView& x, const DeviceView& out, cudaStream_t stream);
cudaError_t launch_swiglu(const DeviceView& gate, const DeviceView& up, const DeviceView& out, cudaStream_t stream);
// out = a + b; broadcast_dim > 0: b is a packed [broadcast_dim] vector repeated along each row.
cudaError_t launch_add(const DeviceView& a, const DeviceView& b, int64_t broadcast_dim, const DeviceView& out,
                       cudaStream_t stream);
cudaError_t launch_rope_cos_sin(const RopeCosSinArgs& args, cudaStream_t stream);
cudaError_t launch_rope_apply(const RopeApplyArgs& args, cudaStream_t stream);
cudaError_t launch_kv_cache_write(const KvWriteArgs& args, cudaStream_t stream);

// norm_kernels.cu: x rows hold vectors_per_row vectors of `dim` elements each.
cudaError_t launch_rms_norm(const DeviceView& x, const DeviceView& weight, float eps, int64_t dim,
                            const DeviceView& out, cudaStream_t stream);
cudaError_t launch_layer_norm(const DeviceView& x, const DeviceView& weight, const DeviceView& bias, float eps,
                              const DeviceView& out, cudaStream_t stream);

// reduce_kernels.cu
cudaError_t launch_softmax(const DeviceView& x, bool log, const DeviceView& out, cudaStream_t stream);
cudaError_t launch_argmax(const DeviceView& x, int32_t* out, cudaStream_t stream);

// top_k_kernels.cu: k <= kTopKSmallMax runs in one block per row; larger k sorts whole rows in `workspace`.
constexpr int kTopKSmallMax = 1024;
size_t top_k_workspace_bytes(int64_t num_rows, int64_t num_cols, int k);
cudaError_t launch_top_k(const DeviceView& x, int k, const DeviceView& values, const DeviceView& indices,
                         void* workspace, size_t workspace_bytes, cudaStream_t stream);

// attention_kernels.cu
constexpr int kAttentionMaxHeadDim = 256;
int attention_num_splits(const AttentionArgs& args, int num_sms);
size_t attention_workspace_bytes(const AttentionArgs& args, int num_splits);
cudaError_t launch_attention(const AttentionArgs& args, int num_splits, void* workspace, cudaStream_t stream);

// linear_kernels.cu
cudaError_t launch_linear_simt(const LinearArgs& args, cudaStream_t stream);
// y = round(acc + bias) where acc is a packed [M, N] f32 product, or zero when acc is null (K == 0).
cudaError_t launch_linear_epilogue(const LinearArgs& args, const float* acc, cudaStream_t stream);

}  // namespace fovea::backend::cuda
