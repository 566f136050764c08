// Block hashes for prefix caching: a full block's identity is SHA-256 of (parent hash, its token ids, the images
// whose placeholders overlap it with where they start, and the cache salt for the first block).
// Must not contain any pool or scheduling logic.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "base/sha256.h"

namespace fovea::engine {

// SHA-256 chain value of one full KV block; equal hashes mean equal KV contents.
using BlockHash = base::Sha256Digest;
// SHA-256 of one image's content (and of everything that changes its embeddings), made by the input processor.
using ContentHash = base::Sha256Digest;

// One image's part in a block: which image, and where its placeholders start relative to the block's first token
// (negative when the image began in an earlier block), so the key says which embedding fills each position.
struct BlockImageKey {
  ContentHash content_hash{};
  int64_t start_offset_tokens = 0;
};

// The parent of a sequence's first block: a fixed value, so hashes are stable across runs of fovea.
BlockHash root_block_hash();

// Hash of one full block chained to its parent. images are those whose placeholder tokens overlap this block, in
// prompt order; cache_salt is non-empty only for the first block of a salted request
// (every later block inherits it through the chain).
BlockHash hash_block(const BlockHash& parent, std::span<const int32_t> token_ids, std::span<const BlockImageKey> images,
                     std::string_view cache_salt);

// Lower-case hex, for logs and test messages.
std::string to_hex(const base::Sha256Digest& digest);

// For unordered containers: the digest is already uniform, so its first 8 bytes are a good hash.
struct DigestHasher {
  size_t operator()(const base::Sha256Digest& digest) const {
    uint64_t out = 0;
    std::memcpy(&out, digest.data(), sizeof(out));
    return static_cast<size_t>(out);
  }
};

}  // namespace fovea::engine
