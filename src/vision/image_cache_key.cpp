// image_cache_key: a versioned, length-prefixed serialisation of bytes and options fed to SHA-256.
// Must not contain caching.
#include "vision/image_cache_key.h"

#include <array>
#include <bit>
#include <string_view>

#include "base/sha256.h"

namespace fovea::vision {
namespace {

void put_u64(base::Sha256& hasher, uint64_t value) {
  std::array<uint8_t, 8> bytes;
  for (size_t i = 0; i < 8; ++i) bytes[i] = static_cast<uint8_t>(value >> (8 * i));
  hasher.update(bytes);
}

void put_double(base::Sha256& hasher, double value) { put_u64(hasher, std::bit_cast<uint64_t>(value)); }

}  // namespace

std::string image_cache_key(std::span<const uint8_t> image_bytes, const PreprocessOptions& options) {
  base::Sha256 hasher;
  // The tag changes whenever the preprocessing itself changes meaning.
  hasher.update(std::string_view("fovea.vision.image.v1"));
  put_u64(hasher, image_bytes.size());
  hasher.update(image_bytes);
  put_u64(hasher, static_cast<uint64_t>(options.min_pixels));
  put_u64(hasher, static_cast<uint64_t>(options.max_pixels));
  put_u64(hasher, static_cast<uint64_t>(options.patch_size));
  put_u64(hasher, static_cast<uint64_t>(options.temporal_patch_size));
  put_u64(hasher, static_cast<uint64_t>(options.merge_size));
  for (double mean : options.image_mean) put_double(hasher, mean);
  for (double deviation : options.image_std) put_double(hasher, deviation);
  put_double(hasher, options.rescale_factor);
  return base::Sha256::to_hex(hasher.finish());
}

}  // namespace fovea::vision
