// SafetensorsFile: mmap + header validation.
#include "io/safetensors_file.h"

#include "base/check.h"

namespace fovea::io {

base::Result<SafetensorsFile> SafetensorsFile::open(const std::string& path) {
  SafetensorsFile file;
  FOVEA_ASSIGN_OR_RETURN(file.file_, base::MappedFile::open(path));
  FOVEA_ASSIGN_OR_RETURN(file.header_, parse_safetensors(file.file_.bytes(), path));
  return file;
}

tensor::TensorView SafetensorsFile::view(size_t tensor_idx) const {
  FOVEA_CHECK(tensor_idx < header_.tensors.size(), "tensor index {} of {}", tensor_idx, header_.tensors.size());
  const SafetensorsTensorInfo& info = header_.tensors[tensor_idx];
  tensor::TensorView view;
  view.data = file_.data() + header_.data_offset_bytes + info.data_begin_bytes;  // valid files are >= 8 bytes
  view.dtype = info.dtype;
  view.shape = info.shape;
  return view;
}

}  // namespace fovea::io
