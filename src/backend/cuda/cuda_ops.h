// CudaOps: the op table on one CUDA card. Each op validates its arguments on the host with op_checks (the same
// refusals as the CPU backend), turns the views into kernel arguments and enqueues the kernel on the stream;
// it never synchronises. Values on the device (ids, slots, block tables) cannot be checked without a sync: the
// kernels skip or zero what falls outside (docs/CUDA.md). Must not contain kernels (*.cu) or memory management.
#pragma once

#include <memory>

#include "backend/cuda/cublaslt_gemm.h"
#include "backend/cuda/cuda_stream.h"
#include "backend/ops.h"
#include "base/status.h"

namespace fovea::backend::cuda {

class CudaOps final : public Ops {
 public:
  static base::Result<std::unique_ptr<CudaOps>> create(int device_index);

  std::string_view name() const override { return "cuda"; }

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
  CudaOps(Device device, int num_sms, std::unique_ptr<CublasLtGemm> gemm)
      : device_(device), num_sms_(num_sms), gemm_(std::move(gemm)) {}

  // The CUDA stream of `stream` after checking that it belongs to this card (and making the card current).
  base::Result<CudaStream*> cuda_stream(std::string_view op, Stream& stream) const;

  Device device_;
  int num_sms_;                         // multiprocessors: sizes split-KV attention
  std::unique_ptr<CublasLtGemm> gemm_;  // bf16/f16/f32 products
};

}  // namespace fovea::backend::cuda
