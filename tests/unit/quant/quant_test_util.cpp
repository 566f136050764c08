// parse_config for the quant tests.
#include "quant_test_util.h"

#include <gtest/gtest.h>

namespace fovea::quant::testing {

io::QuantizationConfig parse_config(const std::string& json, bool assume_gptq) {
  base::Result<io::QuantizationConfig> config = io::parse_quantization_config(json, "config.json", assume_gptq);
  EXPECT_TRUE(config.ok()) << config.status().to_string();
  return config.ok() ? *config : io::QuantizationConfig{};
}

}  // namespace fovea::quant::testing
