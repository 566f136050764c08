// Helpers for the vision unit tests: reading the golden image fixtures as raw bytes.
#pragma once

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace fovea::vision::testing_files {

inline std::string vision_data_dir() { return std::string(FOVEA_SOURCE_DIR) + "/tests/golden/vision/data/"; }

inline std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline std::vector<uint8_t> read_image(const std::string& name) {
  return read_bytes(vision_data_dir() + "images/" + name);
}

}  // namespace fovea::vision::testing_files
