// vision_encoder_bench: the vision tower alone, as the goals table's "vision tower" row needs it: loads a model folder
// (its vision encoder for one image), times model::VisionEncoder::encode on one image's patches (smart_resize of
// --width x --height, random pixel values) with a synchronize after each call, median of --iters after --warmup, then
// the same after a call with another image size (the position rows recomputed), then
// one more call with per-op CUDA events (device sum beside the wall time: the rest is host work and launch gaps).
// Prints a line per phase and writes JSON. Must not contain op code or model code.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "backend/cuda/cuda_factory.h"
#include "model/model.h"
#include "vision/smart_resize.h"

namespace {

using Clock = std::chrono::steady_clock;
using fovea::base::Status;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

struct Options {
  std::string model_dir;
  std::string load_format = "safetensors";
  std::string device = "cuda";
  int64_t width = 1280;
  int64_t height = 720;
  int iters = 20;
  int warmup = 3;
  bool profile = true;
  std::string json_path;
};

Status run(const Options& opts) {
  std::unique_ptr<fovea::backend::Backend> backend;
  std::string device_name = "cpu";
  if (opts.device == "cpu") {
    backend = std::make_unique<fovea::backend::cpu::CpuBackend>();
  } else {
    FOVEA_ASSIGN_OR_RETURN(fovea::backend::cuda::CudaDeviceInfo info,
                           fovea::backend::cuda::cuda_device_info(opts.device));
    device_name = info.name;
    FOVEA_ASSIGN_OR_RETURN(backend, fovea::backend::cuda::create_cuda_backend(opts.device));
  }
  fovea::model::ModelOptions options;
  options.load_format =
      opts.load_format == "dummy" ? fovea::model::LoadFormat::kDummy : fovea::model::LoadFormat::kSafetensors;
  options.text_limits.max_num_batched_tokens = 16;  // the decoder is loaded but not run
  options.text_limits.max_num_seqs = 1;
  options.text_limits.max_blocks_per_seq = 1;

  // The image's grid first: the encoder's workspace is sized for exactly its patches.
  std::printf("vision_encoder_bench: loading %s on %s\n", opts.model_dir.c_str(), device_name.c_str());
  std::fflush(stdout);
  const auto load_start = Clock::now();
  FOVEA_ASSIGN_OR_RETURN(fovea::io::ModelConfig probe_config, fovea::io::load_model_config(opts.model_dir));
  if (!probe_config.vision_config) {
    return fovea::base::invalid_argument("{} has no vision_config; pass a Qwen3-VL model folder", opts.model_dir);
  }
  const fovea::io::VisionConfig& vision = *probe_config.vision_config;
  const int64_t factor = vision.patch_size * vision.spatial_merge_size;
  FOVEA_ASSIGN_OR_RETURN(fovea::vision::ResizedSize resized,
                         fovea::vision::smart_resize(opts.height, opts.width, factor, 65536, 16777216));
  const fovea::model::VisionGrid grid{1, resized.height / vision.patch_size, resized.width / vision.patch_size};
  options.max_vision_patches = grid.num_patches();
  FOVEA_ASSIGN_OR_RETURN(std::unique_ptr<fovea::model::Model> model,
                         fovea::model::Model::load(opts.model_dir, *backend, options));
  const double load_ms = ms_since(load_start);
  fovea::model::VisionEncoder* encoder = model->vision_encoder();
  if (encoder == nullptr) return fovea::base::internal_error("the model loaded without a vision encoder");

  const int64_t patch_dim = vision.in_channels * vision.temporal_patch_size * vision.patch_size * vision.patch_size;
  std::vector<float> pixels(static_cast<size_t>(grid.num_patches() * patch_dim));
  std::mt19937 rng(0);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (float& value : pixels) value = uniform(rng);
  const fovea::model::VisionImage image{pixels, grid};

  const fovea::tensor::DType act = model->decoder().activation_dtype();
  const fovea::tensor::Shape shape({encoder->num_tokens(grid), encoder->out_hidden_size()});
  const uint64_t out_bytes = static_cast<uint64_t>(shape.numel()) * fovea::tensor::dtype_size_bytes(act);
  std::vector<std::unique_ptr<fovea::backend::Buffer>> buffers;
  std::vector<fovea::backend::Tensor> outputs;
  for (int64_t idx = 0; idx <= encoder->num_deepstack(); ++idx) {
    FOVEA_ASSIGN_OR_RETURN(std::unique_ptr<fovea::backend::Buffer> buffer, backend->allocate(out_bytes));
    outputs.push_back(fovea::backend::Tensor::on(*buffer, act, shape));
    buffers.push_back(std::move(buffer));
  }
  const std::span<const fovea::backend::Tensor> deepstack(outputs.data() + 1, outputs.size() - 1);
  fovea::backend::Stream& stream = backend->default_stream();

  std::vector<double> times_ms;
  for (int idx = 0; idx < opts.warmup + opts.iters; ++idx) {
    const auto start = Clock::now();
    FOVEA_RETURN_IF_ERROR(encoder->encode(std::span(&image, 1), outputs[0], deepstack));
    FOVEA_RETURN_IF_ERROR(backend->synchronize(stream));
    if (idx >= opts.warmup) times_ms.push_back(ms_since(start));
  }
  std::vector<double> sorted = times_ms;
  std::sort(sorted.begin(), sorted.end());
  const double median_ms = sorted[sorted.size() / 2];
  std::printf(
      "  vision encoder %lldx%lld (grid 1x%lldx%lld, %lld patches): median %.2f ms, min %.2f ms over %zu runs "
      "(load %.1f s)\n",
      static_cast<long long>(opts.width), static_cast<long long>(opts.height), static_cast<long long>(grid.h),
      static_cast<long long>(grid.w), static_cast<long long>(grid.num_patches()), median_ms, sorted.front(),
      sorted.size(), load_ms / 1e3);

  // The same image size every call lets the encoder keep its position rows (VisionEncoder::upload_inputs); a server
  // that sees a new size recomputes them. Alternating with a grid one merge row shorter times that path.
  const int64_t merge = vision.spatial_merge_size;
  std::vector<double> new_grid_ms;
  if (grid.h > merge) {
    const fovea::model::VisionGrid other{1, grid.h - merge, grid.w};
    const fovea::model::VisionImage other_image{
        std::span<const float>(pixels).first(static_cast<size_t>(other.num_patches() * patch_dim)), other};
    std::vector<fovea::backend::Tensor> other_outputs;
    for (const fovea::backend::Tensor& out : outputs)
      other_outputs.push_back(out.slice_rows(0, encoder->num_tokens(other)));
    const std::span<const fovea::backend::Tensor> other_deepstack(other_outputs.data() + 1, other_outputs.size() - 1);
    for (int idx = 0; idx < 2 * opts.iters; ++idx) {
      const bool use_other = idx % 2 == 0;
      const auto start = Clock::now();
      FOVEA_RETURN_IF_ERROR(use_other ? encoder->encode(std::span(&other_image, 1), other_outputs[0], other_deepstack)
                                      : encoder->encode(std::span(&image, 1), outputs[0], deepstack));
      FOVEA_RETURN_IF_ERROR(backend->synchronize(stream));
      if (!use_other) new_grid_ms.push_back(ms_since(start));
    }
    std::sort(new_grid_ms.begin(), new_grid_ms.end());
    std::printf(
        "  vision encoder %lldx%lld after another image size (position rows recomputed): median %.2f ms over %zu "
        "runs\n",
        static_cast<long long>(opts.width), static_cast<long long>(opts.height), new_grid_ms[new_grid_ms.size() / 2],
        new_grid_ms.size());
  }

  double profiled_wall_ms = 0;
  std::string report;
  if (opts.profile) {
    fovea::backend::cuda::set_cuda_op_profiling(true);
    const auto start = Clock::now();
    Status status = encoder->encode(std::span(&image, 1), outputs[0], deepstack);
    if (status.ok()) status = backend->synchronize(stream);
    profiled_wall_ms = ms_since(start);
    report = fovea::backend::cuda::cuda_op_profile_report();
    fovea::backend::cuda::set_cuda_op_profiling(false);
    FOVEA_RETURN_IF_ERROR(status);
    std::printf("\n  per-op device time of one encode (wall %.3f ms with the events):\n%s\n", profiled_wall_ms,
                report.c_str());
  }
  std::fflush(stdout);
  if (!opts.json_path.empty()) {
    nlohmann::ordered_json out;
    out["engine"] = "fovea";
    out["device"] = device_name;
    out["image_size"] = std::to_string(opts.width) + "x" + std::to_string(opts.height);
    out["grid_thw"] = {grid.t, grid.h, grid.w};
    out["num_patches"] = grid.num_patches();
    out["iters"] = times_ms.size();
    out["median_ms"] = median_ms;
    out["min_ms"] = sorted.front();
    out["times_ms"] = times_ms;
    if (!new_grid_ms.empty()) out["median_ms_after_new_size"] = new_grid_ms[new_grid_ms.size() / 2];
    out["profiled_wall_ms"] = profiled_wall_ms;
    out["profile"] = report;
    std::ofstream file(opts.json_path);
    file << out.dump(2) << "\n";
    if (!file) return fovea::base::invalid_argument("cannot write --output-json {}", opts.json_path);
  }
  return Status();
}

}  // namespace

int main(int argc, char** argv) {
  Options opts;
  CLI::App app{"Times the vision tower of a model folder on one image's patches"};
  app.add_option("--model", opts.model_dir, "Model folder (config.json and weights)")->required();
  app.add_option("--load-format", opts.load_format, "safetensors or dummy")->capture_default_str();
  app.add_option("--device", opts.device, "cuda, cuda:N or cpu")->capture_default_str();
  app.add_option("--width", opts.width, "Image width before smart_resize")->capture_default_str();
  app.add_option("--height", opts.height, "Image height before smart_resize")->capture_default_str();
  app.add_option("--iters", opts.iters, "Timed calls")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--warmup", opts.warmup, "Untimed calls first")->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_flag("!--no-profile", opts.profile, "Skip the per-op run");
  app.add_option("--output-json", opts.json_path, "Also write the results as JSON");
  CLI11_PARSE(app, argc, argv);
  const Status status = run(opts);
  if (!status.ok()) {
    std::fprintf(stderr, "vision_encoder_bench: %s\n", status.to_string().c_str());
    return 1;
  }
  return 0;
}
