// Added-token matching. The reference finds matches with a leftmost-longest automaton and then filters and
// widens each one; the search resumes after a match's end even when the match is discarded, so this does too.
// \w and \s below are Rust regex's Unicode classes, which the reference uses for these rules.
#include "text/added_token_matcher.h"

#include <unicode/uchar.h>

#include <algorithm>
#include <map>

#include "text/utf8.h"

namespace fovea::text {
namespace {

bool is_word_char(char32_t code_point) {
  auto c = static_cast<UChar32>(code_point);
  uint32_t mask = U_GET_GC_MASK(c);
  return u_hasBinaryProperty(c, UCHAR_ALPHABETIC) || (mask & (U_GC_M_MASK | U_GC_ND_MASK | U_GC_PC_MASK)) != 0 ||
         u_hasBinaryProperty(c, UCHAR_JOIN_CONTROL);
}

bool is_space_char(char32_t code_point) { return u_isUWhiteSpace(static_cast<UChar32>(code_point)); }

// Start of the character that ends at `end` (> 0).
size_t previous_char_start(std::string_view text, size_t end) {
  size_t start = end - 1;
  while (start > 0 && (static_cast<uint8_t>(text[start]) & 0xC0) == 0x80) --start;
  return start;
}

char32_t char_at(std::string_view text, size_t pos, size_t* num_bytes) { return decode_utf8_at(text, pos, num_bytes); }

}  // namespace

AddedTokenMatcher::AddedTokenMatcher(const std::vector<AddedToken>& tokens) : tokens_(tokens) {
  // Build with maps, then flatten into sorted edge lists.
  std::vector<std::map<uint8_t, uint32_t>> children(1);
  std::vector<int32_t> token_at(1, -1);
  for (size_t token_idx = 0; token_idx < tokens_.size(); ++token_idx) {
    uint32_t node = 0;
    for (char c : tokens_[token_idx].content) {
      auto byte = static_cast<uint8_t>(c);
      auto it = children[node].find(byte);
      if (it == children[node].end()) {
        auto child = static_cast<uint32_t>(children.size());
        children[node].emplace(byte, child);
        children.emplace_back();
        token_at.push_back(-1);
        node = child;
      } else {
        node = it->second;
      }
    }
    token_at[node] = static_cast<int32_t>(token_idx);
    if (!tokens_[token_idx].content.empty()) is_first_byte_[static_cast<uint8_t>(tokens_[token_idx].content[0])] = true;
  }
  nodes_.resize(children.size());
  for (size_t node = 0; node < children.size(); ++node) {
    nodes_[node].token_idx = token_at[node];
    nodes_[node].first_edge = static_cast<uint32_t>(edges_.size());
    nodes_[node].num_edges = static_cast<uint32_t>(children[node].size());
    for (const auto& [byte, child] : children[node]) edges_.push_back({byte, child});
  }
}

int32_t AddedTokenMatcher::longest_match(std::string_view text, size_t pos, size_t* num_bytes) const {
  int32_t best_idx = -1;
  uint32_t node = 0;
  for (size_t end = pos; end < text.size(); ++end) {
    const Node& current = nodes_[node];
    auto byte = static_cast<uint8_t>(text[end]);
    const Edge* first = edges_.data() + current.first_edge;
    const Edge* last = first + current.num_edges;
    const Edge* edge = std::lower_bound(first, last, byte, [](const Edge& e, uint8_t b) { return e.byte < b; });
    if (edge == last || edge->byte != byte) break;
    node = edge->child;
    if (nodes_[node].token_idx >= 0) {
      best_idx = nodes_[node].token_idx;
      *num_bytes = end + 1 - pos;
    }
  }
  return best_idx;
}

void AddedTokenMatcher::split(std::string_view text, std::vector<Segment>& segments) const {
  size_t start_offset = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    if (!is_first_byte_[static_cast<uint8_t>(text[pos])]) {
      ++pos;
      continue;
    }
    size_t match_bytes = 0;
    int32_t token_idx = longest_match(text, pos, &match_bytes);
    if (token_idx < 0) {
      ++pos;
      continue;
    }
    const AddedToken& token = tokens_[token_idx];
    size_t start = pos;
    size_t stop = pos + match_bytes;
    pos = stop;
    size_t num_bytes = 0;
    if (token.single_word) {
      bool word_before = start > 0 && is_word_char(char_at(text, previous_char_start(text, start), &num_bytes));
      bool word_after = stop < text.size() && is_word_char(char_at(text, stop, &num_bytes));
      if (word_before || word_after) continue;
    }
    if (token.lstrip) {
      size_t new_start = start;
      while (new_start > 0) {
        size_t char_start = previous_char_start(text, new_start);
        if (!is_space_char(char_at(text, char_start, &num_bytes))) break;
        new_start = char_start;
      }
      // Whitespace already taken by the previous match stays there; a start past the match (possible only
      // with overlapping whitespace tokens, where the reference fails) is clamped.
      start = std::min(std::max(new_start, start_offset), stop);
    }
    if (token.rstrip) {
      while (stop < text.size() && is_space_char(char_at(text, stop, &num_bytes))) stop += num_bytes;
    }
    if (start_offset < start) segments.push_back({start_offset, start - start_offset, -1});
    segments.push_back({start, stop - start, token.id});
    start_offset = stop;
  }
  if (start_offset < text.size()) segments.push_back({start_offset, text.size() - start_offset, -1});
}

}  // namespace fovea::text
