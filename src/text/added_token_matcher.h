// Finds added tokens in text exactly as Hugging Face's AddedVocabulary::find_matches does: leftmost-longest
// matches, then the single_word, lstrip and rstrip rules, producing segments that are either a token or plain
// text. Must not contain normalization or BPE.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "text/added_token.h"

namespace fovea::text {

class AddedTokenMatcher {
 public:
  struct Segment {
    size_t offset;
    size_t num_bytes;
    int32_t token_id;  // -1 for plain text
  };

  AddedTokenMatcher() = default;
  // `tokens` are the ones this matcher looks for (content non-empty); their contents are the patterns.
  explicit AddedTokenMatcher(const std::vector<AddedToken>& tokens);

  bool empty() const { return tokens_.empty(); }

  // Appends the segments of `text` (valid UTF-8). Plain-text segments are never empty; as in the reference, an
  // rstrip that swallows the start of a later match can make segments overlap.
  void split(std::string_view text, std::vector<Segment>& segments) const;

 private:
  struct Node {
    int32_t token_idx = -1;   // token whose content ends here
    uint32_t first_edge = 0;  // edges_[first_edge, first_edge + num_edges), sorted by byte
    uint32_t num_edges = 0;
  };
  struct Edge {
    uint8_t byte;
    uint32_t child;
  };

  // Index into tokens_ of the longest token starting at `pos`, and its length; -1 when none.
  int32_t longest_match(std::string_view text, size_t pos, size_t* num_bytes) const;

  std::vector<AddedToken> tokens_;
  std::vector<Node> nodes_;
  std::vector<Edge> edges_;
  std::array<bool, 256> is_first_byte_{};
};

}  // namespace fovea::text
