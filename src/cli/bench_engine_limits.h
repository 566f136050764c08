// What a `fovea bench-engine` step must at least read or compute (from config.json and the planner's weight-format
// rules) and the two limits measured on the device to turn that into tok/s: copy bandwidth and GEMM peak. No model
// steps and no printing here.
#pragma once

#include <cstdint>

#include "backend/backend.h"
#include "base/status.h"
#include "io/model_config.h"
#include "tensor/dtype.h"

namespace fovea::cli::bench_engine {

// What one step must at least read or compute, from config.json (dense decoder layers).
struct StepCost {
  double layer_weight_bytes = 0;  // every decoder layer's linear maps and norms
  double lm_head_bytes = 0;
  double kv_bytes_per_token = 0;        // K and V of one cached token, all layers
  double linear_flops_per_token = 0;    // 2 x the decoder layers' linear weights
  double lm_head_flops_per_row = 0;     // 2 x vocab x hidden
  double attention_flops_per_pair = 0;  // Q.K and P.V of one (query, key) pair, all heads and layers

  // Bytes a decode step of `batch` sequences, each attending over `context` tokens, reads at least.
  double decode_bytes(int64_t batch, double context) const {
    return layer_weight_bytes + lm_head_bytes + static_cast<double>(batch) * context * kv_bytes_per_token;
  }
  // FLOPs of one causal prefill of `tokens` tokens with the logits of the last one.
  double prefill_flops(int64_t tokens) const {
    const auto n = static_cast<double>(tokens);
    return n * linear_flops_per_token + lm_head_flops_per_row + attention_flops_per_pair * n * (n + 1) / 2;
  }
};

// The checkpoint dtype config.json names (what dummy weights are made in); bf16 when absent, as the loader does.
tensor::DType weight_dtype(const io::ModelConfig& config);

StepCost step_cost(const io::ModelConfig& config, tensor::DType kv_dtype);

// A quantized checkpoint's step reads its packed codes, scales and zeros, not the dense dtype's bytes: take one rank's
// decoder and lm_head bytes from the planner's per-format rules (checked against published checkpoints).
base::Status use_quantized_weight_bytes(const io::ModelConfig& config, int64_t tp, StepCost& cost);

// Device-to-device copy rate, bytes read plus bytes written per second (the convention of performance-goals.md).
base::Result<double> measure_copy_bandwidth(backend::Backend& backend, uint64_t size_bytes, int iters);

// A square GEMM y = x W^T of `size` in the activation dtype on random data, through the backend's linear op (cuBLASLt
// on the GPU): FLOP/s.
base::Result<double> measure_gemm_peak(backend::Backend& backend, int64_t size, tensor::DType dtype, int iters);

}  // namespace fovea::cli::bench_engine
