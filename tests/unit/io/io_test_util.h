// Helpers for io tests: a temporary folder, file writing, safetensors bytes built from a header, and the fixture
// folders made by tools/golden/make_model_folders.py with their expectations. Must not contain test cases.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <span>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "base/status.h"

namespace fovea::io::testing {

inline std::string fixtures_dir() { return std::string(FOVEA_SOURCE_DIR) + "/tests/data/models"; }
inline std::string fixture(const std::string& name) { return fixtures_dir() + "/" + name; }

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

inline nlohmann::json read_json(const std::string& path) { return nlohmann::json::parse(read_text(path)); }

// expected.json's entry for one fixture folder.
inline nlohmann::json expected_for(const std::string& name) {
  return read_json(fixtures_dir() + "/expected.json").at("folders").at(name);
}

// A fresh folder under the system temp dir, removed with its contents at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "fovea_io_test_XXXXXX").string();
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    char* made = ::mkdtemp(buffer.data());
    EXPECT_NE(made, nullptr);
    path_ = made == nullptr ? "" : made;
  }
  ~TempDir() {
    std::error_code error;
    std::filesystem::remove_all(path_, error);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

  void write(const std::string& name, const std::string& contents) const {
    std::filesystem::create_directories(std::filesystem::path(file(name)).parent_path());
    std::ofstream out(file(name), std::ios::binary);
    out << contents;
  }

 private:
  std::string path_;
};

// [u64 LE header length][header][data]: a safetensors file with the given header text and data bytes.
inline std::string safetensors_bytes(const std::string& header, const std::string& data) {
  std::string bytes(8, '\0');
  uint64_t length = header.size();
  for (int byte_idx = 0; byte_idx < 8; ++byte_idx)
    bytes[byte_idx] = static_cast<char>((length >> (8 * byte_idx)) & 0xff);
  return bytes + header + data;
}

// Same, with `num_data_bytes` bytes counting up from 0 (so views can be checked).
inline std::string safetensors_bytes(const std::string& header, size_t num_data_bytes) {
  std::string data(num_data_bytes, '\0');
  for (size_t byte_idx = 0; byte_idx < num_data_bytes; ++byte_idx) data[byte_idx] = static_cast<char>(byte_idx & 0xff);
  return safetensors_bytes(header, data);
}

inline std::span<const uint8_t> as_bytes(const std::string& bytes) {
  return {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()};
}

// Expects a failed Result/Status whose message contains every one of `parts`.
template <typename R>
void expect_error(const R& result, std::initializer_list<std::string> parts) {
  ASSERT_FALSE(result.ok()) << "expected an error mentioning " << *parts.begin();
  std::string message;
  if constexpr (std::is_same_v<R, base::Status>) {
    message = result.message();
  } else {
    message = result.status().message();
  }
  for (const std::string& part : parts) {
    EXPECT_NE(message.find(part), std::string::npos) << "message: " << message << "\nmissing: " << part;
  }
}

}  // namespace fovea::io::testing
