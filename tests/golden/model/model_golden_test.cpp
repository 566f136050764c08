// Model goldens: each case of data/cases/*/cases.json (tools/golden/make_tiny_checkpoints.py, HF transformers) run
// through fovea on the CPU backend: pixels from the case's resized PNG, vision tower + decoder in f32 against HF's
// last-position logits, greedy decoding in f32 and bf16 (fed HF's tokens) against HF's greedy tokens, and chunked
// prefill (5 tokens per chunk, vision rows split across chunks) against one prefill; bf16 last-position logits
// against HF's.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "backend/cpu/cpu_backend.h"
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

const std::string kDataDir = std::string(FOVEA_SOURCE_DIR) + "/tests/golden/model/data/";
constexpr int kNumGreedySteps = 16;
constexpr double kMarginFloor = 1e-3;  // steps whose top-2 reference margin is below this are ties: stop there
constexpr double kLogitsTolerance = 1e-4;
constexpr double kChunkedTolerance = 1e-5;
// bf16: HF's CPU attention rounds differently once a prompt passes 14-16 tokens (its own results for a row change
// with the prompt length, and its eager attention differs from its sdpa one by 0.5-2e-2), so bf16 runs agree within
// bf16 rounding rather than bit for bit: ~1e-2 of the largest logit. A greedy step whose reference margin is within
// 2 ulps of the logits is a tie.
constexpr double kLogitsToleranceBf16 = 3e-2;
constexpr double kBf16TieUlps = 2.0;

json read_cases(const std::string& checkpoint) {
  return json::parse(read_bytes(kDataDir + "cases/" + checkpoint + "/cases.json"));
}

// One bf16 ulp at |value|: the spacing of bf16 logits around it.
double bf16_ulp(float value) {
  int exponent = 0;
  std::frexp(value, &exponent);
  return std::ldexp(1.0, exponent - 8);
}

struct GreedyResult {
  int num_compared = 0;  // steps whose reference top-2 margin is above the tie threshold
  int num_matched = 0;   // of those, steps whose token equals the reference (all of them when correct)
  int num_free = 0;      // steps before the first differing token: what free-running greedy decoding reproduces
  int num_ties_flipped = 0;  // steps at or below the tie threshold whose token differs (allowed)
};

// Greedy decoding through the paged cache against HF's 16 greedy tokens. Each step is fed HF's token (teacher
// forcing), so one flipped tie does not hide the steps after it: while the tokens agree this is exactly free-running
// greedy decoding. Every step whose reference top-2 margin exceeds the tie threshold (kMarginFloor, or tie_ulps
// bf16 ulps of the top logit when larger) must give HF's token.
GreedyResult run_greedy(backend::Backend& backend, Model& model, const json& c,
                        const std::vector<vision::PreprocessedImage>& images, const char* label, double tie_ulps) {
  const std::vector<int32_t> prompt = c["prompt_ids"];
  const std::vector<int32_t> expected = c[std::string("greedy_") + label];
  const std::vector<double> margins = c[std::string("greedy_") + label + "_margins"];
  GreedyResult result;
  EXPECT_EQ(expected.size(), static_cast<size_t>(kNumGreedySteps));
  EXPECT_EQ(margins.size(), expected.size());
  if (expected.size() != static_cast<size_t>(kNumGreedySteps) || margins.size() != expected.size()) return result;
  auto runner = testing::SequenceRunner::create(backend, model, prompt, images, kNumGreedySteps, 16);
  EXPECT_TRUE(runner.ok()) << runner.status().to_string();
  if (!runner.ok()) return result;
  auto logits = (*runner)->prefill(static_cast<int64_t>(prompt.size()));
  bool free_running = true;
  for (int step = 0; step < kNumGreedySteps; ++step) {
    EXPECT_TRUE(logits.ok()) << logits.status().to_string();
    if (!logits.ok()) break;
    const int32_t token = argmax(*logits);
    const double margin = margins[static_cast<size_t>(step)];
    const int32_t reference = expected[static_cast<size_t>(step)];
    const double tie = std::max(kMarginFloor, tie_ulps * bf16_ulp((*logits)[static_cast<size_t>(token)]));
    free_running = free_running && token == reference;
    result.num_free += free_running;
    if (margin > tie) {
      ++result.num_compared;
      EXPECT_EQ(token, reference) << label << " greedy step " << step << " (reference margin " << margin << ")";
      result.num_matched += token == reference;
    } else {
      result.num_ties_flipped += token != reference;
    }
    if (step + 1 < kNumGreedySteps) logits = (*runner)->decode(reference);
  }
  return result;
}

class ModelGoldenTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<Model> load(backend::Backend& backend, tensor::DType act) {
    ModelOptions options;
    options.activation_dtype = act;
    options.text_limits = {128, 4, 16};
    options.max_vision_patches = 1024;
    auto model = Model::load(kDataDir + "checkpoints/" + GetParam(), backend, options);
    EXPECT_TRUE(model.ok()) << model.status().to_string();
    return model.ok() ? std::move(model).value() : nullptr;
  }
};

TEST_P(ModelGoldenTest, LogitsGreedyAndChunkedPrefill) {
  const std::string checkpoint = GetParam();
  const json cases = read_cases(checkpoint);
  backend::cpu::CpuBackend backend;
  std::unique_ptr<Model> f32 = load(backend, tensor::DType::kF32);
  std::unique_ptr<Model> bf16 = load(backend, tensor::DType::kBF16);
  ASSERT_TRUE(f32 && bf16);
  double worst = 0.0;
  double worst_bf16 = 0.0;
  GreedyResult total_f32;
  GreedyResult total_bf16;
  for (const json& c : cases["cases"]) {
    const std::string name = c["name"];
    SCOPED_TRACE(checkpoint + "/" + name);
    const std::vector<vision::PreprocessedImage> images = case_images(kDataDir + "cases/" + checkpoint, c);
    ASSERT_EQ(images.size(), c["images"].size());
    const std::vector<int32_t> prompt = c["prompt_ids"];
    const std::vector<float> reference = c["last_logits_f32"];

    // (3) one prefill in f32 against HF's last-position logits.
    auto whole = testing::SequenceRunner::create(backend, *f32, prompt, images, 1, 16);
    ASSERT_TRUE(whole.ok()) << whole.status().to_string();
    auto logits = (*whole)->prefill(static_cast<int64_t>(prompt.size()));
    ASSERT_TRUE(logits.ok()) << logits.status().to_string();
    ASSERT_EQ(logits->size(), reference.size());
    const double error = relative_error(*logits, reference);
    worst = std::max(worst, error);
    EXPECT_LE(error, kLogitsTolerance);

    // (3b) the same in bf16 activations against HF's bf16 logits: within bf16 rounding (see docs/MODEL.md).
    const std::vector<float> reference_bf16 = c["last_logits_bf16"];
    auto whole_bf16 = testing::SequenceRunner::create(backend, *bf16, prompt, images, 1, 16);
    ASSERT_TRUE(whole_bf16.ok()) << whole_bf16.status().to_string();
    auto logits_bf16 = (*whole_bf16)->prefill(static_cast<int64_t>(prompt.size()));
    ASSERT_TRUE(logits_bf16.ok()) << logits_bf16.status().to_string();
    const double error_bf16 = relative_error(*logits_bf16, reference_bf16);
    worst_bf16 = std::max(worst_bf16, error_bf16);
    EXPECT_LE(error_bf16, kLogitsToleranceBf16);
    int num_bf16_exact = 0;
    for (size_t idx = 0; idx < reference_bf16.size(); ++idx)
      num_bf16_exact += (*logits_bf16)[idx] == reference_bf16[idx];

    // (5) the same prompt in chunks of 5 tokens, a block size that does not divide them, vision rows split.
    auto chunked_runner = testing::SequenceRunner::create(backend, *f32, prompt, images, 1, 7);
    ASSERT_TRUE(chunked_runner.ok()) << chunked_runner.status().to_string();
    auto chunked = (*chunked_runner)->prefill(5);
    ASSERT_TRUE(chunked.ok()) << chunked.status().to_string();
    const double chunked_error = relative_error(*chunked, *logits);
    EXPECT_LE(chunked_error, kChunkedTolerance);

    // (4) greedy decoding through the paged cache, f32 and bf16 activations.
    const GreedyResult greedy_f32 = run_greedy(backend, *f32, c, images, "f32", 0.0);
    const GreedyResult greedy_bf16 = run_greedy(backend, *bf16, c, images, "bf16", kBf16TieUlps);
    for (auto [total, one] : {std::pair{&total_f32, &greedy_f32}, std::pair{&total_bf16, &greedy_bf16}}) {
      total->num_compared += one->num_compared;
      total->num_matched += one->num_matched;
      total->num_free += one->num_free;
      total->num_ties_flipped += one->num_ties_flipped;
    }
    std::printf(
        "[ model ] %-27s %-12s %2zu tok | f32 err %.1e chunked %.1e greedy %2d/%2d free %2d | bf16 err %.1e "
        "exact %4d/%zu greedy %2d/%2d free %2d flipped ties %d\n",
        checkpoint.c_str(), name.c_str(), prompt.size(), error, chunked_error, greedy_f32.num_matched,
        greedy_f32.num_compared, greedy_f32.num_free, error_bf16, num_bf16_exact, reference_bf16.size(),
        greedy_bf16.num_matched, greedy_bf16.num_compared, greedy_bf16.num_free, greedy_bf16.num_ties_flipped);
  }
  std::printf(
      "[ model ] %s: worst last-logits error f32 %.2e, bf16 %.2e; greedy steps matched f32 %d/%d (free %d), "
      "bf16 %d/%d (free %d, flipped ties %d)\n",
      checkpoint.c_str(), worst, worst_bf16, total_f32.num_matched, total_f32.num_compared, total_f32.num_free,
      total_bf16.num_matched, total_bf16.num_compared, total_bf16.num_free, total_bf16.num_ties_flipped);
}

INSTANTIATE_TEST_SUITE_P(Checkpoints, ModelGoldenTest,
                         ::testing::Values("qwen3-tiny", "qwen3-vl-tiny", "qwen3-vl-tiny-untied-legacy"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace fovea::model
