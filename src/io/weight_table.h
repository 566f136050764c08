// WeightTable: every tensor of a model folder's safetensors checkpoint (single file or shards + index) as one
// name -> view table over memory-mapped files. Must not interpret tensor names (that is model/ and quant/).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "io/safetensors_file.h"
#include "tensor/tensor_view.h"

namespace fovea::io {

inline constexpr std::string_view kSingleSafetensorsFileName = "model.safetensors";

struct WeightEntry {
  tensor::TensorView view;  // into the mapping of file file_idx (owned by the WeightTable)
  int file_idx = 0;         // index into WeightTable::file_names()
  uint64_t size_bytes = 0;
};

class WeightTable {
 public:
  // Opens model.safetensors.index.json and its shards when the index exists, else model.safetensors.
  // NotFound when the folder has neither; a malformed or missing shard is an error naming it.
  static base::Result<WeightTable> open(const std::string& model_dir);

  // Whether the folder has a safetensors checkpoint to open (without validating it).
  static bool has_weights(const std::string& model_dir);

  // nullptr when there is no tensor of that name.
  const WeightEntry* find(std::string_view name) const;
  // Name -> entry, sorted by name.
  const std::map<std::string, WeightEntry, std::less<>>& entries() const { return entries_; }
  size_t num_tensors() const { return entries_.size(); }
  uint64_t total_bytes() const { return total_bytes_; }
  int num_files() const { return static_cast<int>(files_.size()); }
  // File names relative to the model folder, in file_idx order.
  const std::vector<std::string>& file_names() const { return file_names_; }
  const SafetensorsFile& file(int file_idx) const { return files_[static_cast<size_t>(file_idx)]; }
  bool sharded() const { return sharded_; }

 private:
  base::Status add_file(SafetensorsFile file, std::string file_name);

  std::vector<SafetensorsFile> files_;
  std::vector<std::string> file_names_;
  std::map<std::string, WeightEntry, std::less<>> entries_;
  uint64_t total_bytes_ = 0;
  bool sharded_ = false;
};

}  // namespace fovea::io
