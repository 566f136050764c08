// TensorLookup: checkpoint tensors by name, as quant/ reads them: a WeightTable, or a plain map (tests, fuzzer).
// Must not interpret tensor names.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "io/weight_table.h"
#include "tensor/tensor_view.h"

namespace fovea::quant {

class TensorLookup {
 public:
  virtual ~TensorLookup() = default;
  // nullptr when there is no tensor of that name. Views may be unaligned (safetensors does not pad).
  virtual const tensor::TensorView* find(std::string_view name) const = 0;
};

class WeightTableLookup final : public TensorLookup {
 public:
  explicit WeightTableLookup(const io::WeightTable& table) : table_(table) {}
  const tensor::TensorView* find(std::string_view name) const override {
    const io::WeightEntry* entry = table_.find(name);
    return entry == nullptr ? nullptr : &entry->view;
  }

 private:
  const io::WeightTable& table_;  // not owned
};

class MapLookup final : public TensorLookup {
 public:
  void add(std::string name, tensor::TensorView view) { views_[std::move(name)] = std::move(view); }
  const tensor::TensorView* find(std::string_view name) const override {
    auto it = views_.find(name);
    return it == views_.end() ? nullptr : &it->second;
  }

 private:
  std::map<std::string, tensor::TensorView, std::less<>> views_;
};

}  // namespace fovea::quant
