// Weight-loading progress (ModelOptions::on_load_progress) at TP=1 and on both ranks of TP=2 (CPU rank threads):
// every rank goes through the checkpoint to the WeightTable's bytes and tensors less those the model does not use,
// monotonically, with smaller device bytes at TP=2; a dense TP=1 load reads as before (checkpoint bytes == device
// bytes); dummy weights report device bytes and no total. Must not test the printer's wording (engine).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "backend/communicator.h"
#include "backend/cpu/cpu_backend.h"
#include "io/weight_table.h"
#include "model/model.h"
#include "model_test_util.h"

namespace fovea::model {
namespace {

using testing::checkpoint_dir;

ModelOptions small_options() {
  ModelOptions options;
  options.activation_dtype = tensor::DType::kF32;
  options.text_limits = {16, 1, 4};
  options.max_vision_patches = 0;
  return options;
}

// The reports every rank of a tp_size load received, in order (empty on a rank whose load failed: the test fails).
std::vector<std::vector<LoadProgress>> load_reports(const std::string& dir, int tp_size, ModelOptions options) {
  std::vector<std::unique_ptr<backend::cpu::CpuBackend>> backends;
  std::vector<backend::Backend*> pointers;
  for (int rank = 0; rank < tp_size; ++rank) {
    backends.push_back(std::make_unique<backend::cpu::CpuBackend>(backend::cpu::CpuBackendOptions{.num_threads = 1}));
    pointers.push_back(backends.back().get());
  }
  std::vector<std::unique_ptr<backend::Communicator>> communicators;
  if (tp_size > 1) {
    auto made = backend::create_communicators(pointers);
    EXPECT_TRUE(made.ok()) << made.status().to_string();
    if (!made.ok()) return {};
    communicators = std::move(made).value();
  }
  std::vector<std::vector<LoadProgress>> reports(static_cast<size_t>(tp_size));
  std::vector<std::string> errors(static_cast<size_t>(tp_size));
  std::vector<std::thread> threads;
  for (int rank = 0; rank < tp_size; ++rank) {
    threads.emplace_back([&, rank] {
      const auto idx = static_cast<size_t>(rank);
      ModelOptions rank_options = options;
      rank_options.tp_size = tp_size;
      rank_options.tp_rank = rank;
      rank_options.communicator = tp_size > 1 ? communicators[idx].get() : nullptr;
      rank_options.on_load_progress = [&reports, idx](const LoadProgress& progress) {
        reports[idx].push_back(progress);
      };
      auto model = Model::load(dir, *backends[idx], rank_options);
      if (!model.ok()) {
        errors[idx] = model.status().to_string();
        reports[idx].clear();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int rank = 0; rank < tp_size; ++rank) {
    EXPECT_EQ(errors[static_cast<size_t>(rank)], "") << dir << " tp " << tp_size << " rank " << rank;
  }
  return reports;
}

// Every report of one rank: totals fixed, counts never going back, never past the totals.
void expect_monotonic(const std::vector<LoadProgress>& reports, const std::string& label) {
  for (size_t idx = 1; idx < reports.size(); ++idx) {
    const LoadProgress& before = reports[idx - 1];
    const LoadProgress& now = reports[idx];
    EXPECT_GE(now.bytes_loaded, before.bytes_loaded) << label << " report " << idx;
    EXPECT_GE(now.num_tensors_loaded, before.num_tensors_loaded) << label << " report " << idx;
    EXPECT_GE(now.device_bytes, before.device_bytes) << label << " report " << idx;
    EXPECT_EQ(now.bytes_total, before.bytes_total) << label << " report " << idx;
    EXPECT_EQ(now.num_tensors_total, before.num_tensors_total) << label << " report " << idx;
    EXPECT_LE(now.bytes_loaded, now.bytes_total) << label << " report " << idx;
    EXPECT_LE(now.num_tensors_loaded, now.num_tensors_total) << label << " report " << idx;
  }
}

// Loads `dir` at TP=1 and TP=2 and checks the reports against its WeightTable, less `unused` (tensors the model
// does not load). Returns TP=1's last report.
LoadProgress expect_progress_through_checkpoint(const std::string& dir, const ModelOptions& options,
                                                const std::vector<std::string>& unused = {}) {
  auto table = io::WeightTable::open(dir);
  EXPECT_TRUE(table.ok()) << table.status().to_string();
  if (!table.ok()) return {};
  uint64_t expected_bytes = table->total_bytes();
  auto expected_tensors = static_cast<int64_t>(table->num_tensors());
  for (const std::string& name : unused) {
    const io::WeightEntry* entry = table->find(name);
    EXPECT_NE(entry, nullptr) << name;
    if (entry == nullptr) continue;
    expected_bytes -= entry->size_bytes;
    --expected_tensors;
  }

  const std::vector<std::vector<LoadProgress>> one = load_reports(dir, 1, options);
  if (one.size() != 1 || one[0].empty()) {
    ADD_FAILURE() << dir << ": no reports at TP=1";
    return {};
  }
  const LoadProgress& whole = one[0].back();
  expect_monotonic(one[0], dir + " tp 1");
  EXPECT_EQ(whole.bytes_total, table->total_bytes()) << dir;
  EXPECT_EQ(whole.num_tensors_total, static_cast<int64_t>(table->num_tensors())) << dir;
  EXPECT_EQ(whole.bytes_loaded, expected_bytes) << dir << " tp 1";
  EXPECT_EQ(whole.num_tensors_loaded, expected_tensors) << dir << " tp 1";

  const std::vector<std::vector<LoadProgress>> two = load_reports(dir, 2, options);
  EXPECT_EQ(two.size(), 2u) << dir;
  for (size_t rank = 0; rank < two.size(); ++rank) {
    const std::string label = dir + " tp 2 rank " + std::to_string(rank);
    if (two[rank].empty()) {
      ADD_FAILURE() << label << ": no reports";
      continue;
    }
    expect_monotonic(two[rank], label);
    // One report per tensor and Linear module, as at TP=1.
    EXPECT_EQ(two[rank].size(), one[0].size()) << label;
    const LoadProgress& last = two[rank].back();
    EXPECT_EQ(last.bytes_total, whole.bytes_total) << label;
    EXPECT_EQ(last.num_tensors_total, whole.num_tensors_total) << label;
    EXPECT_EQ(last.bytes_loaded, expected_bytes) << label;
    EXPECT_EQ(last.num_tensors_loaded, expected_tensors) << label;
    EXPECT_LT(last.device_bytes, whole.device_bytes) << label;
    EXPECT_GT(last.device_bytes, 0u) << label;
  }
  return whole;
}

TEST(LoadProgressTest, DenseCheckpointReadsAsBeforeAtOneRankAndCompletesOnEveryRankOfTwo) {
  const std::string dir = checkpoint_dir("qwen3-tiny");
  expect_progress_through_checkpoint(dir, small_options());
  // TP=1, dense: the checkpoint bytes are the device bytes on every report (the percentage of before).
  const std::vector<std::vector<LoadProgress>> one = load_reports(dir, 1, small_options());
  ASSERT_EQ(one.size(), 1u);
  ASSERT_FALSE(one[0].empty());
  for (const LoadProgress& progress : one[0]) EXPECT_EQ(progress.bytes_loaded, progress.device_bytes);
}

TEST(LoadProgressTest, VisionCheckpointCompletesWithTheVisionTowerSplitOrWhole) {
  ModelOptions options = small_options();
  for (const char* name : {"qwen3-vl-tiny", "qwen3-vl-tiny-untied-legacy"}) {
    for (bool shard_vision : {true, false}) {
      options.shard_vision_weights = shard_vision;
      SCOPED_TRACE(std::string(name) + (shard_vision ? " vision split" : " vision whole"));
      expect_progress_through_checkpoint(checkpoint_dir(name), options);
    }
  }
}

TEST(LoadProgressTest, QuantizedCheckpointsCountEveryStoredTensorOfALinearOnce) {
  // The quantized tiny checkpoints that shard at TP=2 (model_tp_golden_test lists the refusals): a Linear's codes,
  // scales, zero points, group indices and compressed-tensors' weight_shape are each counted whole, once, on every
  // rank, though each rank keeps only its part (and the device holds them repacked).
  for (const char* name :
       {"awq-gemm", "ct-w4a16-gptq", "ct-w4a16-asym-awq", "ct-fp8-dynamic", "ct-w8a16", "gptq-int8-asym"}) {
    SCOPED_TRACE(name);
    expect_progress_through_checkpoint(checkpoint_dir(std::string("quant/") + name), small_options());
  }
}

TEST(LoadProgressTest, TensorsTheModelDoesNotLoadAreLeftOut) {
  // A tied model ignores a stored lm_head.weight (as HF does): the load ends short of the checkpoint by exactly it.
  const testing::TempDir dir;
  std::vector<testing::RawTensor> tensors = testing::checkpoint_tensors("qwen3-tiny");
  testing::RawTensor lm_head;
  for (const testing::RawTensor& tensor : tensors) {
    if (tensor.name == "model.embed_tokens.weight") lm_head = tensor;
  }
  ASSERT_FALSE(lm_head.bytes.empty());
  lm_head.name = "lm_head.weight";
  tensors.push_back(lm_head);
  testing::write_model_folder(dir, "qwen3-tiny", tensors);
  const LoadProgress last = expect_progress_through_checkpoint(dir.path(), small_options(), {"lm_head.weight"});
  EXPECT_EQ(last.bytes_total - last.bytes_loaded, lm_head.bytes.size());
}

TEST(LoadProgressTest, DummyWeightsReportDeviceBytesWithoutATotal) {
  ModelOptions options = small_options();
  options.load_format = LoadFormat::kDummy;
  const std::string dir = checkpoint_dir("qwen3-tiny");
  const std::vector<std::vector<LoadProgress>> one = load_reports(dir, 1, options);
  const std::vector<std::vector<LoadProgress>> two = load_reports(dir, 2, options);
  ASSERT_EQ(one.size(), 1u);
  ASSERT_FALSE(one[0].empty());
  ASSERT_EQ(two.size(), 2u);
  for (const std::vector<LoadProgress>& reports : {one[0], two[0], two[1]}) {
    ASSERT_FALSE(reports.empty());
    for (size_t idx = 0; idx < reports.size(); ++idx) {
      EXPECT_EQ(reports[idx].bytes_total, 0u);
      EXPECT_EQ(reports[idx].num_tensors_total, 0);
      EXPECT_EQ(reports[idx].bytes_loaded, reports[idx].device_bytes);
      // Today's count: one per tensor or Linear made.
      EXPECT_EQ(reports[idx].num_tensors_loaded, static_cast<int64_t>(idx) + 1);
    }
    EXPECT_EQ(reports.size(), one[0].size());
  }
  EXPECT_LT(two[0].back().device_bytes, one[0].back().device_bytes);
}

}  // namespace
}  // namespace fovea::model
