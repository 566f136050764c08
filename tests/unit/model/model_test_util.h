// Helpers for model unit tests: temporary model folders made from the tiny golden checkpoints (config.json copied,
// safetensors rewritten with edits), a safetensors writer, and step builders for one or more sequences.
// Must not contain test cases.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "io/weight_table.h"
#include "tensor/dtype.h"

namespace fovea::model::testing {

// A golden checkpoint folder: "qwen3-tiny" (tests/golden/model), or "quant/awq-gemm" (tests/golden/quant).
inline std::string checkpoint_dir(const std::string& name) {
  const std::string quant_prefix = "quant/";
  if (name.rfind(quant_prefix, 0) == 0) {
    return std::string(FOVEA_SOURCE_DIR) + "/tests/golden/quant/data/checkpoints/" + name.substr(quant_prefix.size());
  }
  return std::string(FOVEA_SOURCE_DIR) + "/tests/golden/model/data/checkpoints/" + name;
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "fovea_model_test_XXXXXX").string();
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
  void write(const std::string& name, const std::string& contents) const {
    std::ofstream out(path_ + "/" + name, std::ios::binary);
    out << contents;
  }

 private:
  std::string path_;
};

// One tensor to write: name, safetensors dtype string, shape, raw bytes.
struct RawTensor {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
  std::string bytes;
};

// A safetensors file. Its header is padded with spaces so the data start 8-byte aligned (like the reference writer),
// or, when `misaligned`, at an odd byte, so no 2- or 4-byte tensor is aligned for its dtype.
inline std::string safetensors_file(const std::vector<RawTensor>& tensors, bool misaligned = false) {
  nlohmann::json header = nlohmann::json::object();
  std::string data;
  for (const RawTensor& t : tensors) {
    header[t.name] = {
        {"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {data.size(), data.size() + t.bytes.size()}}};
    data += t.bytes;
  }
  std::string text = header.dump();
  if (misaligned) {
    if ((8 + text.size()) % 2 == 0) text += ' ';
  } else {
    text += std::string((8 - text.size() % 8) % 8, ' ');
  }
  std::string out(8, '\0');
  const uint64_t length = text.size();
  for (int byte_idx = 0; byte_idx < 8; ++byte_idx) out[byte_idx] = static_cast<char>((length >> (8 * byte_idx)) & 0xff);
  return out + text + data;
}

// The tensors of a golden checkpoint, each passed through `edit` (return false to drop it).
inline std::vector<RawTensor> checkpoint_tensors(const std::string& name,
                                                 const std::function<bool(RawTensor&)>& edit = nullptr) {
  std::vector<RawTensor> out;
  auto table = io::WeightTable::open(checkpoint_dir(name));
  EXPECT_TRUE(table.ok()) << table.status().to_string();
  if (!table.ok()) return out;
  for (const auto& [tensor_name, entry] : table->entries()) {
    RawTensor t{tensor_name, std::string(tensor::dtype_name(entry.view.dtype)), entry.view.shape.dims(),
                std::string(static_cast<const char*>(entry.view.data), entry.size_bytes)};
    if (edit && !edit(t)) continue;
    out.push_back(std::move(t));
  }
  return out;
}

// A model folder in `dir`: the checkpoint's config.json (optionally edited) and the given tensors.
inline void write_model_folder(const TempDir& dir, const std::string& checkpoint, const std::vector<RawTensor>& tensors,
                               const std::function<void(nlohmann::json&)>& edit_config = nullptr,
                               bool misaligned = false) {
  nlohmann::json config = nlohmann::json::parse(read_text(checkpoint_dir(checkpoint) + "/config.json"));
  if (edit_config) edit_config(config);
  dir.write("config.json", config.dump(2));
  if (!tensors.empty()) dir.write("model.safetensors", safetensors_file(tensors, misaligned));
}

}  // namespace fovea::model::testing
