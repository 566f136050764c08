// WeightFormatRules: for each weight format fovea plans for (bf16/fp16, compressed-tensors pack-/int-/float-quantized,
// AutoAWQ GEMM, GPTQ, FP8 block or per-tensor), which Linear modules a checkpoint quantizes (targets, ignore lists
// with "re:" patterns, modules_to_not_convert) and which tensors, of which shapes and dtypes, one Linear then holds
// (spec §6). The one place these byte rules live, so they can move to quant/ as they are. Must not contain
// tensor-parallel sharding or memory budgets.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "io/model_config.h"
#include "tensor/dtype.h"

namespace fovea::plan {

enum class WeightFormat {
  kDense,         // weight [N, K] in the model dtype
  kPackedInt,     // compressed-tensors pack-quantized: int32 words holding `bits`-bit values
  kIntQuantized,  // compressed-tensors int-quantized: one int8 per value
  kFloat8,        // FP8 e4m3 weights: Qwen's block-wise "fp8", compressed-tensors float-quantized, online FP8
  kAwqGemm,       // AutoAWQ GEMM: qweight [K, N*bits/32], packed along the output dimension
  kGptq,          // GPTQ: qweight [K*bits/32, N], packed along the input dimension
};

// How one Linear's weight is stored.
struct LinearScheme {
  WeightFormat format = WeightFormat::kDense;
  tensor::DType dense_dtype = tensor::DType::kBF16;  // unquantized weights and biases
  tensor::DType scale_dtype = tensor::DType::kBF16;  // quantization scales
  int64_t bits = 16;
  int64_t group_size = -1;          // grouped formats; -1 = one group spans the input dimension
  std::string strategy;             // "group", "channel", "tensor", "block" (quantized formats)
  bool symmetric = true;            // asymmetric formats store zero points
  bool has_g_idx = false;           // act-order group index per input column (GPTQ always, CT actorder group)
  std::vector<int64_t> block_size;  // FP8 block [out, in], e.g. [128, 128]
  bool static_input_scale = false;  // activation scale stored per Linear (static activation quantization)

  bool quantized() const { return format != WeightFormat::kDense; }
  // "int4 group 128 asymmetric (compressed-tensors pack-quantized)" and the like.
  std::string describe() const;
};

// One tensor of a Linear as stored: "weight_packed" int32 [N, K/8], ...
struct TensorBytes {
  std::string suffix;
  tensor::DType dtype = tensor::DType::kBF16;
  std::vector<int64_t> shape;
  uint64_t num_bytes = 0;
};

// The tensors a Linear with `out_features` x `in_features` weight holds in `scheme`, plus a bias of
// `bias_features` elements when that is > 0 (on a tensor-parallel rank, a row-parallel bias stays whole).
std::vector<TensorBytes> linear_tensors(const LinearScheme& scheme, int64_t out_features, int64_t in_features,
                                        int64_t bias_features);
uint64_t linear_bytes(const LinearScheme& scheme, int64_t out_features, int64_t in_features, int64_t bias_features);

// Why a tensor-parallel shard of a Linear cannot be stored in this scheme (vLLM refuses it): e.g. a row-parallel
// shard whose input width is not a multiple of the group size. Empty when it can.
std::string shard_problem(const LinearScheme& scheme, int64_t out_features_per_rank, int64_t in_features_per_rank,
                          bool row_parallel);

// Decides per Linear module which scheme applies, from config.json's quantization_config and --quantization.
class WeightFormatRules {
 public:
  // `quantization_flag` is --quantization (vLLM spelling) when given: it must agree with the checkpoint's method;
  // "fp8" on an unquantized checkpoint means quantizing to FP8 at load time (per-tensor scales).
  static base::Result<WeightFormatRules> from_config(const io::ModelConfig& config,
                                                     const std::optional<std::string>& quantization_flag);
  // The hypothetical 4-bit checkpoint suggestions compare with: int4 group 128 symmetric (compressed-tensors W4A16
  // or AutoAWQ-sized), decoder Linears only; vision tower, embeddings and lm_head kept in the model dtype.
  static WeightFormatRules int4_group128(const io::ModelConfig& config);

  // The scheme of the Linear module with this HF name ("model.language_model.layers.3.mlp.up_proj", "lm_head").
  LinearScheme scheme_for(std::string_view module_name, bool in_vision_tower) const;
  const LinearScheme& dense() const { return dense_; }
  // dtype of activations and of the "auto" KV cache: the model dtype (fp16 for AWQ/GPTQ checkpoints saved in fp16).
  tensor::DType activation_dtype() const { return dense_.dense_dtype; }
  // "fp8 block 128x128 (config.json)", "none (bfloat16)", ...
  const std::string& description() const { return description_; }
  // The smallest number of bits any Linear is stored with (16 for an unquantized checkpoint).
  int64_t min_bits() const;

 private:
  // How names in ignore lists match module names: compressed-tensors (exact, or "re:" + Python re.match);
  // transformers' modules_to_not_convert (a pattern matching from the start up to a module boundary, or a suffix);
  // vLLM's AWQ/GPTQ skip lists (a substring of the module name).
  enum class MatchStyle { kCompressedTensors, kBoundaryOrSuffix, kSubstring };
  struct NameRule;  // one entry of an ignore or target list, with its compiled pattern
  struct Group {
    std::vector<std::shared_ptr<const NameRule>> targets;  // empty: every Linear
    LinearScheme scheme;
  };

  bool matches_any(const std::vector<std::shared_ptr<const NameRule>>& rules, std::string_view module_name) const;

  LinearScheme dense_;
  std::vector<Group> groups_;  // first match wins, as compressed-tensors orders config_groups
  bool quantize_vision_ = true;
  bool quantize_lm_head_ = true;
  MatchStyle match_style_ = MatchStyle::kCompressedTensors;
  std::vector<std::shared_ptr<const NameRule>> ignore_;
  std::string description_;
};

}  // namespace fovea::plan
