// The quant golden data (tests/golden/quant/data, made by tools/golden/make_quant_goldens.py): the checkpoint names
// of its case files and a JSON reader, shared by the quant golden test files. Must not contain assertions.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace fovea::quant::testing {

inline const std::filesystem::path kQuantData = std::filesystem::path(FOVEA_SOURCE_DIR) / "tests/golden/quant/data";
inline const std::filesystem::path kModelData = std::filesystem::path(FOVEA_SOURCE_DIR) / "tests/golden/model/data";

// "awq-gemm", "ct-w4a16-sym", ... sorted: every cases/<name>.json.
inline std::vector<std::string> case_names() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(kQuantData / "cases")) {
    if (entry.path().extension() == ".json") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

inline nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

// gtest parameter names: "ct-w4a16-sym" -> "ct_w4a16_sym".
inline std::string param_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

}  // namespace fovea::quant::testing
