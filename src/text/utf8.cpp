// UTF-8 validation and lossy decoding with the exact replacement rules of Rust's from_utf8_lossy.
// Must not contain tokenizer logic.
#include "text/utf8.h"

#include <cstring>

namespace fovea::text {
namespace {

enum class StepKind { kValid, kInvalid, kIncomplete };

struct Step {
  StepKind kind;
  size_t num_bytes;  // valid: the sequence; invalid: the maximal subpart to replace; incomplete: the rest
};

bool in_range(uint8_t byte, uint8_t low, uint8_t high) { return byte >= low && byte <= high; }

// One step of decoding at `pos` (< bytes.size()), following the Unicode "maximal subpart" practice.
Step next_step(std::string_view bytes, size_t pos) {
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  size_t size = bytes.size();
  uint8_t lead = data[pos];
  if (lead < 0x80) return {StepKind::kValid, 1};
  size_t width = 0;
  uint8_t second_low = 0x80;
  uint8_t second_high = 0xBF;
  if (in_range(lead, 0xC2, 0xDF)) {
    width = 2;
  } else if (in_range(lead, 0xE0, 0xEF)) {
    width = 3;
    if (lead == 0xE0) second_low = 0xA0;
    if (lead == 0xED) second_high = 0x9F;
  } else if (in_range(lead, 0xF0, 0xF4)) {
    width = 4;
    if (lead == 0xF0) second_low = 0x90;
    if (lead == 0xF4) second_high = 0x8F;
  } else {
    return {StepKind::kInvalid, 1};
  }
  for (size_t i = 1; i < width; ++i) {
    if (pos + i >= size) return {StepKind::kIncomplete, size - pos};
    uint8_t byte = data[pos + i];
    bool ok = i == 1 ? in_range(byte, second_low, second_high) : in_range(byte, 0x80, 0xBF);
    if (!ok) return {StepKind::kInvalid, i};
  }
  return {StepKind::kValid, width};
}

}  // namespace

size_t find_invalid_utf8(std::string_view bytes) {
  size_t pos = 0;
  while (pos < bytes.size()) {
    // ASCII runs are the common case; skip them eight bytes at a time.
    while (pos + 8 <= bytes.size()) {
      uint64_t word = 0;
      std::memcpy(&word, bytes.data() + pos, sizeof(word));
      if ((word & 0x8080808080808080ull) != 0) break;
      pos += 8;
    }
    if (pos >= bytes.size()) break;
    Step step = next_step(bytes, pos);
    if (step.kind != StepKind::kValid) return pos;
    pos += step.num_bytes;
  }
  return kNoInvalidByte;
}

void append_utf8(std::string& out, char32_t code_point) {
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

void append_utf8_lossy(std::string& out, std::string_view bytes) {
  size_t pos = 0;
  size_t valid_start = 0;
  while (pos < bytes.size()) {
    Step step = next_step(bytes, pos);
    if (step.kind == StepKind::kValid) {
      pos += step.num_bytes;
      continue;
    }
    out.append(bytes.substr(valid_start, pos - valid_start));
    append_utf8(out, kReplacementChar);
    pos += step.num_bytes;
    valid_start = pos;
  }
  out.append(bytes.substr(valid_start));
}

size_t utf8_stable_prefix_bytes(std::string_view bytes) {
  // Only the last (at most three) bytes can be an incomplete sequence; find where the last sequence starts.
  size_t size = bytes.size();
  size_t first = size > 3 ? size - 3 : 0;
  for (size_t start = first; start < size; ++start) {
    auto byte = static_cast<uint8_t>(bytes[start]);
    if ((byte & 0xC0) == 0x80) continue;  // a continuation byte never starts a sequence
    Step step = next_step(bytes, start);
    if (step.kind == StepKind::kIncomplete) return start;
  }
  return size;
}

}  // namespace fovea::text
