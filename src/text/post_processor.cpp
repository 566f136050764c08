// TemplateProcessing for a single sequence.
// Must not contain JSON parsing.
#include "text/post_processor.h"

namespace fovea::text {

void PostProcessor::apply(std::vector<int32_t>& ids) const {
  if (single_template_.empty()) return;
  std::vector<int32_t> out;
  out.reserve(ids.size() + 8);
  for (const TemplateItem& item : single_template_) {
    if (item.is_sequence) {
      out.insert(out.end(), ids.begin(), ids.end());
    } else {
      out.insert(out.end(), item.special_ids.begin(), item.special_ids.end());
    }
  }
  ids = std::move(out);
}

}  // namespace fovea::text
