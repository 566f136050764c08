// A `fovea bench-engine` step's least cost and the measured copy and GEMM limits (see bench_engine_limits.h). No model
// steps and no printing here.
#include "cli/bench_engine_limits.h"

#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "cli/bench_engine_clock.h"
#include "plan/model_layout.h"
#include "plan/weight_budget.h"
#include "tensor/float_convert.h"

namespace fovea::cli::bench_engine {

tensor::DType weight_dtype(const io::ModelConfig& config) {
  const std::string& dtype = config.dtype.empty() ? config.text_config.dtype : config.dtype;
  if (dtype == "float16") return tensor::DType::kF16;
  if (dtype == "float32") return tensor::DType::kF32;
  return tensor::DType::kBF16;
}

base::Status use_quantized_weight_bytes(const io::ModelConfig& config, int64_t tp, StepCost& cost) {
  if (!config.quantization_config) return base::Status();
  FOVEA_ASSIGN_OR_RETURN(plan::WeightFormatRules rules, plan::WeightFormatRules::from_config(config, std::nullopt));
  FOVEA_ASSIGN_OR_RETURN(plan::WeightBudget budget,
                         plan::weight_budget(plan::model_modules(config), rules, tp, plan::EncoderTpMode::kWeights));
  cost.layer_weight_bytes = static_cast<double>(budget.per_gpu[io::ModelComponent::kDecoderLayers]);
  const uint64_t lm_head = budget.per_gpu[io::ModelComponent::kLmHead];
  // Tied weights: the planner counts the matrix once, as the embedding, and the step reads it as lm_head.
  cost.lm_head_bytes = static_cast<double>(lm_head > 0 ? lm_head : budget.per_gpu[io::ModelComponent::kEmbeddings]);
  return base::Status();
}

StepCost step_cost(const io::ModelConfig& config, tensor::DType kv_dtype) {
  const io::TextConfig& text = config.text_config;
  const double hidden = static_cast<double>(text.hidden_size);
  const double q_width = static_cast<double>(text.num_attention_heads * text.head_dim);
  const double kv_width = static_cast<double>(text.num_key_value_heads * text.head_dim);
  const double inter = static_cast<double>(text.intermediate_size);
  const double layers = static_cast<double>(text.num_hidden_layers);
  const double vocab = static_cast<double>(text.vocab_size);
  const double weight_element = tensor::dtype_size_bytes(weight_dtype(config));
  // q, k, v, o; gate, up, down.
  const double linear_params = hidden * (q_width + 2 * kv_width) + q_width * hidden + 3 * hidden * inter;
  const double norm_params = 2 * hidden + 2 * static_cast<double>(text.head_dim);
  StepCost cost;
  cost.layer_weight_bytes = layers * (linear_params + norm_params) * weight_element;
  cost.lm_head_bytes = vocab * hidden * weight_element;
  cost.kv_bytes_per_token = layers * 2 * kv_width * tensor::dtype_size_bytes(kv_dtype);
  cost.linear_flops_per_token = 2 * layers * linear_params;
  cost.lm_head_flops_per_row = 2 * vocab * hidden;
  cost.attention_flops_per_pair = layers * 4 * q_width;
  return cost;
}

base::Result<double> measure_copy_bandwidth(backend::Backend& backend, uint64_t size_bytes, int iters) {
  constexpr int64_t kRowElements = 4096;
  const auto rows = static_cast<int64_t>(size_bytes / (kRowElements * 2));
  FOVEA_ASSIGN_OR_RETURN(std::unique_ptr<backend::Buffer> src_buffer, backend.allocate(size_bytes));
  FOVEA_ASSIGN_OR_RETURN(std::unique_ptr<backend::Buffer> dst_buffer, backend.allocate(size_bytes));
  const tensor::Shape shape({rows, kRowElements});
  const backend::Tensor src = backend::Tensor::on(*src_buffer, tensor::DType::kBF16, shape);
  const backend::Tensor dst = backend::Tensor::on(*dst_buffer, tensor::DType::kBF16, shape);
  backend::Stream& stream = backend.default_stream();
  for (int idx = 0; idx < 2; ++idx) FOVEA_RETURN_IF_ERROR(backend.copy(stream, src, dst));
  FOVEA_RETURN_IF_ERROR(backend.synchronize(stream));
  const auto start = Clock::now();
  for (int idx = 0; idx < iters; ++idx) FOVEA_RETURN_IF_ERROR(backend.copy(stream, src, dst));
  FOVEA_RETURN_IF_ERROR(backend.synchronize(stream));
  const double elapsed = seconds_since(start);
  return 2.0 * static_cast<double>(rows * kRowElements * 2) * iters / elapsed;
}

base::Result<double> measure_gemm_peak(backend::Backend& backend, int64_t size, tensor::DType dtype, int iters) {
  const tensor::Shape shape({size, size});
  const uint64_t bytes = static_cast<uint64_t>(size * size) * static_cast<uint64_t>(tensor::dtype_size_bytes(dtype));
  FOVEA_ASSIGN_OR_RETURN(std::unique_ptr<backend::Buffer> x_buffer, backend.allocate(bytes));
  FOVEA_ASSIGN_OR_RETURN(std::unique_ptr<backend::Buffer> w_buffer, backend.allocate(bytes));
  FOVEA_ASSIGN_OR_RETURN(std::unique_ptr<backend::Buffer> y_buffer, backend.allocate(bytes));
  const backend::Tensor x = backend::Tensor::on(*x_buffer, dtype, shape);
  backend::Weight w;
  w.values = backend::Tensor::on(*w_buffer, dtype, shape);
  const backend::Tensor y = backend::Tensor::on(*y_buffer, dtype, shape);
  // Random values in [-1, 1): zeros would flatter the tensor cores (less switching).
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  const auto numel = static_cast<size_t>(size * size);
  std::vector<uint16_t> half(dtype == tensor::DType::kF32 ? 0 : numel);
  std::vector<float> full(dtype == tensor::DType::kF32 ? numel : 0);
  for (size_t idx = 0; idx < numel; ++idx) {
    const float value = uniform(rng);
    if (dtype == tensor::DType::kF32) {
      full[idx] = value;
    } else {
      half[idx] = dtype == tensor::DType::kBF16 ? tensor::float_to_bf16(value) : tensor::float_to_f16(value);
    }
  }
  const void* host = dtype == tensor::DType::kF32 ? static_cast<const void*>(full.data()) : half.data();
  backend::Stream& stream = backend.default_stream();
  FOVEA_RETURN_IF_ERROR(backend.copy_from_host(stream, host, x));
  FOVEA_RETURN_IF_ERROR(backend.copy_from_host(stream, host, w.values));
  for (int idx = 0; idx < 3; ++idx) FOVEA_RETURN_IF_ERROR(backend.ops().linear(stream, x, w, nullptr, y));
  FOVEA_RETURN_IF_ERROR(backend.synchronize(stream));
  const auto start = Clock::now();
  for (int idx = 0; idx < iters; ++idx) FOVEA_RETURN_IF_ERROR(backend.ops().linear(stream, x, w, nullptr, y));
  FOVEA_RETURN_IF_ERROR(backend.synchronize(stream));
  const double elapsed = seconds_since(start);
  const auto n = static_cast<double>(size);
  return 2.0 * n * n * n * iters / elapsed;
}

}  // namespace fovea::cli::bench_engine
