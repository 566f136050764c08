// Building the requests of one bench run. Must not contain HTTP or scheduling.
#include "bench/dataset_builder.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "bench/jsonl_dataset.h"

namespace fovea::bench {
namespace {

// Seeds of the streams drawn from --seed, kept apart so changing one dataset knob does not reshuffle the others.
constexpr uint64_t kInputLenStream = 1;
constexpr uint64_t kOutputLenStream = 2;
constexpr uint64_t kImageStream = 3;

uint64_t stream_seed(uint64_t seed, uint64_t stream) { return seed * 0x9E3779B97F4A7C15ULL + stream; }

base::Result<std::vector<BenchRequest>> build_random(const DatasetOptions& options, PromptFitter& fitter) {
  const std::vector<int64_t> input_lens =
      draw_lengths(options.input_len_tokens, options.range_ratio, options.num_prompts, 1,
                   stream_seed(options.seed, kInputLenStream));
  const std::vector<int64_t> output_lens =
      draw_lengths(options.output_len_tokens, options.range_ratio, options.num_prompts, 1,
                   stream_seed(options.seed, kOutputLenStream));
  const bool with_images = options.kind == DatasetKind::kRandomMm;
  std::mt19937_64 image_rng(stream_seed(options.seed, kImageStream));
  std::uniform_int_distribution<size_t> pick_size(0, options.image_sizes.empty() ? 0 : options.image_sizes.size() - 1);
  std::vector<BenchRequest> requests;
  requests.reserve(static_cast<size_t>(options.num_prompts));
  for (int64_t request_idx = 0; request_idx < options.num_prompts; ++request_idx) {
    const auto idx = static_cast<size_t>(request_idx);
    FOVEA_ASSIGN_OR_RETURN(std::string text, fitter.fit(input_lens[idx]));
    nlohmann::json content = nlohmann::json::array();
    content.push_back({{"type", "text"}, {"text", text}});
    BenchRequest request;
    if (with_images) {
      for (int64_t image_idx = 0; image_idx < options.images_per_request; ++image_idx) {
        const ImageSize size = options.image_sizes[pick_size(image_rng)];
        FOVEA_ASSIGN_OR_RETURN(std::string url, synthetic_image_data_url(size, image_rng(), options.image_encoding));
        content.push_back({{"type", "image_url"}, {"image_url", {{"url", std::move(url)}}}});
      }
      request.num_images = options.images_per_request;
    }
    request.messages = nlohmann::json::array({{{"role", "user"}, {"content", std::move(content)}}});
    request.max_tokens = output_lens[idx];
    request.text_input_tokens = input_lens[idx];
    requests.push_back(std::move(request));
  }
  return requests;
}

}  // namespace

base::Result<DatasetKind> parse_dataset_kind(std::string_view name) {
  if (name == "random") return DatasetKind::kRandom;
  if (name == "random-mm") return DatasetKind::kRandomMm;
  if (name == "jsonl" || name == "custom") return DatasetKind::kJsonl;
  return base::invalid_argument("--dataset-name '{}' is not one of: random, random-mm, jsonl", name);
}

std::string_view dataset_kind_name(DatasetKind kind) {
  switch (kind) {
    case DatasetKind::kRandom:
      return "random";
    case DatasetKind::kRandomMm:
      return "random-mm";
    case DatasetKind::kJsonl:
      return "jsonl";
  }
  return "random";
}

std::vector<int64_t> draw_lengths(int64_t len, double range_ratio, int64_t count, int64_t min_len, uint64_t seed) {
  const auto low = std::max(min_len, static_cast<int64_t>(std::floor(static_cast<double>(len) * (1.0 - range_ratio))));
  const auto high = std::max(low, static_cast<int64_t>(std::ceil(static_cast<double>(len) * (1.0 + range_ratio))));
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int64_t> pick(low, high);
  std::vector<int64_t> lens(static_cast<size_t>(std::max<int64_t>(count, 0)));
  for (int64_t& value : lens) value = pick(rng);
  return lens;
}

base::Result<std::vector<BenchRequest>> build_dataset(const DatasetOptions& options, PromptFitter& fitter) {
  if (options.kind == DatasetKind::kRandomMm && (options.image_sizes.empty() || options.images_per_request < 1)) {
    return base::invalid_argument("random-mm needs at least one image size and --images-per-request of 1 or more");
  }
  if (options.kind != DatasetKind::kJsonl) return build_random(options, fitter);
  FOVEA_ASSIGN_OR_RETURN(std::vector<BenchRequest> lines, load_jsonl_dataset(options.path, options.output_len_tokens));
  if (options.num_prompts <= 0) return lines;
  std::vector<BenchRequest> requests;
  requests.reserve(static_cast<size_t>(options.num_prompts));
  for (int64_t request_idx = 0; request_idx < options.num_prompts; ++request_idx) {
    requests.push_back(lines[static_cast<size_t>(request_idx) % lines.size()]);
  }
  return requests;
}

}  // namespace fovea::bench
