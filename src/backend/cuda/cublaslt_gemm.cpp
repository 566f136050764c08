// CublasLtGemm: plan cache (descriptors + heuristic algorithm) and the cublasLtMatmul call.
#include "backend/cuda/cublaslt_gemm.h"

#include <bit>
#include <functional>

#include "backend/cuda/cuda_util.h"

namespace fovea::backend::cuda {
namespace {

// Largest power of two (up to 256) dividing the address: what the heuristic may assume about a pointer.
int alignment_bytes(const void* pointer) {
  const auto address = reinterpret_cast<uintptr_t>(pointer);
  if (address == 0) return 256;
  const int low_bit = std::countr_zero(address);
  return low_bit >= 8 ? 256 : 1 << low_bit;
}

template <typename T>
cublasStatus_t set_desc(cublasLtMatmulDesc_t desc, cublasLtMatmulDescAttributes_t attribute, const T& value) {
  return cublasLtMatmulDescSetAttribute(desc, attribute, &value, sizeof(value));
}

template <typename T>
cublasStatus_t set_pref(cublasLtMatmulPreference_t pref, cublasLtMatmulPreferenceAttributes_t attribute,
                        const T& value) {
  return cublasLtMatmulPreferenceSetAttribute(pref, attribute, &value, sizeof(value));
}

}  // namespace

size_t CublasLtGemm::KeyHash::operator()(const Key& key) const {
  size_t hash = std::hash<int64_t>()(key.m);
  const auto mix = [&](int64_t value) {
    hash ^= std::hash<int64_t>()(value) + 0x9e3779b97f4a7c15ull + (hash << 6) + (hash >> 2);
  };
  for (int64_t value : {int64_t{key.ab_type}, int64_t{key.d_type}, key.n, key.k, key.ld_x, key.ld_w, key.ld_y,
                        int64_t{key.align_x}, int64_t{key.align_w}, int64_t{key.align_y}, int64_t{key.bias}}) {
    mix(value);
  }
  return hash;
}

base::Result<std::unique_ptr<CublasLtGemm>> CublasLtGemm::create() {
  cublasLtHandle_t handle = nullptr;
  FOVEA_RETURN_IF_ERROR(cublas_status(cublasLtCreate(&handle), "creating the cuBLASLt handle"));
  return std::unique_ptr<CublasLtGemm>(new CublasLtGemm(handle));
}

CublasLtGemm::~CublasLtGemm() {
  for (auto& [key, plan] : plans_) destroy(plan);
  cublasLtDestroy(handle_);
}

void CublasLtGemm::destroy(Plan& plan) {
  if (plan.a != nullptr) cublasLtMatrixLayoutDestroy(plan.a);
  if (plan.b != nullptr) cublasLtMatrixLayoutDestroy(plan.b);
  if (plan.d != nullptr) cublasLtMatrixLayoutDestroy(plan.d);
  if (plan.desc != nullptr) cublasLtMatmulDescDestroy(plan.desc);
  plan = Plan{};
}

base::Result<CublasLtGemm::Plan*> CublasLtGemm::plan_for(const Key& key) {
  auto found = plans_.find(key);
  if (found != plans_.end()) return &found->second;
  Plan plan;
  const auto ab_type = static_cast<cudaDataType_t>(key.ab_type);
  const auto d_type = static_cast<cudaDataType_t>(key.d_type);
  // fp32 accumulation; for f32 operands CUBLAS_COMPUTE_32F is true fp32 (no TF32).
  cublasStatus_t status = cublasLtMatmulDescCreate(&plan.desc, CUBLAS_COMPUTE_32F, CUDA_R_32F);
  const cublasOperation_t transpose = CUBLAS_OP_T;
  const cublasOperation_t no_transpose = CUBLAS_OP_N;
  if (status == CUBLAS_STATUS_SUCCESS) status = set_desc(plan.desc, CUBLASLT_MATMUL_DESC_TRANSA, transpose);
  if (status == CUBLAS_STATUS_SUCCESS) status = set_desc(plan.desc, CUBLASLT_MATMUL_DESC_TRANSB, no_transpose);
  if (status == CUBLAS_STATUS_SUCCESS && key.bias) {
    status = set_desc(plan.desc, CUBLASLT_MATMUL_DESC_EPILOGUE, CUBLASLT_EPILOGUE_BIAS);
    if (status == CUBLAS_STATUS_SUCCESS) status = set_desc(plan.desc, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, d_type);
  }
  if (status == CUBLAS_STATUS_SUCCESS) {
    status = cublasLtMatrixLayoutCreate(&plan.a, ab_type, static_cast<uint64_t>(key.k), static_cast<uint64_t>(key.n),
                                        key.ld_w);
  }
  if (status == CUBLAS_STATUS_SUCCESS) {
    status = cublasLtMatrixLayoutCreate(&plan.b, ab_type, static_cast<uint64_t>(key.k), static_cast<uint64_t>(key.m),
                                        key.ld_x);
  }
  if (status == CUBLAS_STATUS_SUCCESS) {
    status = cublasLtMatrixLayoutCreate(&plan.d, d_type, static_cast<uint64_t>(key.n), static_cast<uint64_t>(key.m),
                                        key.ld_y);
  }
  cublasLtMatmulPreference_t pref = nullptr;
  if (status == CUBLAS_STATUS_SUCCESS) status = cublasLtMatmulPreferenceCreate(&pref);
  if (status == CUBLAS_STATUS_SUCCESS) {
    status = set_pref(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, static_cast<uint64_t>(kWorkspaceBytes));
  }
  const uint32_t align_x = static_cast<uint32_t>(key.align_x);
  const uint32_t align_w = static_cast<uint32_t>(key.align_w);
  const uint32_t align_y = static_cast<uint32_t>(key.align_y);
  if (status == CUBLAS_STATUS_SUCCESS) status = set_pref(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, align_w);
  if (status == CUBLAS_STATUS_SUCCESS) status = set_pref(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, align_x);
  if (status == CUBLAS_STATUS_SUCCESS) status = set_pref(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, align_y);
  if (status == CUBLAS_STATUS_SUCCESS) status = set_pref(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, align_y);
  // Split-K only with fp32 partial sums: the in-place and output-type schemes add the parts in y's dtype, which
  // would round a bf16 output several times instead of once.
  const uint32_t reduction_mask = CUBLASLT_REDUCTION_SCHEME_COMPUTE_TYPE;
  if (status == CUBLAS_STATUS_SUCCESS) {
    status = set_pref(pref, CUBLASLT_MATMUL_PREF_REDUCTION_SCHEME_MASK, reduction_mask);
  }
  if (status == CUBLAS_STATUS_SUCCESS) {
    cublasLtMatmulHeuristicResult_t result = {};
    int num_results = 0;
    const cublasStatus_t heuristic = cublasLtMatmulAlgoGetHeuristic(handle_, plan.desc, plan.a, plan.b, plan.d, plan.d,
                                                                    pref, 1, &result, &num_results);
    // No algorithm is not an error: the plan remembers it and the caller takes the SIMT kernel.
    if (heuristic == CUBLAS_STATUS_SUCCESS && num_results > 0) {
      plan.algo = result.algo;
      plan.has_algo = true;
    }
  }
  if (pref != nullptr) cublasLtMatmulPreferenceDestroy(pref);
  if (status != CUBLAS_STATUS_SUCCESS) {
    destroy(plan);
    return cublas_status(status, "setting up a cuBLASLt matmul");
  }
  return &plans_.emplace(key, plan).first->second;
}

base::Status CublasLtGemm::run(const GemmProblem& problem, cudaStream_t stream, void* workspace) {
  const Key key{static_cast<int>(problem.ab_type),
                static_cast<int>(problem.d_type),
                problem.m,
                problem.n,
                problem.k,
                problem.ld_x,
                problem.ld_w,
                problem.ld_y,
                alignment_bytes(problem.x),
                alignment_bytes(problem.w),
                alignment_bytes(problem.y),
                problem.bias != nullptr};
  std::lock_guard<std::mutex> lock(mutex_);
  FOVEA_ASSIGN_OR_RETURN(Plan * plan, plan_for(key));
  if (!plan->has_algo) return base::unsupported("cuBLASLt has no algorithm for this linear");
  if (problem.bias != nullptr) {
    FOVEA_RETURN_IF_ERROR(
        cublas_status(set_desc(plan->desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, problem.bias), "setting the bias"));
  }
  const float alpha = 1.0f;
  const float beta = 0.0f;
  const cublasStatus_t status =
      cublasLtMatmul(handle_, plan->desc, &alpha, problem.w, plan->a, problem.x, plan->b, &beta, problem.y, plan->d,
                     problem.y, plan->d, &plan->algo, workspace, kWorkspaceBytes, stream);
  if (status == CUBLAS_STATUS_NOT_SUPPORTED) {
    plan->has_algo = false;  // remember, and let the caller fall back from now on
    return base::unsupported("cuBLASLt refused the algorithm its heuristic chose for this linear");
  }
  return cublas_status(status, "cublasLtMatmul");
}

}  // namespace fovea::backend::cuda
