// CudaOps: validation and launch of gathers, conversions, linear, norms, rotary, activations, softmax and ranking.
// Attention and the KV cache are in cuda_attention_ops.cpp.
#include "backend/cuda/cuda_ops.h"

#include "backend/cuda/cuda_util.h"
#include "backend/cuda/device_views.h"
#include "backend/cuda/kernel_launch.h"
#include "backend/cuda/op_profiler.h"
#include "backend/cuda/quant_linear.h"
#include "backend/op_checks.h"

namespace fovea::backend::cuda {

base::Result<std::unique_ptr<CudaOps>> CudaOps::create(int device_index) {
  FOVEA_RETURN_IF_ERROR(use_device(device_index));
  int num_sms = 0;
  FOVEA_RETURN_IF_ERROR(cuda_status(cudaDeviceGetAttribute(&num_sms, cudaDevAttrMultiProcessorCount, device_index),
                                    "reading the multiprocessor count"));
  FOVEA_ASSIGN_OR_RETURN(std::unique_ptr<CublasLtGemm> gemm, CublasLtGemm::create());
  return std::unique_ptr<CudaOps>(new CudaOps(Device{DeviceKind::kCuda, device_index}, num_sms, std::move(gemm)));
}

base::Result<CudaStream*> CudaOps::cuda_stream(std::string_view op, Stream& stream) const {
  FOVEA_RETURN_IF_ERROR(check_stream(op, stream, device_));
  FOVEA_RETURN_IF_ERROR(use_device(device_.index));
  // Every stream of a CUDA device is made by CudaBackend, so it is a CudaStream.
  return static_cast<CudaStream*>(&stream);
}

base::Status CudaOps::embedding(Stream& stream, const Tensor& table, const Tensor& ids, const Tensor& out) {
  FOVEA_ASSIGN_OR_RETURN(CudaStream * s, cuda_stream("embedding", stream));
  const OpTimer timer(s->handle(), [&] { return profile_key("embedding", out); });
  FOVEA_RETURN_IF_ERROR(check_embedding(device_, table, ids, out));
  if (out.numel() == 0) return base::Status();
  return cuda_status(
      launch_embedding(device_view(table), device_pointer<const int32_t>(ids), device_view(out), s->handle()),
      "embedding");
}

base::Status CudaOps::embedding_range(Stream& stream, const Tensor& table, const Tensor& ids, VocabRange range,
                                      const Tensor& out) {
  FOVEA_ASSIGN_OR_RETURN(CudaStream * s, cuda_stream("embedding_range", stream));
  const OpTimer timer(s->handle(), [&] { return profile_key("embedding_range", out); });
  FOVEA_RETURN_IF_ERROR(check_embedding_range(device_, table, ids, range, out));
  if (out.numel() == 0) return base::Status();
  return cuda_status(launch_embedding_range(device_view(table), device_pointer<const int32_t>(ids), range.begin,
                                            range.count, device_view(out), s->handle()),
                     "embedding_range");
}

base::Status CudaOps::scatter_rows(Stream& stream, const Tensor& src, const Tensor& row_indices, bool accumulate,
                                   const Tensor& dst) {
  FOVEA_ASSIGN_OR_RETURN(CudaStream * s, cuda_stream("scatter_rows", stream));
  const OpTimer timer(s->handle(), [&] { return profile_key("scatter_rows", src); });
  FOVEA_RETURN_IF_ERROR(check_scatter_rows(device_, src, row_indices, dst));
  if (src.numel() == 0) return base::Status();
  return cuda_status(launch_scatter_rows(device_view(src), device_pointer<const int32_t>(row_indices), accumulate,
                                         device_view(dst), s->handle()),
                     "scatter_rows");
}

base::Status CudaOps::convert(Stream& stream, const Tensor& x, const Tensor& out) {
  FOVEA_ASSIGN_OR_RETURN(CudaStream * s, cuda_stream("convert", stream));
  const OpTimer timer(s->handle(), [&] { return profile_key("convert", x); });
  FOVEA_RETURN_IF_ERROR(check_convert(device_, x, out));
  if (x.numel() == 0) return base::Status();
  const bool collapse = all_packed({&x, &out});
  return cuda_status(
      launch_unary(UnaryKind::kConvert, elementwise_view(x, collapse), elementwise_view(out, collapse), s->handle()),
      "convert");
}

base::Status CudaOps::linear(Stream& stream, const Tensor& x, const Weight& w, const Tensor* bias, const Tensor& y) {
  FOVEA_ASSIGN_OR_RETURN(CudaStream * s, cuda_stream("linear", stream));
  const OpTimer timer(s->handle(), [&] { return linear_profile_key(x, w); });
  if (w.is_quantized()) return quantized_linear(*s, *gemm_, num_sms_, device_, x, w, bias, y);
  FOVEA_RETURN_IF_ERROR(check_linear(device_, x, w, bias, y));
  LinearArgs args;
  args.x = device_view(x);
  args.w = device_view(w.values);
  args.y = device_view(y);
  args.m = x.dim(0);
  args.n = w.out_features();
  args.k = x.dim(1);
  if (bias != nullptr) {
    args.bias = device_address(*bias);
    args.bias_type = elem_type(bias->dtype);
  }
  if (args.m == 0 || args.n == 0) return base::Status();
  if (args.k == 0) return cuda_status(launch_linear_epilogue(args, nullptr, s->handle()), "linear (bias only)");
  if (x.dtype == w.values.dtype) {
    GemmProblem problem;
    problem.ab_type = cuda_data_type(x.dtype);
    problem.m = args.m;
    problem.n = args.n;
    problem.k = args.k;
    problem.x = device_address(x);
    problem.ld_x = x.stride_rows();
    problem.w = device_address(w.values);
    problem.ld_w = w.values.stride_rows();
    // With a bf16/f16 output, cuBLASLt's bias epilogue rounds the product before adding the bias (measured on the
    // H100: NMSE ~8e-6 for bf16 against one rounding), so a bias goes through an fp32 product and our epilogue;
    // only an f32 bias into an f32 output uses the epilogue (fp32 throughout, one rounding either way).
    const bool direct = bias == nullptr || (y.dtype == tensor::DType::kF32 && bias->dtype == tensor::DType::kF32);
    const size_t product_bytes = direct ? 0 : static_cast<size_t>(args.m * args.n) * sizeof(float);
    FOVEA_ASSIGN_OR_RETURN(void* scratch, s->scratch(CublasLtGemm::kWorkspaceBytes + product_bytes));
    float* product = reinterpret_cast<float*>(static_cast<char*>(scratch) + CublasLtGemm::kWorkspaceBytes);
    if (direct) {
      problem.d_type = cuda_data_type(y.dtype);
      problem.y = device_address(y);
      problem.ld_y = y.stride_rows();
      problem.bias = bias != nullptr ? device_address(*bias) : nullptr;
    } else {
      problem.d_type = CUDA_R_32F;
      problem.y = product;
      problem.ld_y = args.n;
    }
    const base::Status status = gemm_->run(problem, s->handle(), scratch);
    if (status.ok()) {
      if (direct) return base::Status();
      return cuda_status(launch_linear_epilogue(args, product, s->handle()), "linear epilogue");
    }
    if (status.code() != base::StatusCode::kUnsupported) return status;
  }
  // x and W of different dtypes (or a layout cuBLASLt refused): the fp32 SIMT kernel.
  return cuda_status(launch_linear_simt(args, s->handle()), "linear");
}

base::Status CudaOps::rms_norm(Stream& stream, const Tensor& x, const Tensor& weight, float eps, const Tensor& out) {
  FOVEA_ASSIGN_OR_RETURN(CudaStream * s, cuda_stream("rms_norm", stream));
  const OpTimer timer(s->handle(), [&] { return profile_key("rms_norm", x); });
  FOVEA_RETURN_IF_ERROR(check_rms_norm(device_, x, weight, eps, out));
  if (x.numel() == 0) return base::Status();
  return cuda_status(
      launch_rms_norm(device_view(x), collapsed_view(weight), eps, x.last_dim(), device_view(out), s->handle()),
      "rms_norm");
}

base::Status CudaOps::layer_norm(Stream& stream, const Tensor& x, const Tensor& weight, const Tensor& bias, float eps,
                                 const Tensor& out) {
  FOVEA_ASSIGN_OR_RETURN(CudaStream * s, cuda_stream("layer_norm", stream));
  const OpTimer timer(s->handle(), [&] { return profile_key("layer_norm", x); });
  FOVEA_RETURN_IF_ERROR(check_layer_norm(device_, x, weight, bias, eps, out));
  if (x.numel() == 0) return base::Status();
  return cuda_status(launch_layer_norm(device_view(x), collapsed_view(weight), collapsed_view(bias), eps,
                                       device_view(out), s->handle()),
                     "layer_norm");
}

base::Status CudaOps::rope_cos_sin(Stream& stream, const Tensor& positions, const RopeConfig& config, const Tensor& cos,
                                   const Tensor& sin) {
  FOVEA_ASSIGN_OR_RETURN(CudaStream * s, cuda_stream("rope_cos_sin", stream));
  const OpTimer timer(s->handle(), [&] { return profile_key("rope_cos_sin", cos); });
  FOVEA_RETURN_IF_ERROR(check_rope_cos_sin(device_, positions, config, cos, sin));
  RopeCosSinArgs args;
  args.positions = device_pointer<const int32_t>(positions);
  args.axis_stride = positions.rank() == 2 ? positions.stride_rows() : 0;
  args.kind = static_cast<int>(config.kind);
  args.theta = config.theta;
  args.rotary_dim = config.rotary_dim;
  for (int axis = 0; axis < 3; ++axis) args.mrope_section[axis] = config.mrope_section[static_cast<size_t>(axis)];
  args.num_tokens = cos.dim(0);
  args.cos = device_view(cos);
  args.sin = device_view(sin);
  if (args.num_tokens == 0) return base::Status();
  return cuda_status(launch_rope_cos_sin(args, s->handle()), "rope_cos_sin");
}

base::Status CudaOps::rope_apply(Stream& stream, const Tensor& x, const Tensor& cos, const Tensor& sin,
                                 RopeArithmetic arithmetic, const Tensor& out) {
  FOVEA_ASSIGN_OR_RETURN(CudaStream * s, cuda_stream("rope_apply", stream));
  const OpTimer timer(s->handle(), [&] { return profile_key("rope_apply", x); });
  FOVEA_RETURN_IF_ERROR(check_rope_apply(device_, x, cos, sin, out));
  if (x.numel() == 0) return base::Status();
  RopeApplyArgs args;
  args.x = device_view(x);
  args.cos = device_view(cos);
  args.sin = device_view(sin);
  args.out = device_view(out);
  args.num_heads = static_cast<int>(x.dim(1));
  args.head_dim = static_cast<int>(x.dim(2));
  args.fp32_arithmetic = arithmetic == RopeArithmetic::kFloat32;
  return cuda_status(launch_rope_apply(args, s->handle()), "rope_apply");
}

base::Status CudaOps::swiglu(Stream& stream, const Tensor& gate, const Tensor& up, const Tensor& out) {
  FOVEA_ASSIGN_OR_RETURN(CudaStream * s, cuda_stream("swiglu", stream));
  const OpTimer timer(s->handle(), [&] { return profile_key("swiglu", gate); });
  FOVEA_RETURN_IF_ERROR(check_swiglu(device_, gate, up, out));
  if (gate.numel() == 0) return base::Status();
  const bool collapse = all_packed({&gate, &up, &out});
  return cuda_status(launch_swiglu(elementwise_view(gate, collapse), elementwise_view(up, collapse),
                                   elementwise_view(out, collapse), s->handle()),
                     "swiglu");
}

base::Status CudaOps::gelu(Stream& stream, const Tensor& x, GeluKind kind, const Tensor& out) {
  FOVEA_ASSIGN_OR_RETURN(CudaStream * s, cuda_stream("gelu", stream));
  const OpTimer timer(s->handle(), [&] { return profile_key("gelu", x); });
  FOVEA_RETURN_IF_ERROR(check_unary("gelu", device_, x, out));
  if (x.numel() == 0) return base::Status();
  const bool collapse = all_packed({&x, &out});
  const UnaryKind unary = kind == GeluKind::kTanh ? UnaryKind::kGeluTanh : UnaryKind::kGeluErf;
  return cuda_status(launch_unary(unary, elementwise_view(x, collapse), elementwise_view(out, collapse), s->handle()),
                     "gelu");
}

base::Status CudaOps::add(Stream& stream, const Tensor& a, const Tensor& b, const Tensor& out) {
  FOVEA_ASSIGN_OR_RETURN(CudaStream * s, cuda_stream("add", stream));
  const OpTimer timer(s->handle(), [&] { return profile_key("add", a); });
  FOVEA_RETURN_IF_ERROR(check_add(device_, a, b, out));
  if (a.numel() == 0) return base::Status();
  const bool broadcast = b.shape != a.shape;
  const bool collapse = all_packed({&a, &b, &out});
  return cuda_status(
      launch_add(elementwise_view(a, collapse), broadcast ? collapsed_view(b) : elementwise_view(b, collapse),
                 broadcast ? a.last_dim() : 0, elementwise_view(out, collapse), s->handle()),
      "add");
}

base::Status CudaOps::softmax(Stream& stream, const Tensor& x, const Tensor& out) {
  FOVEA_ASSIGN_OR_RETURN(CudaStream * s, cuda_stream("softmax", stream));
  const OpTimer timer(s->handle(), [&] { return profile_key("softmax", x); });
  FOVEA_RETURN_IF_ERROR(check_softmax("softmax", device_, x, out));
  if (x.numel() == 0) return base::Status();
  return cuda_status(launch_softmax(device_view(x), false, device_view(out), s->handle()), "softmax");
}

base::Status CudaOps::log_softmax(Stream& stream, const Tensor& x, const Tensor& out) {
  FOVEA_ASSIGN_OR_RETURN(CudaStream * s, cuda_stream("log_softmax", stream));
  const OpTimer timer(s->handle(), [&] { return profile_key("log_softmax", x); });
  FOVEA_RETURN_IF_ERROR(check_softmax("log_softmax", device_, x, out));
  if (x.numel() == 0) return base::Status();
  return cuda_status(launch_softmax(device_view(x), true, device_view(out), s->handle()), "log_softmax");
}

base::Status CudaOps::top_k(Stream& stream, const Tensor& x, int k, const Tensor& values, const Tensor& indices) {
  FOVEA_ASSIGN_OR_RETURN(CudaStream * s, cuda_stream("top_k", stream));
  const OpTimer timer(s->handle(), [&] { return profile_key("top_k", x); });
  FOVEA_RETURN_IF_ERROR(check_top_k(device_, x, k, values, indices));
  if (x.dim(0) == 0) return base::Status();
  const size_t workspace_bytes = top_k_workspace_bytes(x.dim(0), x.dim(1), k);
  void* workspace = nullptr;
  if (workspace_bytes > 0) {
    FOVEA_ASSIGN_OR_RETURN(workspace, s->scratch(workspace_bytes));
  }
  return cuda_status(launch_top_k(device_view(x), k, device_view(values), device_view(indices), workspace,
                                  workspace_bytes, s->handle()),
                     "top_k");
}

base::Status CudaOps::argmax(Stream& stream, const Tensor& x, const Tensor& out) {
  FOVEA_ASSIGN_OR_RETURN(CudaStream * s, cuda_stream("argmax", stream));
  const OpTimer timer(s->handle(), [&] { return profile_key("argmax", x); });
  FOVEA_RETURN_IF_ERROR(check_argmax(device_, x, out));
  if (x.dim(0) == 0) return base::Status();
  return cuda_status(launch_argmax(device_view(x), device_pointer<int32_t>(out), s->handle()), "argmax");
}

}  // namespace fovea::backend::cuda
