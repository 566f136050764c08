// Safetensors header validation: length prefix, JSON object, dtypes, shapes, offsets tiling the data section.
#include "io/safetensors_header.h"

#include <algorithm>
#include <limits>

#include "base/checked_math.h"
#include "io/json_reader.h"

namespace fovea::io {
namespace {

using nlohmann::json;

constexpr std::string_view kSupportedDTypes = "BOOL, U8, I8, I16, I32, I64, F16, BF16, F32, F64, F8_E4M3, F8_E5M2";

uint64_t read_u64_le(const uint8_t* bytes) {
  uint64_t value = 0;
  for (int byte_idx = 7; byte_idx >= 0; --byte_idx) value = (value << 8) | bytes[byte_idx];
  return value;
}

// A non-negative integer that fits int64 (shape dims and offsets), or nullopt.
std::optional<uint64_t> non_negative_integer(const json& value) {
  if (value.is_number_unsigned()) {
    uint64_t raw = value.get<uint64_t>();
    if (raw > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return raw;
  }
  if (value.is_number_integer()) {
    int64_t raw = value.get<int64_t>();
    if (raw < 0) return std::nullopt;
    return static_cast<uint64_t>(raw);
  }
  return std::nullopt;
}

base::Result<std::vector<std::pair<std::string, std::string>>> parse_metadata(const json& value,
                                                                              std::string_view file_label) {
  if (!value.is_object()) {
    return base::data_loss("{}: __metadata__ must be an object of strings but is {}", file_label,
                           json_type_phrase(value));
  }
  std::vector<std::pair<std::string, std::string>> metadata;
  for (const auto& [key, item] : value.items()) {
    if (!item.is_string()) {
      return base::data_loss("{}: __metadata__ entry \"{}\" must be a string but is {}", file_label, key,
                             json_type_phrase(item));
    }
    metadata.emplace_back(key, item.get<std::string>());
  }
  return metadata;
}

base::Result<SafetensorsTensorInfo> parse_tensor_entry(const std::string& name, const json& entry,
                                                       uint64_t data_size_bytes, std::string_view file_label) {
  if (!entry.is_object()) {
    return base::data_loss("{}: the entry of tensor \"{}\" must be an object but is {}", file_label, name,
                           json_type_phrase(entry));
  }
  auto dtype_it = entry.find("dtype");
  auto shape_it = entry.find("shape");
  auto offsets_it = entry.find("data_offsets");
  if (dtype_it == entry.end() || shape_it == entry.end() || offsets_it == entry.end()) {
    return base::data_loss("{}: tensor \"{}\" needs \"dtype\", \"shape\" and \"data_offsets\"", file_label, name);
  }
  if (!dtype_it->is_string()) {
    return base::data_loss("{}: the dtype of tensor \"{}\" must be a string but is {}", file_label, name,
                           json_type_phrase(*dtype_it));
  }
  const std::string& dtype_name = dtype_it->get_ref<const std::string&>();
  std::optional<tensor::DType> dtype = tensor::parse_safetensors_dtype(dtype_name);
  if (!dtype) {
    return base::unsupported("{}: unsupported dtype {} in tensor {}; fovea loads {}", file_label, dtype_name, name,
                             kSupportedDTypes);
  }

  if (!shape_it->is_array()) {
    return base::data_loss("{}: the shape of tensor \"{}\" must be a list of integers but is {}", file_label, name,
                           json_type_phrase(*shape_it));
  }
  std::vector<int64_t> dims;
  uint64_t numel = 1;
  bool numel_overflows = false;
  for (const json& dim : *shape_it) {
    std::optional<uint64_t> size = non_negative_integer(dim);
    if (!size) {
      return base::data_loss("{}: the shape of tensor \"{}\" must hold non-negative integers below 2^63", file_label,
                             name);
    }
    dims.push_back(static_cast<int64_t>(*size));
    std::optional<uint64_t> product = base::checked_mul(numel, *size);
    if (!product) numel_overflows = true;
    numel = product.value_or(0);
  }
  tensor::Shape shape(std::move(dims));
  std::optional<uint64_t> size_bytes =
      numel_overflows ? std::nullopt
                      : base::checked_mul(numel, static_cast<uint64_t>(tensor::dtype_size_bytes(*dtype)));
  // Shape::numel() is int64, and no real tensor comes close to 2^63 bytes: treat both as overflow.
  if (!size_bytes || *size_bytes > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return base::data_loss("{}: tensor \"{}\" with shape {} of {} is too large (its byte size overflows 64 bits)",
                           file_label, name, shape.to_string(), dtype_name);
  }

  if (!offsets_it->is_array() || offsets_it->size() != 2) {
    return base::data_loss("{}: data_offsets of tensor \"{}\" must be a list of two integers [begin, end]", file_label,
                           name);
  }
  std::optional<uint64_t> begin = non_negative_integer((*offsets_it)[0]);
  std::optional<uint64_t> end = non_negative_integer((*offsets_it)[1]);
  if (!begin || !end) {
    return base::data_loss("{}: data_offsets of tensor \"{}\" must be non-negative integers below 2^63", file_label,
                           name);
  }
  if (*begin > *end) {
    return base::data_loss("{}: data_offsets [{}, {}] of tensor \"{}\" end before they begin", file_label, *begin, *end,
                           name);
  }
  if (*end > data_size_bytes) {
    return base::data_loss(
        "{}: data_offsets [{}, {}] of tensor \"{}\" run past the end of the data section ({} bytes); the file is "
        "truncated or corrupt",
        file_label, *begin, *end, name, data_size_bytes);
  }
  if (*end - *begin != *size_bytes) {
    return base::data_loss(
        "{}: size mismatch for tensor \"{}\": shape {} of {} takes {} bytes but data_offsets [{}, {}] give {}",
        file_label, name, shape.to_string(), dtype_name, *size_bytes, *begin, *end, *end - *begin);
  }
  return SafetensorsTensorInfo{name, *dtype, std::move(shape), *begin, *end};
}

// The reference reader requires the tensors to tile the data section: no overlaps, no holes, no trailing bytes.
base::Status check_tiling(const std::vector<SafetensorsTensorInfo>& sorted_tensors, uint64_t data_size_bytes,
                          std::string_view file_label) {
  uint64_t covered_end = 0;
  const SafetensorsTensorInfo* previous = nullptr;
  for (const SafetensorsTensorInfo& info : sorted_tensors) {
    if (info.data_begin_bytes < covered_end) {
      return base::data_loss(
          "{}: tensors \"{}\" and \"{}\" overlap in the data section (bytes [{}, {}) and [{}, {})); the file is "
          "corrupt",
          file_label, previous->name, info.name, previous->data_begin_bytes, previous->data_end_bytes,
          info.data_begin_bytes, info.data_end_bytes);
    }
    if (info.data_begin_bytes > covered_end) {
      return base::data_loss("{}: bytes [{}, {}) of the data section belong to no tensor (a hole before \"{}\")",
                             file_label, covered_end, info.data_begin_bytes, info.name);
    }
    covered_end = info.data_end_bytes;
    previous = &info;
  }
  if (covered_end != data_size_bytes) {
    return base::data_loss(
        "{}: the data section has {} bytes but the tensors cover only {}; the file has trailing bytes or lost tensors",
        file_label, data_size_bytes, covered_end);
  }
  return base::Status::ok_status();
}

}  // namespace

base::Result<SafetensorsHeader> parse_safetensors(std::span<const uint8_t> file_bytes, std::string_view file_label) {
  if (file_bytes.size() < 8) {
    return base::data_loss(
        "{}: the file is {} bytes, too short for the 8-byte header length; it is truncated or not a safetensors file",
        file_label, file_bytes.size());
  }
  SafetensorsHeader header;
  header.header_size_bytes = read_u64_le(file_bytes.data());
  if (header.header_size_bytes > kMaxSafetensorsHeaderBytes) {
    return base::data_loss(
        "{}: the header length {} is more than the {} bytes allowed; the file is corrupt or not a safetensors file",
        file_label, header.header_size_bytes, kMaxSafetensorsHeaderBytes);
  }
  if (header.header_size_bytes > file_bytes.size() - 8) {
    return base::data_loss("{}: the header length {} runs past the end of the file ({} bytes); the file is truncated",
                           file_label, header.header_size_bytes, file_bytes.size());
  }
  header.data_offset_bytes = 8 + header.header_size_bytes;
  header.data_size_bytes = file_bytes.size() - header.data_offset_bytes;

  std::string_view header_text(reinterpret_cast<const char*>(file_bytes.data()) + 8, header.header_size_bytes);
  if (header_text.empty() || header_text.front() != '{') {
    return base::data_loss("{}: the header must be a JSON object starting with '{{'; the file is corrupt", file_label);
  }
  FOVEA_ASSIGN_OR_RETURN(json document, parse_json(header_text, fmt::format("{}: the header", file_label),
                                                   /*reject_duplicate_keys=*/true));
  if (!document.is_object()) {
    return base::data_loss("{}: the header must be a JSON object but is {}", file_label, json_type_phrase(document));
  }

  for (const auto& [name, entry] : document.items()) {
    if (name == "__metadata__") {
      FOVEA_ASSIGN_OR_RETURN(header.metadata, parse_metadata(entry, file_label));
      continue;
    }
    FOVEA_ASSIGN_OR_RETURN(SafetensorsTensorInfo info,
                           parse_tensor_entry(name, entry, header.data_size_bytes, file_label));
    header.tensors.push_back(std::move(info));
  }
  std::sort(header.tensors.begin(), header.tensors.end(),
            [](const SafetensorsTensorInfo& a, const SafetensorsTensorInfo& b) {
              return std::pair(a.data_begin_bytes, a.data_end_bytes) < std::pair(b.data_begin_bytes, b.data_end_bytes);
            });
  FOVEA_RETURN_IF_ERROR(check_tiling(header.tensors, header.data_size_bytes, file_label));
  return header;
}

}  // namespace fovea::io
