// WeightTable: opening single-file and sharded safetensors checkpoints.
#include "io/weight_table.h"

#include "base/file_util.h"
#include "io/safetensors_index.h"

namespace fovea::io {

bool WeightTable::has_weights(const std::string& model_dir) {
  return base::file_exists(model_dir + "/" + std::string(kSafetensorsIndexFileName)) ||
         base::file_exists(model_dir + "/" + std::string(kSingleSafetensorsFileName));
}

base::Status WeightTable::add_file(SafetensorsFile file, std::string file_name) {
  int file_idx = static_cast<int>(files_.size());
  for (size_t tensor_idx = 0; tensor_idx < file.header().tensors.size(); ++tensor_idx) {
    const SafetensorsTensorInfo& info = file.header().tensors[tensor_idx];
    WeightEntry entry{file.view(tensor_idx), file_idx, info.size_bytes()};
    auto [it, inserted] = entries_.emplace(info.name, entry);
    if (!inserted) {
      return base::data_loss("tensor \"{}\" is in both {} and {}; a checkpoint must hold each tensor once", info.name,
                             file_names_[static_cast<size_t>(it->second.file_idx)], file_name);
    }
    total_bytes_ += info.size_bytes();
  }
  files_.push_back(std::move(file));
  file_names_.push_back(std::move(file_name));
  return base::Status::ok_status();
}

base::Result<WeightTable> WeightTable::open(const std::string& model_dir) {
  WeightTable table;
  std::string index_path = model_dir + "/" + std::string(kSafetensorsIndexFileName);
  if (base::file_exists(index_path)) {
    FOVEA_ASSIGN_OR_RETURN(std::string text, base::read_file(index_path, uint64_t{256} << 20));
    FOVEA_ASSIGN_OR_RETURN(SafetensorsIndex index, parse_safetensors_index(text, index_path));
    table.sharded_ = true;
    for (const std::string& shard_name : index.shard_files) {
      base::Result<SafetensorsFile> shard = SafetensorsFile::open(model_dir + "/" + shard_name);
      if (!shard.ok()) {
        return shard.status().with_context(fmt::format("shard {} listed in {}", shard_name, index_path));
      }
      FOVEA_RETURN_IF_ERROR(table.add_file(std::move(shard).value(), shard_name));
    }
    for (const auto& [name, shard_name] : index.weight_map) {
      const WeightEntry* entry = table.find(name);
      if (entry == nullptr || table.file_names_[static_cast<size_t>(entry->file_idx)] != shard_name) {
        return base::data_loss("{} places tensor \"{}\" in {}, but that shard has no such tensor", index_path, name,
                               shard_name);
      }
    }
    return table;
  }
  std::string single_path = model_dir + "/" + std::string(kSingleSafetensorsFileName);
  if (!base::file_exists(single_path)) {
    return base::not_found("{} has no weights: neither {} nor {} is there (fovea reads safetensors checkpoints only)",
                           model_dir, kSingleSafetensorsFileName, kSafetensorsIndexFileName);
  }
  FOVEA_ASSIGN_OR_RETURN(SafetensorsFile file, SafetensorsFile::open(single_path));
  FOVEA_RETURN_IF_ERROR(table.add_file(std::move(file), std::string(kSingleSafetensorsFileName)));
  return table;
}

const WeightEntry* WeightTable::find(std::string_view name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : &it->second;
}

}  // namespace fovea::io
