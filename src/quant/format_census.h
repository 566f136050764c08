// FormatCensus: per model component (vision tower, decoder layers, ...), which storage formats its tensors use and
// how many bytes each takes ("compressed-tensors int4 group 32 symmetric: 196 linears, 12.3 MiB"), from tensor names,
// dtypes and the quantization config alone (no tensor data is read). What `fovea inspect` reports.
// Must not read tensor data.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "io/model_config.h"
#include "io/parameter_census.h"
#include "io/weight_table.h"

namespace fovea::quant {

struct FormatBytes {
  std::string format;        // "dense BF16", "compressed-tensors int4 group 32 symmetric", "unreadable: <why>"
  uint64_t num_linears = 0;  // Linear modules stored this way (0 for norms, biases, embeddings' own entries)
  uint64_t num_tensors = 0;
  uint64_t bytes = 0;
};

struct FormatCensus {
  std::array<std::vector<FormatBytes>, io::kNumModelComponents> components;  // by io::ModelComponent, sorted by format

  const std::vector<FormatBytes>& operator[](io::ModelComponent component) const {
    return components[static_cast<size_t>(component)];
  }
};

FormatCensus census_formats(const io::WeightTable& table, const io::ModelConfig& config);

}  // namespace fovea::quant
