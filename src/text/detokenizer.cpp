// Flat per-id byte table and whole-sequence decoding.
// Must not contain encoding or streaming state.
#include "text/detokenizer.h"

#include "text/utf8.h"

namespace fovea::text {

Detokenizer::Detokenizer(const std::vector<Entry>& entries) {
  flags_.resize(entries.size());
  offsets_.resize(entries.size() + 1);
  size_t total_bytes = 0;
  for (const Entry& entry : entries) total_bytes += entry.bytes.size();
  arena_.reserve(total_bytes);
  for (size_t id = 0; id < entries.size(); ++id) {
    const Entry& entry = entries[id];
    offsets_[id] = static_cast<uint32_t>(arena_.size());
    flags_[id] = static_cast<uint8_t>((entry.present ? kPresent : 0) | (entry.special ? kSpecial : 0));
    if (entry.present) arena_.append(entry.bytes);
  }
  offsets_[entries.size()] = static_cast<uint32_t>(arena_.size());
}

base::Status Detokenizer::check_ids(std::span<const int32_t> ids) const {
  for (size_t idx = 0; idx < ids.size(); ++idx) {
    if (!has_token(ids[idx])) {
      return base::out_of_range("token id {} at position {} is not in the vocabulary (ids are 0..{})", ids[idx], idx,
                                id_limit() - 1);
    }
  }
  return base::Status::ok_status();
}

base::Result<std::string> Detokenizer::decode(std::span<const int32_t> ids, bool skip_special_tokens) const {
  FOVEA_RETURN_IF_ERROR(check_ids(ids));
  std::string bytes;
  for (int32_t id : ids) bytes.append(token_bytes(id, skip_special_tokens));
  if (find_invalid_utf8(bytes) == kNoInvalidByte) return bytes;
  std::string text;
  text.reserve(bytes.size() + 16);
  append_utf8_lossy(text, bytes);
  return text;
}

}  // namespace fovea::text
