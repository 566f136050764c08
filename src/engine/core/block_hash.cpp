// Serialization of a block's identity into SHA-256: parent digest; u32 LE token count, token ids as u32 LE; u32 LE
// image count, per image its digest and start offset as i64 LE; u32 LE salt length, salt bytes. Counts prefix every
// field so no two different (tokens, images, salt) tuples share a byte string. Must not contain pool logic.
#include "engine/core/block_hash.h"

#include <array>

namespace fovea::engine {
namespace {

void update_u32(base::Sha256& hasher, uint32_t value) {
  const std::array<uint8_t, 4> bytes = {static_cast<uint8_t>(value), static_cast<uint8_t>(value >> 8),
                                        static_cast<uint8_t>(value >> 16), static_cast<uint8_t>(value >> 24)};
  hasher.update(bytes);
}

}  // namespace

BlockHash root_block_hash() {
  static const BlockHash kRoot = [] {
    base::Sha256 hasher;
    hasher.update(std::string_view("fovea prefix cache root v1"));
    return hasher.finish();
  }();
  return kRoot;
}

BlockHash hash_block(const BlockHash& parent, std::span<const int32_t> token_ids, std::span<const BlockImageKey> images,
                     std::string_view cache_salt) {
  base::Sha256 hasher;
  hasher.update(parent);
  update_u32(hasher, static_cast<uint32_t>(token_ids.size()));
  for (int32_t token_id : token_ids) update_u32(hasher, static_cast<uint32_t>(token_id));
  update_u32(hasher, static_cast<uint32_t>(images.size()));
  for (const BlockImageKey& image : images) {
    hasher.update(image.content_hash);
    const auto offset = static_cast<uint64_t>(image.start_offset_tokens);
    update_u32(hasher, static_cast<uint32_t>(offset));
    update_u32(hasher, static_cast<uint32_t>(offset >> 32));
  }
  update_u32(hasher, static_cast<uint32_t>(cache_salt.size()));
  hasher.update(cache_salt);
  return hasher.finish();
}

std::string to_hex(const base::Sha256Digest& digest) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(digest.size() * 2);
  for (uint8_t byte : digest) {
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 0xf]);
  }
  return out;
}

}  // namespace fovea::engine
