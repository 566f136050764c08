// MappedFile maps files and reports missing ones clearly.
#include "base/mapped_file.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace fovea::base {
namespace {

TEST(MappedFileTest, MapsContents) {
  auto path = std::filesystem::temp_directory_path() / "fovea_mapped_file_test.bin";
  {
    std::ofstream out(path, std::ios::binary);
    out << "hello";
  }
  auto file = MappedFile::open(path.string());
  ASSERT_TRUE(file.ok()) << file.status().message();
  ASSERT_EQ(file->size_bytes(), 5u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(file->data()), 5), "hello");
  MappedFile moved = std::move(*file);
  EXPECT_EQ(moved.size_bytes(), 5u);
  std::filesystem::remove(path);
}

TEST(MappedFileTest, MissingFileIsNotFound) {
  auto file = MappedFile::open("/nonexistent/fovea/file");
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().code(), StatusCode::kNotFound);
  EXPECT_NE(file.status().message().find("/nonexistent/fovea/file"), std::string::npos);
}

TEST(MappedFileTest, EmptyFileMapsToNothing) {
  auto path = std::filesystem::temp_directory_path() / "fovea_mapped_file_empty.bin";
  { std::ofstream out(path, std::ios::binary); }
  auto file = MappedFile::open(path.string());
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->size_bytes(), 0u);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace fovea::base
