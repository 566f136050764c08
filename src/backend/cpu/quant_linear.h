// Ops::linear for quantized Weights on the CPU: the reference (dequantise each element, fp64 sums: the oracle) and
// the fast path (rows dequantised on the fly into fp32 blocks, then the dense GEMV kernels for few rows or
// OpenBLAS sgemm over dequantised panels for many). CpuOps::linear and ReferenceOps::linear dispatch here for
// every non-dense format. Must not contain model code.
#pragma once

#include "backend/cpu/cpu_ops.h"
#include "backend/cpu/workspace.h"
#include "backend/tensor.h"
#include "backend/weight.h"
#include "base/status.h"
#include "base/thread_pool.h"

namespace fovea::backend::cpu {

// y = x · dequant(W)ᵀ (+ bias): fp64 sums of exact fp32 products, one rounding to y's dtype.
base::Status quantized_linear_reference(const Tensor& x, const Weight& w, const Tensor* bias, const Tensor& y);

// The same contract with fp32 accumulation, threaded over `pool`, scratch from `workspace`.
base::Status quantized_linear_fast(base::ThreadPool& pool, Workspace& workspace, const CpuOpsOptions& options,
                                   const Tensor& x, const Weight& w, const Tensor* bias, const Tensor& y);

}  // namespace fovea::backend::cpu
