// The wall clock of `fovea bench-engine`'s timings (steps, limits, load time). Only the clock and its one helper;
// what is timed lives in the files that time it.
#pragma once

#include <chrono>

namespace fovea::cli::bench_engine {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace fovea::cli::bench_engine
