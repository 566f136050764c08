// The post-processor of tokenizer.json for single sequences with add_special_tokens: ByteLevel (ids unchanged),
// TemplateProcessing (special tokens around the sequence, e.g. a BOS) or a Sequence of those. Qwen3 uses ByteLevel
// and so adds nothing. Must not contain JSON parsing.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace fovea::text {

class PostProcessor {
 public:
  // One item of a TemplateProcessing "single" template: the sequence itself, or the ids of a special token.
  struct TemplateItem {
    bool is_sequence = false;
    std::vector<int32_t> special_ids;
  };

  PostProcessor() = default;
  // An empty template leaves ids unchanged (no post-processor, or ByteLevel).
  explicit PostProcessor(std::vector<TemplateItem> single_template) : single_template_(std::move(single_template)) {}

  // Rewrites `ids` (the encoded sequence) with the template.
  void apply(std::vector<int32_t>& ids) const;

  bool adds_tokens() const { return !single_template_.empty(); }

 private:
  std::vector<TemplateItem> single_template_;
};

}  // namespace fovea::text
