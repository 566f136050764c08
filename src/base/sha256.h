// Sha256: SHA-256 (FIPS 180-4) for content hashes: images (the encoder cache key) and KV block hash chains.
// Must stay a plain digest: nothing about images, tokens or blocks.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace fovea::base {

class Sha256 {
 public:
  static constexpr size_t kDigestBytes = 32;
  using Digest = std::array<uint8_t, kDigestBytes>;

  Sha256();

  void update(std::span<const uint8_t> bytes);
  void update(std::string_view text);
  // Pads and returns the digest; the object must not be updated afterwards.
  Digest finish();

  // One-shot helpers.
  static Digest digest(std::span<const uint8_t> bytes);
  static std::string to_hex(const Digest& digest);

 private:
  void process_block(const uint8_t* block);

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_ = {};
  size_t buffer_size_ = 0;
  uint64_t total_bytes_ = 0;
};

using Sha256Digest = Sha256::Digest;

}  // namespace fovea::base
