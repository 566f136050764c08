// CpuOps: the fast CPU op table. Multithreaded over base::ThreadPool; linear picks AVX512_BF16 kernels for bf16
// x and w where the CPU has them, else an AVX2 GEMV for few rows (decode) and OpenBLAS sgemm over converted
// weight panels for many (prefill); attention is an online-softmax
// kernel per (sequence, kv head, query tile). Every path is checked against ReferenceOps by tests/ops.
// One caller at a time (the engine loop): the pool and the scratch are shared. Must not contain model code.
#pragma once

#include <cstdint>
#include <functional>

#include "backend/cpu/workspace.h"
#include "backend/ops.h"
#include "base/thread_pool.h"

namespace fovea::backend::cpu {

enum class LinearPath : uint8_t {
  kAuto,      // GEMV for x rows <= gemv_max_rows (AVX2 when the CPU has it), else the BLAS GEMM
  kGemvAvx2,  // unsupported status on a CPU without AVX2/FMA/F16C
  kGemvPortable,
  kGemmBlas,
};

enum class SimdPath : uint8_t {
  kAuto,      // AVX2 when the CPU has it
  kPortable,  // portable kernels everywhere (tests)
};

struct CpuOpsOptions {
  LinearPath linear_path = LinearPath::kAuto;
  SimdPath simd_path = SimdPath::kAuto;  // attention inner loops
  int gemv_max_rows = 32;                // kAuto crossover from GEMV to GEMM (measured: tools/bench/backend)
  // kAuto with bf16 x and bf16 w on an AVX512_BF16 CPU: vdpbf16ps GEMV / GEMM (split at gemv_max_rows) instead.
  bool avx512_bf16 = true;
};

class CpuOps final : public Ops {
 public:
  CpuOps(base::ThreadPool& pool, CpuOpsOptions options);
  ~CpuOps() override;

  std::string_view name() const override { return "cpu"; }
  // Scratch growths so far; a warm loop of the same shapes must not add any (tests).
  int64_t num_workspace_growths() const { return workspace_.num_growths(); }

  base::Status embedding(Stream& stream, const Tensor& table, const Tensor& ids, const Tensor& out) override;
  base::Status embedding_range(Stream& stream, const Tensor& table, const Tensor& ids, VocabRange range,
                               const Tensor& out) override;
  base::Status scatter_rows(Stream& stream, const Tensor& src, const Tensor& row_indices, bool accumulate,
                            const Tensor& dst) override;
  base::Status convert(Stream& stream, const Tensor& x, const Tensor& out) override;
  base::Status linear(Stream& stream, const Tensor& x, const Weight& w, const Tensor* bias, const Tensor& y) override;
  base::Status rms_norm(Stream& stream, const Tensor& x, const Tensor& weight, float eps, const Tensor& out) override;
  base::Status layer_norm(Stream& stream, const Tensor& x, const Tensor& weight, const Tensor& bias, float eps,
                          const Tensor& out) override;
  base::Status rope_cos_sin(Stream& stream, const Tensor& positions, const RopeConfig& config, const Tensor& cos,
                            const Tensor& sin) override;
  base::Status rope_apply(Stream& stream, const Tensor& x, const Tensor& cos, const Tensor& sin,
                          RopeArithmetic arithmetic, const Tensor& out) override;
  base::Status kv_cache_write(Stream& stream, const Tensor& k, const Tensor& v, const Tensor& slot_mapping,
                              const PagedKvCache& cache) override;
  base::Status paged_attention(Stream& stream, const Tensor& q, const PagedKvCache& cache,
                               const PagedAttentionBatch& batch, float scale, const Tensor& out) override;
  base::Status segment_attention(Stream& stream, const Tensor& q, const Tensor& k, const Tensor& v,
                                 const SegmentBatch& segments, float scale, const Tensor& out) override;
  base::Status swiglu(Stream& stream, const Tensor& gate, const Tensor& up, const Tensor& out) override;
  base::Status gelu(Stream& stream, const Tensor& x, GeluKind kind, const Tensor& out) override;
  base::Status add(Stream& stream, const Tensor& a, const Tensor& b, const Tensor& out) override;
  base::Status softmax(Stream& stream, const Tensor& x, const Tensor& out) override;
  base::Status log_softmax(Stream& stream, const Tensor& x, const Tensor& out) override;
  base::Status top_k(Stream& stream, const Tensor& x, int k, const Tensor& values, const Tensor& indices) override;
  base::Status argmax(Stream& stream, const Tensor& x, const Tensor& out) override;

 private:
  base::Status linear_gemv(const Tensor& x, const Weight& w, const Tensor* bias, const Tensor& y, bool avx2);
  base::Status linear_gemm(const Tensor& x, const Weight& w, const Tensor* bias, const Tensor& y);
  base::Status linear_gemv_bf16(const Tensor& x, const Weight& w, const Tensor* bias, const Tensor& y);
  base::Status linear_gemm_bf16(const Tensor& x, const Weight& w, const Tensor* bias, const Tensor& y);
  // Runs fn(vector_begin, vector_end) over last-dim vectors, on the pool when there is enough work.
  void for_vectors(int64_t num_vectors, int64_t vector_numel, const std::function<void(int64_t, int64_t)>& fn);
  bool use_avx2() const;

  base::ThreadPool& pool_;  // not owned; the backend's
  CpuOpsOptions options_;
  Workspace workspace_;
};

}  // namespace fovea::backend::cpu
