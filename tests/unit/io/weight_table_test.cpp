// WeightTable: single-file and sharded checkpoints as one name -> tensor table; index and shard errors.
#include "io/weight_table.h"

#include <gtest/gtest.h>

#include "io/safetensors_index.h"
#include "io_test_util.h"

namespace fovea::io {
namespace {

using nlohmann::json;
using testing::expect_error;
using testing::safetensors_bytes;

// A shard holding F32 tensors of 2 elements each, named as given.
std::string shard_with(const std::vector<std::string>& names) {
  json header = json::object();
  uint64_t offset = 0;
  for (const std::string& name : names) {
    header[name] = {{"dtype", "F32"}, {"shape", {2}}, {"data_offsets", {offset, offset + 8}}};
    offset += 8;
  }
  return safetensors_bytes(header.dump(), offset);
}

std::string index_with(const json& weight_map) {
  return json{{"metadata", {{"total_size", 8 * weight_map.size()}}}, {"weight_map", weight_map}}.dump();
}

TEST(WeightTableTest, SingleFile) {
  testing::TempDir dir;
  dir.write("model.safetensors", shard_with({"b.weight", "a.weight"}));
  ASSERT_TRUE(WeightTable::has_weights(dir.path()));
  auto table = WeightTable::open(dir.path());
  ASSERT_TRUE(table.ok()) << table.status().message();
  EXPECT_FALSE(table->sharded());
  EXPECT_EQ(table->num_files(), 1);
  EXPECT_EQ(table->num_tensors(), 2u);
  EXPECT_EQ(table->total_bytes(), 16u);
  EXPECT_EQ(table->entries().begin()->first, "a.weight");  // iteration is sorted by name
  const WeightEntry* b = table->find("b.weight");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->view.shape, (tensor::Shape{2}));
  EXPECT_EQ(b->view.as<uint8_t>()[0], 0);  // "b.weight" was written first: data bytes [0, 8)
  EXPECT_EQ(table->find("c.weight"), nullptr);
}

TEST(WeightTableTest, ShardedAcrossFiles) {
  testing::TempDir dir;
  dir.write("model-00001-of-00002.safetensors", shard_with({"x", "y"}));
  dir.write("model-00002-of-00002.safetensors", shard_with({"z"}));
  dir.write("model.safetensors.index.json", index_with({{"x", "model-00001-of-00002.safetensors"},
                                                        {"y", "model-00001-of-00002.safetensors"},
                                                        {"z", "model-00002-of-00002.safetensors"}}));
  auto table = WeightTable::open(dir.path());
  ASSERT_TRUE(table.ok()) << table.status().message();
  EXPECT_TRUE(table->sharded());
  EXPECT_EQ(table->num_files(), 2);
  EXPECT_EQ(table->num_tensors(), 3u);
  EXPECT_EQ(table->total_bytes(), 24u);
  const WeightEntry* z = table->find("z");
  ASSERT_NE(z, nullptr);
  EXPECT_EQ(table->file_names()[static_cast<size_t>(z->file_idx)], "model-00002-of-00002.safetensors");
}

TEST(WeightTableTest, MissingShard) {
  testing::TempDir dir;
  dir.write("model-00001-of-00002.safetensors", shard_with({"x"}));
  dir.write("model.safetensors.index.json",
            index_with({{"x", "model-00001-of-00002.safetensors"}, {"z", "model-00002-of-00002.safetensors"}}));
  expect_error(WeightTable::open(dir.path()), {"model-00002-of-00002.safetensors", "model.safetensors.index.json"});
}

TEST(WeightTableTest, BadShardNames) {
  for (std::string bad : {"../x.safetensors", "/etc/passwd", "sub/model.safetensors", "..", ".", "a\\b", ""}) {
    testing::TempDir dir;
    dir.write("model.safetensors.index.json", index_with({{"x", bad}}));
    auto table = WeightTable::open(dir.path());
    expect_error(table, {"shard name \"" + bad + "\"", "not a plain file name"});
  }
}

TEST(WeightTableTest, IndexErrors) {
  testing::TempDir dir;
  dir.write("model-00001-of-00001.safetensors", shard_with({"x"}));
  dir.write("model.safetensors.index.json",
            index_with({{"x", "model-00001-of-00001.safetensors"}, {"ghost", "model-00001-of-00001.safetensors"}}));
  expect_error(WeightTable::open(dir.path()), {"\"ghost\"", "that shard has no such tensor"});

  dir.write(
      "model.safetensors.index.json",
      "{\"weight_map\": {\"x\": \"model-00001-of-00001.safetensors\", \"x\": \"model-00001-of-00001.safetensors\"}}");
  expect_error(WeightTable::open(dir.path()), {"model.safetensors.index.json", "\"x\" twice"});

  dir.write("model.safetensors.index.json", "{\"metadata\": {}}");
  expect_error(WeightTable::open(dir.path()), {"model.safetensors.index.json", "weight_map"});

  dir.write("model.safetensors.index.json", "{\"weight_map\": {\"x\": 3}}");
  expect_error(WeightTable::open(dir.path()), {"weight_map[\"x\"]", "shard file name"});

  dir.write("model.safetensors.index.json", "not json");
  expect_error(WeightTable::open(dir.path()), {"model.safetensors.index.json", "not valid JSON"});
}

TEST(WeightTableTest, TensorInTwoShards) {
  testing::TempDir dir;
  dir.write("a.safetensors", shard_with({"x"}));
  dir.write("b.safetensors", shard_with({"x", "y"}));
  dir.write("model.safetensors.index.json", index_with({{"x", "a.safetensors"}, {"y", "b.safetensors"}}));
  expect_error(WeightTable::open(dir.path()), {"\"x\"", "a.safetensors", "b.safetensors", "once"});
}

TEST(WeightTableTest, MalformedShardNamesTheFile) {
  testing::TempDir dir;
  dir.write("a.safetensors", safetensors_bytes("{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,8]}}", 8));
  dir.write("model.safetensors.index.json", index_with({{"x", "a.safetensors"}}));
  expect_error(WeightTable::open(dir.path()), {"a.safetensors", "size mismatch"});
}

TEST(WeightTableTest, NoWeights) {
  testing::TempDir dir;
  EXPECT_FALSE(WeightTable::has_weights(dir.path()));
  auto table = WeightTable::open(dir.path());
  expect_error(table, {dir.path(), "no weights", "model.safetensors"});
  EXPECT_EQ(table.status().code(), base::StatusCode::kNotFound);
}

TEST(WeightTableTest, IndexParserKeepsTotalSizeAndSortedShards) {
  auto index = parse_safetensors_index(index_with({{"b", "s2"}, {"a", "s1"}, {"c", "s1"}}), "idx");
  ASSERT_TRUE(index.ok()) << index.status().message();
  EXPECT_EQ(index->shard_files, (std::vector<std::string>{"s1", "s2"}));
  EXPECT_EQ(index->total_size_bytes, 24u);
  expect_error(parse_safetensors_index("{\"weight_map\": {}}", "idx"), {"idx", "empty"});
}

// The generator's folders: what the files hold matches what it wrote (tools/golden/make_model_folders.py).
TEST(WeightTableTest, FixtureFolders) {
  for (const char* name : {"qwen3-vl-tiny", "qwen3-tiny", "qwen3-vl-tiny-legacy"}) {
    json expected = testing::expected_for(name).at("weights");
    auto table = WeightTable::open(testing::fixture(name));
    ASSERT_TRUE(table.ok()) << table.status().message();
    EXPECT_EQ(table->num_files(), expected.at("num_shards").get<int>()) << name;
    EXPECT_EQ(table->file_names(), expected.at("files").get<std::vector<std::string>>()) << name;
    EXPECT_EQ(table->num_tensors(), expected.at("num_tensors").get<size_t>()) << name;
    EXPECT_EQ(table->total_bytes(), expected.at("total_bytes").get<uint64_t>()) << name;
  }
  for (const char* name : {"qwen3-vl-32b-instruct", "qwen3-vl-30b-a3b-instruct"}) {
    EXPECT_FALSE(WeightTable::has_weights(testing::fixture(name))) << name;
  }
  // The sharded fixture's index agrees with the shards (checked by open) and spans both files.
  auto table = WeightTable::open(testing::fixture("qwen3-vl-tiny"));
  ASSERT_TRUE(table.ok());
  EXPECT_NE(table->find("model.visual.patch_embed.proj.weight"), nullptr);
  EXPECT_NE(table->find("lm_head.weight"), nullptr);
}

}  // namespace
}  // namespace fovea::io
