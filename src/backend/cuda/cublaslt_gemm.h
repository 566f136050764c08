// CublasLtGemm: y = x · Wᵀ (+ bias) through cuBLASLt with fp32 accumulation, for x and W of one dtype (bf16, f16
// or f32 without TF32). Descriptors and the heuristic's algorithm are cached per shape, strides and alignment.
// Must not contain kernels or argument validation.
#pragma once

#include <cublasLt.h>
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "base/status.h"

namespace fovea::backend::cuda {

// Row-major operands as the op table has them; cuBLASLt sees the column-major transpose (Yᵀ = W · Xᵀ).
struct GemmProblem {
  cudaDataType_t ab_type = CUDA_R_16BF;  // x and W
  cudaDataType_t d_type = CUDA_R_16BF;   // y (and the bias, when there is one)
  int64_t m = 0;                         // rows of x and y
  int64_t n = 0;                         // rows of W, columns of y
  int64_t k = 0;
  const void* x = nullptr;  // [m, k], rows ld_x elements apart
  int64_t ld_x = 0;
  const void* w = nullptr;  // [n, k], rows ld_w elements apart
  int64_t ld_w = 0;
  void* y = nullptr;  // [m, n], rows ld_y elements apart
  int64_t ld_y = 0;
  const void* bias = nullptr;  // [n] of d_type, or null
};

class CublasLtGemm {
 public:
  // cuBLASLt's workspace for Hopper kernels (NVIDIA recommends 32 MiB).
  static constexpr size_t kWorkspaceBytes = size_t{32} << 20;

  static base::Result<std::unique_ptr<CublasLtGemm>> create();
  ~CublasLtGemm();
  CublasLtGemm(const CublasLtGemm&) = delete;
  CublasLtGemm& operator=(const CublasLtGemm&) = delete;

  // Enqueues the product on `stream`; kUnsupported when cuBLASLt offers no algorithm (the caller falls back).
  base::Status run(const GemmProblem& problem, cudaStream_t stream, void* workspace);

 private:
  struct Key {
    int ab_type;
    int d_type;
    int64_t m, n, k, ld_x, ld_w, ld_y;
    int align_x, align_w, align_y;
    bool bias;
    bool operator==(const Key& other) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& key) const;
  };
  struct Plan {
    cublasLtMatmulDesc_t desc = nullptr;
    cublasLtMatrixLayout_t a = nullptr;  // W as a column-major [k, n]
    cublasLtMatrixLayout_t b = nullptr;  // x as a column-major [k, m]
    cublasLtMatrixLayout_t d = nullptr;  // y as a column-major [n, m]
    cublasLtMatmulAlgo_t algo = {};
    bool has_algo = false;
  };

  explicit CublasLtGemm(cublasLtHandle_t handle) : handle_(handle) {}
  base::Result<Plan*> plan_for(const Key& key);
  static void destroy(Plan& plan);

  cublasLtHandle_t handle_;  // owned
  std::mutex mutex_;         // guards plans_ and the bias pointer set on a cached descriptor
  std::unordered_map<Key, Plan, KeyHash> plans_;
};

}  // namespace fovea::backend::cuda
