// GPU goldens: each case of tests/golden/model (HF transformers' last-position logits and 16 greedy tokens, made by
// tools/golden/make_tiny_checkpoints.py) run through the vision tower and decoder on the CUDA backend in f32 and bf16
// activations, with the CPU backend beside it in the same process; one side-by-side error table is printed at the
// end. Skips (GTEST_SKIP) without a GPU. Must not contain model code (SequenceRunner builds the steps).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "backend/cuda/cuda_factory.h"
#include "model/model.h"
#include "golden_case_util.h"
#include "sequence_runner.h"
#include "vision/image_decoder.h"
#include "vision/patchifier.h"

namespace fovea::model {
namespace {

using nlohmann::json;
using testing::argmax;
using testing::case_images;
using testing::read_bytes;
using testing::relative_error;

// The source tree of the build, or $FOVEA_SOURCE_DIR where the binary runs on another machine (the GPU script sets
// it to the copy of the repository there).
std::string source_dir() {
  const char* env = std::getenv("FOVEA_SOURCE_DIR");
  return env != nullptr && *env != '\0' ? env : FOVEA_SOURCE_DIR;
}

const std::string kDataDir = source_dir() + "/tests/golden/model/data/";
constexpr int kNumGreedySteps = 16;
// Issue 6's bar: every greedy step whose HF top-2 margin exceeds this gives HF's token.
constexpr double kGreedyMargin = 1e-2;
// In bf16 the logits are multiples of a bf16 ulp (HF's lm_head runs in bf16), and GEMMs that sum in another order
// move a logit by an ulp: a margin within 2 ulps of the top logit is a tie there (as in tests/golden/model).
constexpr double kBf16TieUlps = 2.0;
// Last-position logits against HF, max |a - b| / max |b|: the CPU goldens' bounds (tests/golden/model).
constexpr double kLogitsToleranceF32 = 1e-4;
constexpr double kLogitsToleranceBf16 = 3e-2;
// Chunked prefill (5 tokens a chunk, blocks of 7) against one prefill on the same backend, f32.
constexpr double kChunkedTolerance = 1e-5;

double bf16_ulp(float value) {
  int exponent = 0;
  std::frexp(value, &exponent);
  return std::ldexp(1.0, exponent - 8);
}

// One (checkpoint, activation dtype, backend) line of the table.
struct Row {
  std::string checkpoint;
  std::string dtype;
  std::string backend;
  int num_cases = 0;
  double worst_vs_hf = 0.0;    // last-position logits against HF
  double worst_vs_cpu = -1.0;  // the same logits against the CPU backend's (cuda rows only)
  double worst_chunked = 0.0;  // chunked prefill against one prefill (f32 only)
  int num_compared = 0;        // greedy steps above the tie threshold
  int num_matched = 0;         // of those, steps that gave HF's token
  int num_free = 0;            // steps before the first differing token (free-running greedy reproduces these)
  int num_ties_flipped = 0;    // steps at or below the tie threshold whose token differs (allowed)
};

std::vector<Row>& table() {
  static std::vector<Row> rows;
  return rows;
}

// Greedy decoding through the paged cache against HF's 16 tokens, fed HF's token at each step (teacher forcing), so
// one flipped tie does not hide the steps after it.
void run_greedy(backend::Backend& backend, Model& model, const json& c,
                const std::vector<vision::PreprocessedImage>& images, const std::string& label, double tie_ulps,
                Row& row) {
  const std::vector<int32_t> prompt = c["prompt_ids"];
  const std::vector<int32_t> expected = c["greedy_" + label];
  const std::vector<double> margins = c["greedy_" + label + "_margins"];
  ASSERT_EQ(expected.size(), static_cast<size_t>(kNumGreedySteps));
  ASSERT_EQ(margins.size(), expected.size());
  auto runner = testing::SequenceRunner::create(backend, model, prompt, images, kNumGreedySteps, 16);
  ASSERT_TRUE(runner.ok()) << runner.status().to_string();
  auto logits = (*runner)->prefill(static_cast<int64_t>(prompt.size()));
  bool free_running = true;
  for (int step = 0; step < kNumGreedySteps; ++step) {
    ASSERT_TRUE(logits.ok()) << logits.status().to_string();
    const int32_t token = argmax(*logits);
    const double margin = margins[static_cast<size_t>(step)];
    const int32_t reference = expected[static_cast<size_t>(step)];
    const double tie = std::max(kGreedyMargin, tie_ulps * bf16_ulp((*logits)[static_cast<size_t>(token)]));
    free_running = free_running && token == reference;
    row.num_free += free_running;
    if (margin > tie) {
      ++row.num_compared;
      EXPECT_EQ(token, reference) << row.backend << " " << label << " greedy step " << step << " (HF margin " << margin
                                  << ")";
      row.num_matched += token == reference;
    } else {
      row.num_ties_flipped += token != reference;
    }
    if (step + 1 < kNumGreedySteps) logits = (*runner)->decode(reference);
  }
}

class GpuGoldenTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void TearDownTestSuite() {
    if (table().empty()) return;
    std::printf("\n[ gpu golden ] last-position logits error (max |a-b| / max |ref|) and greedy steps, per backend\n");
    std::printf("%-28s %-5s %-5s %5s %11s %11s %11s %9s %6s %7s\n", "checkpoint", "act", "dev", "cases", "vs HF",
                "vs CPU", "chunked", "greedy", "free", "ties~");
    for (const Row& row : table()) {
      char vs_cpu[32] = "-";
      if (row.worst_vs_cpu >= 0.0) std::snprintf(vs_cpu, sizeof(vs_cpu), "%.2e", row.worst_vs_cpu);
      char chunked[32] = "-";
      if (row.dtype == "f32") std::snprintf(chunked, sizeof(chunked), "%.2e", row.worst_chunked);
      std::printf("%-28s %-5s %-5s %5d %11.2e %11s %11s %4d/%-4d %6d %7d\n", row.checkpoint.c_str(), row.dtype.c_str(),
                  row.backend.c_str(), row.num_cases, row.worst_vs_hf, vs_cpu, chunked, row.num_matched,
                  row.num_compared, row.num_free, row.num_ties_flipped);
    }
    std::printf(
        "bounds vs HF: f32 %.0e, bf16 %.0e; chunked %.0e; greedy steps compared where HF's top-2 margin > "
        "%.0e (bf16: and > %.0f ulps of the top logit)\n",
        kLogitsToleranceF32, kLogitsToleranceBf16, kChunkedTolerance, kGreedyMargin, kBf16TieUlps);
    std::fflush(stdout);
  }

  static std::unique_ptr<Model> load(backend::Backend& backend, const std::string& checkpoint, tensor::DType act) {
    ModelOptions options;
    options.activation_dtype = act;
    options.text_limits = {128, 4, 16};
    options.max_vision_patches = 1024;
    auto model = Model::load(kDataDir + "checkpoints/" + checkpoint, backend, options);
    EXPECT_TRUE(model.ok()) << model.status().to_string();
    return model.ok() ? std::move(model).value() : nullptr;
  }
};

TEST_P(GpuGoldenTest, LogitsAndGreedyOnCudaBesideCpu) {
  if (backend::cuda::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device (or a build without FOVEA_CUDA)";
  const std::string checkpoint = GetParam();
  auto cuda = backend::cuda::create_cuda_backend("cuda:0");
  ASSERT_TRUE(cuda.ok()) << cuda.status().to_string();
  backend::cpu::CpuBackend cpu;
  const json cases = json::parse(read_bytes(kDataDir + "cases/" + checkpoint + "/cases.json"));

  for (const auto& [act, label] :
       {std::pair{tensor::DType::kF32, std::string("f32")}, std::pair{tensor::DType::kBF16, std::string("bf16")}}) {
    std::unique_ptr<Model> cpu_model = load(cpu, checkpoint, act);
    std::unique_ptr<Model> cuda_model = load(**cuda, checkpoint, act);
    ASSERT_TRUE(cpu_model && cuda_model);
    const double tolerance = act == tensor::DType::kF32 ? kLogitsToleranceF32 : kLogitsToleranceBf16;
    const double tie_ulps = act == tensor::DType::kF32 ? 0.0 : kBf16TieUlps;
    Row cpu_row{checkpoint, label, "cpu"};
    Row cuda_row{checkpoint, label, "cuda"};
    cuda_row.worst_vs_cpu = 0.0;
    for (const json& c : cases["cases"]) {
      SCOPED_TRACE(checkpoint + "/" + c["name"].get<std::string>() + " " + label);
      const std::vector<vision::PreprocessedImage> images = case_images(kDataDir + "cases/" + checkpoint, c);
      ASSERT_EQ(images.size(), c["images"].size());
      const std::vector<int32_t> prompt = c["prompt_ids"];
      const std::vector<float> reference = c["last_logits_" + label];
      std::map<std::string, std::vector<float>> logits_of;
      backend::Backend* cpu_device = &cpu;
      for (auto [device, model, row] :
           {std::tuple{cpu_device, cpu_model.get(), &cpu_row}, std::tuple{cuda->get(), cuda_model.get(), &cuda_row}}) {
        auto whole = testing::SequenceRunner::create(*device, *model, prompt, images, 1, 16);
        ASSERT_TRUE(whole.ok()) << whole.status().to_string();
        auto logits = (*whole)->prefill(static_cast<int64_t>(prompt.size()));
        ASSERT_TRUE(logits.ok()) << logits.status().to_string();
        ASSERT_EQ(logits->size(), reference.size());
        const double error = relative_error(*logits, reference);
        row->worst_vs_hf = std::max(row->worst_vs_hf, error);
        if (row == &cuda_row) {
          EXPECT_LE(error, tolerance) << "cuda last-position logits against HF";
        }
        if (act == tensor::DType::kF32) {
          auto chunked_runner = testing::SequenceRunner::create(*device, *model, prompt, images, 1, 7);
          ASSERT_TRUE(chunked_runner.ok()) << chunked_runner.status().to_string();
          auto chunked = (*chunked_runner)->prefill(5);
          ASSERT_TRUE(chunked.ok()) << chunked.status().to_string();
          const double chunked_error = relative_error(*chunked, *logits);
          row->worst_chunked = std::max(row->worst_chunked, chunked_error);
          if (row == &cuda_row) {
            EXPECT_LE(chunked_error, kChunkedTolerance) << "cuda chunked prefill";
          }
        }
        logits_of[row->backend] = std::move(logits).value();
        run_greedy(*device, *model, c, images, label, tie_ulps, *row);
        ++row->num_cases;
      }
      cuda_row.worst_vs_cpu = std::max(cuda_row.worst_vs_cpu, relative_error(logits_of["cuda"], logits_of["cpu"]));
    }
    EXPECT_EQ(cuda_row.num_matched, cuda_row.num_compared);
    table().push_back(cpu_row);
    table().push_back(cuda_row);
  }
}

INSTANTIATE_TEST_SUITE_P(Checkpoints, GpuGoldenTest,
                         ::testing::Values("qwen3-tiny", "qwen3-vl-tiny", "qwen3-vl-tiny-untied-legacy"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace fovea::model
