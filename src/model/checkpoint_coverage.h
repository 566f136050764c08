// CheckpointCoverage: which checkpoint tensors one rank's WeightLoader has gone through, each counted once at its
// full stored size whatever part of it the rank keeps, so load progress advances through the checkpoint alike on
// every tensor-parallel rank. RecordingLookup adds every tensor quant::load_linear finds through it.
// Must not load or shard tensors (WeightLoader, ShardedLookup).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "io/weight_table.h"
#include "quant/tensor_lookup.h"
#include "tensor/tensor_view.h"

namespace fovea::model {

class CheckpointCoverage {
 public:
  // `table` must outlive the coverage.
  explicit CheckpointCoverage(const io::WeightTable& table) : table_(&table) {}

  // Counts checkpoint tensor `name` (its whole size) unless it was counted before; a name the checkpoint does not
  // have counts nothing.
  void add(std::string_view name);

  int64_t num_tensors() const { return static_cast<int64_t>(names_.size()); }
  uint64_t bytes() const { return bytes_; }

  // A TensorLookup that forwards to `inner` and adds to `coverage` every tensor `inner` finds (a rank's shard
  // counts as the whole stored tensor of that name). Both must outlive it.
  class RecordingLookup final : public quant::TensorLookup {
   public:
    RecordingLookup(const quant::TensorLookup& inner, CheckpointCoverage& coverage)
        : inner_(&inner), coverage_(&coverage) {}
    const tensor::TensorView* find(std::string_view name) const override;

   private:
    const quant::TensorLookup* inner_;  // not owned
    CheckpointCoverage* coverage_;      // not owned; find() records into it
  };

 private:
  const io::WeightTable* table_;              // not owned
  std::set<std::string, std::less<>> names_;  // tensors counted so far
  uint64_t bytes_ = 0;                        // their stored bytes
};

}  // namespace fovea::model
