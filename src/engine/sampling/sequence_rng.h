// SequenceRng: the random numbers of one generated sequence, a pure function of (seed, output position). Counter
// based, so a sequence draws the same number at the same position whatever else is in the batch and after a
// preemption recomputes it. Must not contain sampling logic.
#pragma once

#include <cstdint>

namespace fovea::engine {

class SequenceRng {
 public:
  explicit SequenceRng(uint64_t seed) : seed_(seed) {}

  // A uniform double in [0, 1) for output position `position_idx` (53 random bits).
  double uniform(uint64_t position_idx) const {
    uint64_t bits = mix(seed_ ^ mix(position_idx + 0x9E3779B97F4A7C15ull));
    return static_cast<double>(bits >> 11) * 0x1.0p-53;
  }

 private:
  // SplitMix64's finalizer: a bijection of 64-bit words with full avalanche.
  static uint64_t mix(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
  }

  uint64_t seed_;
};

}  // namespace fovea::engine
