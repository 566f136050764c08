// Status / Result and the propagation macros.
#include "base/status.h"

#include <gtest/gtest.h>

namespace fovea::base {
namespace {

Result<int> parse_positive(int value) {
  if (value <= 0) return invalid_argument("value {} must be positive", value);
  return value;
}

Result<int> doubled(int value) {
  FOVEA_ASSIGN_OR_RETURN(int parsed, parse_positive(value));
  return parsed * 2;
}

Status check_both(int a, int b) {
  FOVEA_RETURN_IF_ERROR(parse_positive(a).status());
  FOVEA_RETURN_IF_ERROR(parse_positive(b).status());
  return Status();
}

TEST(StatusTest, ResultCarriesValueOrError) {
  EXPECT_EQ(*doubled(4), 8);
  Result<int> failed = doubled(-1);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(failed.status().message(), "value -1 must be positive");
}

TEST(StatusTest, ReturnIfErrorStopsAtFirstFailure) {
  EXPECT_TRUE(check_both(1, 2).ok());
  EXPECT_EQ(check_both(1, -5).message(), "value -5 must be positive");
}

TEST(StatusTest, ContextIsPrepended) {
  Status status = data_loss("header too short").with_context("model.safetensors");
  EXPECT_EQ(status.message(), "model.safetensors: header too short");
  EXPECT_EQ(status.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(Status().with_context("x").ok());
}

}  // namespace
}  // namespace fovea::base
