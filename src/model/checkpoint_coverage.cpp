// CheckpointCoverage: counting each checkpoint tensor once at its stored size, and the recording TensorLookup that
// adds what quant::load_linear finds.
#include "model/checkpoint_coverage.h"

namespace fovea::model {

void CheckpointCoverage::add(std::string_view name) {
  const io::WeightEntry* entry = table_->find(name);
  if (entry == nullptr) return;
  if (!names_.emplace(name).second) return;
  bytes_ += entry->size_bytes;
}

const tensor::TensorView* CheckpointCoverage::RecordingLookup::find(std::string_view name) const {
  const tensor::TensorView* view = inner_->find(name);
  if (view != nullptr) coverage_->add(name);
  return view;
}

}  // namespace fovea::model
