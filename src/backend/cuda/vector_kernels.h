// The 16-byte paths of the hot per-token ops for bf16/f16 (rms_norm, rope_apply, swiglu, add, kv_cache_write):
// each thread moves 8 elements per load, with the element math of the scalar kernels (the same results bit for
// bit; rms_norm sums its squares in another order). The scalar launchers call them when `vector_view_ok` holds for
// every operand. Must not contain validation.
#pragma once

#include <cuda_runtime_api.h>

#include "backend/cuda/kernel_args.h"

namespace fovea::backend::cuda {

// bf16 or f16, 16-byte aligned start, rows of a multiple of 8 elements that start 8 elements apart; always false
// when the environment sets FOVEA_CUDA_SCALAR_OPS=1 (A/B timing against the scalar kernels, or a way around the
// 16-byte paths should one ever be suspected).
bool vector_view_ok(const DeviceView& v);

cudaError_t launch_swiglu_vector(const DeviceView& gate, const DeviceView& up, const DeviceView& out,
                                 cudaStream_t stream);
cudaError_t launch_add_vector(const DeviceView& a, const DeviceView& b, const DeviceView& out, cudaStream_t stream);
// x, out: rows of vectors of `dim` elements (dim a multiple of 8, at most 8192); weight: packed [dim], x's dtype.
cudaError_t launch_rms_norm_vector(const DeviceView& x, const DeviceView& weight, float eps, int64_t dim,
                                   const DeviceView& out, cudaStream_t stream);
// head_dim / 2 a multiple of 8; cos/sin f32 rows 16-byte aligned.
cudaError_t launch_rope_apply_vector(const RopeApplyArgs& args, cudaStream_t stream);
// Caches of the activation dtype (not FP8).
cudaError_t launch_kv_cache_write_vector(const KvWriteArgs& args, cudaStream_t stream);

}  // namespace fovea::backend::cuda
