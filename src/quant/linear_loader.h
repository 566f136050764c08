// quant::load_linear: the one call model code makes to build a Linear layer's Weight from a checkpoint, whatever
// its storage: dense weights load in their own dtype (used in place from the mapping on the CPU), quantized ones are
// detected per module, checked and repacked once into backend::Weight's layout. Must not contain kernels.
#pragma once

#include <string_view>

#include "backend/backend.h"
#include "backend/weight.h"
#include "base/status.h"
#include "io/model_config.h"
#include "io/weight_table.h"
#include "quant/repacked_linear.h"
#include "quant/tensor_lookup.h"

namespace fovea::quant {

// The Weight of Linear `module_name` (e.g. "model.language_model.layers.0.self_attn.q_proj"; the bias, if any, is
// the separate dense tensor "<module>.bias"). The Weight keeps its buffers alive (Weight::storage); on the CPU,
// dense and compressed-tensors/FP8 codes are read in place from the table's mapping, which must outlive it.
// Errors name the tensor and say what is wrong (missing scales or zero points, wrong shapes, bad group sizes,
// formats that contradict quantization_config, unsupported bit widths).
base::Result<backend::Weight> load_linear(const io::WeightTable& table, std::string_view module_name,
                                          const io::ModelConfig& config, backend::Backend& backend);

// The same over any TensorLookup (tests, fuzzer), with the quantization config alone (nullptr: unquantized).
base::Result<backend::Weight> load_linear(const TensorLookup& lookup, std::string_view module_name,
                                          const io::QuantizationConfig* config, backend::Backend& backend);

// `--quantization fp8` on an unquantized checkpoint: the dense "<module>.weight" quantized at load time to fp8
// with one scale per tensor (quantize_fp8_per_tensor), as vLLM's online FP8 does.
base::Result<backend::Weight> load_linear_fp8_online(const TensorLookup& lookup, std::string_view module_name,
                                                     backend::Backend& backend);

// The repacked host form of a quantized Linear (NotFound-free: the module must be quantized; a dense module is an
// InvalidArgument). What load_linear places on the device.
base::Result<RepackedLinear> read_quantized_linear(const TensorLookup& lookup, std::string_view module_name,
                                                   const io::QuantizationConfig* config);

// Places a repacked linear on `backend` (codes wrapped in place on the CPU where the layout allows it).
base::Result<backend::Weight> place_linear(const RepackedLinear& linear, backend::Backend& backend);

}  // namespace fovea::quant
