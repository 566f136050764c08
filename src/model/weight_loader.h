// WeightLoader: turns checkpoint tensors (by Hugging Face name) into backend Tensors and Weights, each checked
// against the shape config.json implies, or makes seeded random ones for --load-format dummy. It owns the buffers
// the weights live in. Must not know model architectures (text_weights / vision_weights name the tensors).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "backend/weight.h"
#include "base/status.h"
#include "io/weight_table.h"
#include "tensor/shape.h"

namespace fovea::model {

// What a dummy tensor is filled with (ignored when loading a checkpoint).
enum class DummyInit : uint8_t {
  kMatrix,     // uniform with variance 1 / in_features (the last dim)
  kEmbedding,  // uniform in [-0.5, 0.5]
  kOnes,       // norm weights
  kZeros,      // biases
};

class WeightLoader {
 public:
  // Weights from a checkpoint; `table` must outlive the loader (CPU weights are views into its mapping).
  // `source_label` names the model folder in errors.
  static WeightLoader from_checkpoint(backend::Backend& backend, const io::WeightTable& table,
                                      std::string source_label);
  // Random weights of `dtype` (bf16, f16 or f32), a pure function of (seed, tensor name).
  static WeightLoader dummy(backend::Backend& backend, tensor::DType dtype, uint64_t seed);

  WeightLoader(WeightLoader&&) noexcept = default;
  WeightLoader& operator=(WeightLoader&&) noexcept = delete;
  WeightLoader(const WeightLoader&) = delete;
  WeightLoader& operator=(const WeightLoader&) = delete;
  ~WeightLoader();

  // Tensor `name` of exactly `shape` (bf16, f16 or f32). Missing, misshapen or of another dtype: an error naming it.
  base::Result<backend::Tensor> load_tensor(const std::string& name, const tensor::Shape& shape, DummyInit init);

  // The weight of linear module `module_name` ("model.layers.0.mlp.up_proj"), [out_features, in_features].
  // `stored_shape` is the on-disk shape when it differs but has the same elements (the patch embedding's
  // Conv3d kernel). This is the one place where a quantized format would be recognised and built.
  base::Result<backend::Weight> load_linear(const std::string& module_name, int64_t out_features, int64_t in_features,
                                            const tensor::Shape& stored_shape = {});

  // Whether the checkpoint has a tensor of that name (always false for dummy weights).
  bool has(const std::string& name) const;
  bool is_dummy() const { return table_ == nullptr; }

  // Bytes of every tensor loaded so far (in place or copied).
  uint64_t weight_bytes() const { return weight_bytes_; }
  // Bytes of device memory the loader allocated (copies and dummy weights; 0 for CPU weights used in place).
  uint64_t allocated_bytes() const { return allocated_bytes_; }

 private:
  WeightLoader(backend::Backend& backend, const io::WeightTable* table, std::string source_label,
               tensor::DType dummy_dtype, uint64_t seed);

  // Puts one checkpoint tensor on the backend's device: on the CPU a read-only view of the mapping (copied only when
  // misaligned for its dtype), elsewhere an allocation and a copy.
  base::Result<backend::Tensor> upload(const tensor::TensorView& view);
  base::Result<backend::Tensor> make_dummy(const std::string& name, const tensor::Shape& shape, DummyInit init);

  backend::Backend* backend_;     // not owned
  const io::WeightTable* table_;  // not owned; null for dummy weights
  std::string source_label_;
  tensor::DType dummy_dtype_;
  uint64_t seed_;
  std::vector<std::unique_ptr<backend::Buffer>> buffers_;  // owned: every weight's storage
  uint64_t weight_bytes_ = 0;
  uint64_t allocated_bytes_ = 0;
};

}  // namespace fovea::model
