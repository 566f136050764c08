// Sha256: a small streaming SHA-256 (FIPS 180-4) for block hashes and content hashes.
// It must stay a plain digest: no knowledge of tokens, blocks or images.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace fovea::engine {

using Sha256Digest = std::array<uint8_t, 32>;

class Sha256 {
 public:
  Sha256();

  void update(std::span<const uint8_t> bytes);
  void update(std::string_view text);
  // Finishes the digest; the object must not be updated afterwards.
  Sha256Digest finish();

  static Sha256Digest digest(std::span<const uint8_t> bytes);

 private:
  void compress(const uint8_t* block);

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_{};
  size_t buffer_size_bytes_ = 0;
  uint64_t total_bytes_ = 0;
};

}  // namespace fovea::engine
