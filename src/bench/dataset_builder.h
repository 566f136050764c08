// The bench's datasets: `random` (text of drawn input/output lengths, vLLM's --random-* meaning), `random-mm`
// (the same plus synthetic images of given sizes per request) and `jsonl` (chat requests from a file).
// Must not contain HTTP (text lengths come through PromptFitter) or scheduling.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "bench/bench_request.h"
#include "bench/prompt_fitter.h"
#include "bench/synthetic_image.h"

namespace fovea::bench {

enum class DatasetKind { kRandom, kRandomMm, kJsonl };

// "random", "random-mm" or "jsonl" (vLLM's "custom" is accepted for jsonl).
base::Result<DatasetKind> parse_dataset_kind(std::string_view name);
std::string_view dataset_kind_name(DatasetKind kind);

struct DatasetOptions {
  DatasetKind kind = DatasetKind::kRandom;
  std::string path;                 // jsonl
  int64_t num_prompts = 1000;       // jsonl: the first lines, cycled when the file has fewer
  int64_t input_len_tokens = 1024;  // random*: user text tokens (before the chat template)
  int64_t output_len_tokens = 128;  // random*: max_completion_tokens; jsonl: for lines without one
  double range_ratio = 0.0;         // random*: lengths uniform in [len*(1-r), len*(1+r)], as vLLM draws them
  std::vector<ImageSize> image_sizes = {{512, 512}};  // random-mm: each image's size drawn from these
  int64_t images_per_request = 1;                     // random-mm
  ImageEncoding image_encoding = ImageEncoding::kJpeg;
  uint64_t seed = 0;
};

// The lengths vLLM's random dataset draws: uniform integers in [floor(len*(1-r)), ceil(len*(1+r))] (at least
// `min_len`).
std::vector<int64_t> draw_lengths(int64_t len, double range_ratio, int64_t count, int64_t min_len, uint64_t seed);

base::Result<std::vector<BenchRequest>> build_dataset(const DatasetOptions& options, PromptFitter& fitter);

}  // namespace fovea::bench
