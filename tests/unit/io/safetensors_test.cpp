// Safetensors validation: every supported dtype loads, every malformed class is a clear error naming the problem.
#include <gtest/gtest.h>

#include <random>

#include "io/safetensors_file.h"
#include "io/safetensors_header.h"
#include "io_test_util.h"
#include "tensor/dtype.h"

namespace fovea::io {
namespace {

using nlohmann::json;
using testing::as_bytes;
using testing::expect_error;
using testing::safetensors_bytes;

base::Result<SafetensorsHeader> parse(const std::string& bytes) { return parse_safetensors(as_bytes(bytes), "t.st"); }

std::string entry(const std::string& dtype, const json& shape, uint64_t begin, uint64_t end) {
  return json{{"dtype", dtype}, {"shape", shape}, {"data_offsets", {begin, end}}}.dump();
}

TEST(SafetensorsTest, LoadsEveryDtype) {
  struct Case {
    const char* name;
    tensor::DType dtype;
    int size_bytes;
  };
  const Case cases[] = {{"BOOL", tensor::DType::kBool, 1},      {"U8", tensor::DType::kU8, 1},
                        {"I8", tensor::DType::kI8, 1},          {"I16", tensor::DType::kI16, 2},
                        {"I32", tensor::DType::kI32, 4},        {"I64", tensor::DType::kI64, 8},
                        {"F16", tensor::DType::kF16, 2},        {"BF16", tensor::DType::kBF16, 2},
                        {"F32", tensor::DType::kF32, 4},        {"F64", tensor::DType::kF64, 8},
                        {"F8_E4M3", tensor::DType::kF8E4M3, 1}, {"F8_E5M2", tensor::DType::kF8E5M2, 1}};
  json header = json::object();
  uint64_t offset = 0;
  for (const Case& c : cases) {
    uint64_t size = 6 * static_cast<uint64_t>(c.size_bytes);
    header[std::string("t_") + c.name] = {
        {"dtype", c.name}, {"shape", {2, 3}}, {"data_offsets", {offset, offset + size}}};
    offset += size;
  }
  std::string bytes = safetensors_bytes(header.dump(), offset);
  auto parsed = parse(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  ASSERT_EQ(parsed->tensors.size(), std::size(cases));
  EXPECT_EQ(parsed->data_size_bytes, offset);
  for (const Case& c : cases) {
    auto it = std::find_if(parsed->tensors.begin(), parsed->tensors.end(),
                           [&](const SafetensorsTensorInfo& info) { return info.name == std::string("t_") + c.name; });
    ASSERT_NE(it, parsed->tensors.end()) << c.name;
    EXPECT_EQ(it->dtype, c.dtype) << c.name;
    EXPECT_EQ(it->shape, (tensor::Shape{2, 3})) << c.name;
    EXPECT_EQ(it->size_bytes(), 6u * static_cast<uint64_t>(c.size_bytes)) << c.name;
  }
}

TEST(SafetensorsTest, ViewsPointIntoTheMapping) {
  testing::TempDir dir;
  std::string header = "{\"a\":" + entry("F32", {2}, 0, 8) + ",\"b\":" + entry("U8", {4}, 8, 12) +
                       ",\"__metadata__\":{\"format\":\"pt\"}}";
  dir.write("x.safetensors", safetensors_bytes(header, 12));
  auto file = SafetensorsFile::open(dir.file("x.safetensors"));
  ASSERT_TRUE(file.ok()) << file.status().message();
  ASSERT_EQ(file->header().tensors.size(), 2u);
  EXPECT_EQ(file->header().metadata, (std::vector<std::pair<std::string, std::string>>{{"format", "pt"}}));
  tensor::TensorView b = file->view(1);
  EXPECT_EQ(b.dtype, tensor::DType::kU8);
  ASSERT_EQ(b.size_bytes(), 4u);
  EXPECT_EQ(b.as<uint8_t>()[0], 8);  // data bytes count up from 0
  EXPECT_EQ(b.as<uint8_t>()[3], 11);
}

TEST(SafetensorsTest, ScalarsEmptyTensorsAndPaddedHeaders) {
  // A scalar (rank 0, one element), an empty tensor sharing its offset, and the reference writer's space padding.
  std::string header =
      "{\"s\":" + entry("F32", json::array(), 0, 4) + ",\"e\":" + entry("BF16", {0, 7}, 4, 4) + "}      ";
  auto parsed = parse(safetensors_bytes(header, 4));
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  ASSERT_EQ(parsed->tensors.size(), 2u);
  EXPECT_EQ(parsed->tensors[0].shape.rank(), 0);
  EXPECT_EQ(parsed->tensors[1].size_bytes(), 0u);
  EXPECT_TRUE(parse(safetensors_bytes("{}", 0)).ok());
}

TEST(SafetensorsTest, TruncatedFiles) {
  expect_error(parse(std::string(5, '\0')), {"t.st", "5 bytes", "too short"});
  std::string bytes = safetensors_bytes("{\"a\":" + entry("F32", {4}, 0, 16) + "}", 16);
  expect_error(parse(bytes.substr(0, bytes.size() - 3)), {"t.st", "\"a\"", "run past the end of the data section"});
  expect_error(parse(bytes.substr(0, 20)), {"t.st", "runs past the end of the file", "truncated"});
}

TEST(SafetensorsTest, HeaderTooLong) {
  std::string bytes(8, '\0');
  uint64_t length = kMaxSafetensorsHeaderBytes + 1;
  for (int byte_idx = 0; byte_idx < 8; ++byte_idx)
    bytes[byte_idx] = static_cast<char>((length >> (8 * byte_idx)) & 0xff);
  bytes += "{}";
  expect_error(parse(bytes), {"t.st", "100000001", "more than the 100000000 bytes allowed"});
}

TEST(SafetensorsTest, HeaderNotAJsonObject) {
  expect_error(parse(safetensors_bytes("[1, 2]", 0)), {"t.st", "must be a JSON object"});
  expect_error(parse(safetensors_bytes(" {}", 0)), {"t.st", "must be a JSON object"});
  expect_error(parse(safetensors_bytes("{\"a\": }", 0)), {"t.st", "not valid JSON"});
  expect_error(parse(safetensors_bytes("{} x", 0)), {"t.st", "not valid JSON"});
  expect_error(parse(safetensors_bytes("{\"a\": 3}", 0)), {"t.st", "tensor \"a\"", "must be an object"});
}

TEST(SafetensorsTest, DeepNestingIsRefused) {
  std::string deep = "{\"__metadata__\":" + std::string(100, '[') + std::string(100, ']') + "}";
  expect_error(parse(safetensors_bytes(deep, 0)), {"t.st", "more than 64 deep"});
}

TEST(SafetensorsTest, OverlappingRanges) {
  std::string header = "{\"a\":" + entry("F32", {2}, 0, 8) + ",\"b\":" + entry("F32", {2}, 4, 12) + "}";
  expect_error(parse(safetensors_bytes(header, 12)), {"t.st", "\"a\"", "\"b\"", "overlap"});
}

TEST(SafetensorsTest, HolesAndTrailingBytes) {
  std::string hole = "{\"a\":" + entry("F32", {1}, 0, 4) + ",\"b\":" + entry("F32", {1}, 8, 12) + "}";
  expect_error(parse(safetensors_bytes(hole, 12)), {"t.st", "[4, 8)", "belong to no tensor"});
  std::string trailing = "{\"a\":" + entry("F32", {1}, 0, 4) + "}";
  expect_error(parse(safetensors_bytes(trailing, 9)), {"t.st", "9 bytes", "cover only 4", "trailing"});
}

TEST(SafetensorsTest, OffsetsOutOfRange) {
  std::string header = "{\"a\":" + entry("F32", {2}, 0, 8) + "}";
  expect_error(parse(safetensors_bytes(header, 4)),
               {"\"a\"", "[0, 8]", "run past the end of the data section (4 bytes)"});
  std::string reversed = "{\"a\":" + entry("F32", {0}, 8, 4) + "}";
  expect_error(parse(safetensors_bytes(reversed, 8)), {"\"a\"", "end before they begin"});
  std::string negative = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}";
  expect_error(parse(safetensors_bytes(negative, 0)), {"\"a\"", "data_offsets", "non-negative"});
  std::string three = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}";
  expect_error(parse(safetensors_bytes(three, 4)), {"\"a\"", "two integers"});
}

TEST(SafetensorsTest, SizeMismatch) {
  std::string header = "{\"w\":" + entry("F32", {2, 2}, 0, 8) + "}";
  expect_error(parse(safetensors_bytes(header, 8)), {"size mismatch", "\"w\"", "[2, 2]", "16 bytes", "give 8"});
}

TEST(SafetensorsTest, OverflowingShapes) {
  uint64_t huge = uint64_t{1} << 62;
  expect_error(parse(safetensors_bytes("{\"w\":" + entry("F32", {huge, 8}, 0, 0) + "}", 0)),
               {"\"w\"", "too large", "overflows"});
  expect_error(parse(safetensors_bytes("{\"w\":" + entry("U8", {huge, 2}, 0, 0) + "}", 0)), {"\"w\"", "too large"});
  expect_error(parse(safetensors_bytes("{\"w\":" + entry("BF16", {huge, 1}, 0, 0) + "}", 0)), {"\"w\"", "too large"});
  // A huge dimension times zero is an empty tensor, not an overflow.
  EXPECT_TRUE(parse(safetensors_bytes("{\"w\":" + entry("F32", {huge, 0}, 0, 0) + "}", 0)).ok());
  std::string negative = "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,0]}}";
  expect_error(parse(safetensors_bytes(negative, 0)), {"\"w\"", "non-negative"});
  std::string fractional = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,0]}}";
  expect_error(parse(safetensors_bytes(fractional, 0)), {"\"w\"", "non-negative integers"});
  std::string too_big = "{\"w\":{\"dtype\":\"F32\",\"shape\":[18446744073709551615],\"data_offsets\":[0,0]}}";
  expect_error(parse(safetensors_bytes(too_big, 0)), {"\"w\"", "below 2^63"});
}

TEST(SafetensorsTest, DuplicateNames) {
  std::string header = "{\"a\":" + entry("F32", {1}, 0, 4) + ",\"a\":" + entry("F32", {1}, 4, 8) + "}";
  expect_error(parse(safetensors_bytes(header, 8)), {"t.st", "\"a\" twice"});
  std::string nested = "{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
  expect_error(parse(safetensors_bytes(nested, 4)), {"\"dtype\" twice"});
}

TEST(SafetensorsTest, UnsupportedDtypeNamesDtypeAndTensor) {
  auto parsed = parse(safetensors_bytes("{\"layer.w\":" + entry("U16", {2}, 0, 4) + "}", 4));
  expect_error(parsed, {"unsupported dtype U16 in tensor layer.w"});
  EXPECT_EQ(parsed.status().code(), base::StatusCode::kUnsupported);
  expect_error(parse(safetensors_bytes("{\"x\":" + entry("F4", {2}, 0, 1) + "}", 1)),
               {"unsupported dtype F4 in tensor x"});
}

TEST(SafetensorsTest, MissingOrMistypedFields) {
  expect_error(parse(safetensors_bytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 0)), {"\"a\"", "data_offsets"});
  expect_error(parse(safetensors_bytes("{\"a\":{\"dtype\":7,\"shape\":[1],\"data_offsets\":[0,4]}}", 4)),
               {"dtype of tensor \"a\"", "must be a string"});
  expect_error(parse(safetensors_bytes("{\"a\":{\"dtype\":\"F32\",\"shape\":4,\"data_offsets\":[0,4]}}", 4)),
               {"shape of tensor \"a\"", "list of integers"});
}

TEST(SafetensorsTest, MetadataMustMapStringsToStrings) {
  expect_error(parse(safetensors_bytes("{\"__metadata__\":{\"format\":1}}", 0)),
               {"__metadata__", "\"format\"", "string"});
  expect_error(parse(safetensors_bytes("{\"__metadata__\":[1]}", 0)), {"__metadata__", "object of strings"});
}

TEST(SafetensorsTest, OpenNamesTheFile) {
  testing::TempDir dir;
  dir.write("bad.safetensors", "short");
  auto file = SafetensorsFile::open(dir.file("bad.safetensors"));
  expect_error(file, {dir.file("bad.safetensors"), "too short"});
  expect_error(SafetensorsFile::open(dir.file("missing.safetensors")), {"missing.safetensors"});
}

TEST(SafetensorsTest, RandomBytesNeverCrash) {
  std::mt19937 rng(1234);
  std::string header = "{\"a\":" + entry("F32", {2}, 0, 8) + ",\"b\":" + entry("I8", {3}, 8, 11) + "}";
  std::string valid = safetensors_bytes(header, 11);
  int num_ok = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    std::string bytes = valid;
    int num_flips = 1 + static_cast<int>(rng() % 4);
    for (int flip = 0; flip < num_flips; ++flip) bytes[rng() % bytes.size()] = static_cast<char>(rng() & 0xff);
    if (rng() % 4 == 0) bytes.resize(rng() % bytes.size());
    num_ok += parse(bytes).ok() ? 1 : 0;
  }
  EXPECT_LT(num_ok, 2000);  // most corruptions are caught (the rest hit the data bytes)
}

}  // namespace
}  // namespace fovea::io
