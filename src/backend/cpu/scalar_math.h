// Scalar math shared by the CPU op tables so that the reference and the fast paths agree on the formulas:
// activations as PyTorch evaluates them in fp32, rotary frequencies as HF computes them, ranking order for top-k.
// Must not contain loops over tensors.
#pragma once

#include <cmath>
#include <cstdint>

#include "backend/op_params.h"

namespace fovea::backend::cpu {

// silu(x) = x / (1 + exp(-x)) in fp32 (torch's CPU kernel formula).
inline float silu(float x) { return x / (1.0f + std::exp(-x)); }

inline float gelu_tanh(float x) {
  constexpr float kBeta = 0.7978845608028654f;  // sqrt(2 / pi)
  constexpr float kKappa = 0.044715f;
  const float inner = kBeta * (x + kKappa * (x * x * x));
  return 0.5f * x * (1.0f + std::tanh(inner));
}

inline float gelu_erf(float x) {
  constexpr float kSqrtHalf = 0.7071067811865476f;
  return x * 0.5f * (1.0f + std::erf(x * kSqrtHalf));
}

inline float gelu(GeluKind kind, float x) { return kind == GeluKind::kTanh ? gelu_tanh(x) : gelu_erf(x); }

// HF inverse frequency: 1 / theta^(2j / dim) with the exponent and the power in fp32.
inline float rope_inv_freq(float theta, int j, int dim) {
  const float exponent = static_cast<float>(2 * j) / static_cast<float>(dim);
  const float power = static_cast<float>(std::pow(static_cast<double>(theta), static_cast<double>(exponent)));
  return 1.0f / power;
}

// Axis (0 = t, 1 = h, 2 = w) of frequency j in Qwen3-VL's interleaved MRoPE.
inline int mrope_axis(int j, const RopeConfig& config) {
  if (j % 3 == 1 && j < 3 * config.mrope_section[1]) return 1;
  if (j % 3 == 2 && j < 3 * config.mrope_section[2]) return 2;
  return 0;
}

// Whether (a, a_idx) ranks before (b, b_idx) in top-k: NaN first, then larger values, then lower indices.
inline bool ranks_before(float a, int64_t a_idx, float b, int64_t b_idx) {
  const bool a_nan = std::isnan(a);
  const bool b_nan = std::isnan(b);
  if (a_nan != b_nan) return a_nan;
  if (!a_nan && a != b) return a > b;
  return a_idx < b_idx;
}

}  // namespace fovea::backend::cpu
