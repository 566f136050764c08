// bf16 / f16 / fp8 conversions: exhaustive round trips and known values (IEEE and OCP FP8 definitions).
#include "tensor/float_convert.h"

#include <gtest/gtest.h>

#include <cmath>

namespace fovea::tensor {
namespace {

TEST(FloatConvertTest, Bf16RoundTripsEveryFiniteValue) {
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    float value = bf16_to_float(static_cast<uint16_t>(bits));
    if (std::isnan(value)) continue;
    ASSERT_EQ(float_to_bf16(value), bits);
  }
}

TEST(FloatConvertTest, Bf16RoundsHalfToEven) {
  // 1 + 2^-8 is exactly halfway between bf16 1.0 and 1.0078125: ties go to the even mantissa (1.0).
  EXPECT_EQ(round_to_bf16(1.0f + std::ldexp(1.0f, -8)), 1.0f);
  EXPECT_EQ(round_to_bf16(1.0f + 3 * std::ldexp(1.0f, -8)), 1.0f + std::ldexp(1.0f, -6));
}

TEST(FloatConvertTest, F16RoundTripsEveryFiniteValue) {
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    float value = f16_to_float(static_cast<uint16_t>(bits));
    if (std::isnan(value)) continue;
    ASSERT_EQ(float_to_f16(value), bits) << bits;
  }
}

TEST(FloatConvertTest, F16KnownValues) {
  EXPECT_EQ(f16_to_float(0x3c00), 1.0f);
  EXPECT_EQ(f16_to_float(0x7bff), 65504.0f);
  EXPECT_EQ(f16_to_float(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(float_to_f16(65520.0f), 0x7c00);  // rounds up to infinity
  EXPECT_EQ(float_to_f16(1.0f + std::ldexp(1.0f, -11)), 0x3c00);  // tie to even
}

TEST(FloatConvertTest, F8E4M3KnownValues) {
  EXPECT_EQ(f8e4m3_to_float(0x7e), 448.0f);
  EXPECT_EQ(f8e4m3_to_float(0x38), 1.0f);
  EXPECT_EQ(f8e4m3_to_float(0x01), std::ldexp(1.0f, -9));
  EXPECT_TRUE(std::isnan(f8e4m3_to_float(0x7f)));
  EXPECT_EQ(float_to_f8e4m3(1000.0f), 0x7e);
  EXPECT_EQ(float_to_f8e4m3(-1.0f), 0xb8);
  for (uint32_t bits = 0; bits < 0x100; ++bits) {
    if ((bits & 0x7f) == 0x7f) continue;
    ASSERT_EQ(float_to_f8e4m3(f8e4m3_to_float(static_cast<uint8_t>(bits))), bits) << bits;
  }
}

TEST(FloatConvertTest, F8E5M2KnownValues) {
  EXPECT_EQ(f8e5m2_to_float(0x3c), 1.0f);
  EXPECT_EQ(f8e5m2_to_float(0x7b), 57344.0f);
  EXPECT_TRUE(std::isinf(f8e5m2_to_float(0x7c)));
}

}  // namespace
}  // namespace fovea::tensor
