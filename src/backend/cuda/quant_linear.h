// Ops::linear for quantized Weights (int4 / int8 / fp8, docs/QUANT.md) on a CUDA card: host validation (the CPU's
// refusals, except column_order values, which live on the device), then for int4 with bf16 x and bf16 dequant the
// one-launch decode kernel up to 16 rows and the tensor-core kernel up to kInt4MmaLinearRows x rows, else the fused
// dequantising GEMV up to kQuantGemvPassRows rows, or for more rows weight tiles dequantised into stream scratch and
// multiplied by cuBLASLt. CudaOps::linear hands every non-dense Weight here. Must not contain kernels or memory
// management.
#pragma once

#include <cstdint>

#include "backend/cuda/cublaslt_gemm.h"
#include "backend/cuda/cuda_stream.h"
#include "backend/device.h"
#include "backend/tensor.h"
#include "backend/weight.h"
#include "base/status.h"

namespace fovea::backend::cuda {

// x rows up to which the GEMV (one launch per 8 rows, each reading the codes once) beats dequantise + GEMM.
constexpr int64_t kQuantGemvPassRows = 16;

// x rows up to which the int4 tensor-core kernel (one launch per 64 rows, each reading the codes once) beats
// dequantise + cuBLASLt over a 32B layer's Linears (H100, docs/CUDA.md: 2 passes win at 128 rows, 4 lose at 256).
constexpr int64_t kInt4MmaLinearRows = 128;

// Which kernels int4 (bf16 x, groups of 128) takes, so that the timing test can time them side by side; kAuto (the
// default) is the choice measured fastest per batch size and shape (docs/CUDA.md). Process-wide; not for serving.
enum class Int4Kernel : uint8_t {
  kAuto,    // up to 16 rows: the decode kernel where its 16-row blocks fit one wave (N <= 16 x SMs), else kMma
  kGemv,    // the older GEMV / dequantise kernels, no tensor cores
  kMma,     // the x-fragment tensor-core kernel (+ split-K) at every decode size
  kStream,  // the one-launch decode kernel at every size up to 16 rows
};
void set_int4_kernel(Int4Kernel kernel);

// y = x · dequant(W)ᵀ (+ bias): each weight rounded to its dequant dtype as the CPU reference does, fp32 sums,
// one rounding to y's dtype (x's, or none into an f32 y for a bf16/f16 x; split-K partials are added in fp32).
// Enqueues on `stream`; never synchronises.
base::Status quantized_linear(CudaStream& stream, CublasLtGemm& gemm, int num_sms, Device device, const Tensor& x,
                              const Weight& w, const Tensor* bias, const Tensor& y);

}  // namespace fovea::backend::cuda
