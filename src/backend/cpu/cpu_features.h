// Runtime CPU feature checks that pick the SIMD kernels (the binary also runs on CPUs without them).
// Must not contain kernels.
#pragma once

namespace fovea::backend::cpu {

// AVX2 + FMA + F16C: what the gemv_avx2 kernels need.
bool cpu_has_avx2_fma();

}  // namespace fovea::backend::cpu
