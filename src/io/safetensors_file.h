// SafetensorsFile: one memory-mapped safetensors file with its validated header; tensors are views into the mapping.
// Must not contain knowledge of model folders, shards or tensor names.
#pragma once

#include <string>

#include "base/mapped_file.h"
#include "base/status.h"
#include "io/safetensors_header.h"
#include "tensor/tensor_view.h"

namespace fovea::io {

class SafetensorsFile {
 public:
  // Maps `path` and validates it; errors name the file and the problem.
  static base::Result<SafetensorsFile> open(const std::string& path);

  const std::string& path() const { return file_.path(); }
  const SafetensorsHeader& header() const { return header_; }
  uint64_t file_size_bytes() const { return file_.size_bytes(); }

  // A view of tensor `tensor_idx` of header().tensors. Its data may be unaligned (writers other than the reference
  // one do not pad the header); copy or use unaligned loads where alignment matters.
  tensor::TensorView view(size_t tensor_idx) const;

 private:
  base::MappedFile file_;
  SafetensorsHeader header_;
};

}  // namespace fovea::io
