// model.safetensors.index.json parsing and shard-name checks.
#include "io/safetensors_index.h"

#include <algorithm>

#include "io/json_reader.h"

namespace fovea::io {

base::Status check_shard_file_name(std::string_view name, std::string_view file_label) {
  bool plain = !name.empty() && name != "." && name != ".." &&
               name.find_first_of(std::string_view("/\\\0", 3)) == std::string_view::npos;
  if (!plain) {
    return base::data_loss(
        "{}: shard name \"{}\" is not a plain file name; shards must be files directly inside the model folder",
        file_label, name);
  }
  return base::Status::ok_status();
}

base::Result<SafetensorsIndex> parse_safetensors_index(std::string_view text, std::string_view file_label) {
  FOVEA_ASSIGN_OR_RETURN(nlohmann::json document, parse_json(text, file_label, /*reject_duplicate_keys=*/true));
  if (!document.is_object()) {
    return base::data_loss("{} must be a JSON object but is {}", file_label, json_type_phrase(document));
  }
  auto map_it = document.find("weight_map");
  if (map_it == document.end() || !map_it->is_object()) {
    return base::data_loss("{} needs a \"weight_map\" object (tensor name -> shard file)", file_label);
  }
  SafetensorsIndex index;
  for (const auto& [name, shard] : map_it->items()) {
    if (!shard.is_string()) {
      return base::data_loss("{}: weight_map[\"{}\"] must be a shard file name but is {}", file_label, name,
                             json_type_phrase(shard));
    }
    const std::string& shard_name = shard.get_ref<const std::string&>();
    FOVEA_RETURN_IF_ERROR(check_shard_file_name(shard_name, file_label));
    index.weight_map.emplace(name, shard_name);
    index.shard_files.push_back(shard_name);
  }
  if (index.weight_map.empty()) {
    return base::data_loss("{}: weight_map is empty; the checkpoint has no tensors", file_label);
  }
  std::sort(index.shard_files.begin(), index.shard_files.end());
  index.shard_files.erase(std::unique(index.shard_files.begin(), index.shard_files.end()), index.shard_files.end());

  auto metadata_it = document.find("metadata");
  if (metadata_it != document.end() && metadata_it->is_object()) {
    auto total_it = metadata_it->find("total_size");
    if (total_it != metadata_it->end() && total_it->is_number_unsigned()) {
      index.total_size_bytes = total_it->get<uint64_t>();
    }
  }
  return index;
}

}  // namespace fovea::io
