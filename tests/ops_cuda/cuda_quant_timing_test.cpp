// Timings of the quantized linear, disabled by default (tools/gpu/run-gpu-tests.sh runs them): at a Qwen3-32B MLP
// shape (K = 5120 -> N = 25600) the device copy as the bandwidth ceiling, the dense bf16 linear as the baseline,
// then int4 (group 128), int8 (per channel) and fp8 (128x128 blocks) at decode and prefill batch sizes; and the
// int4 table over every Linear shape of Qwen3-VL-32B at decode batch sizes, every int4 kernel beside dense bf16.
// Host clock around synchronised repetitions; informational, nothing is asserted about speed.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <utility>

#include "backend/cuda/int4_mma_kernels.h"
#include "backend/cuda/quant_linear.h"
#include "cuda_op_test_util.h"
#include "tensor/float_convert.h"

namespace fovea::backend::testing {
namespace {

using tensor::DType;

class CudaQuantTimingTest : public CudaOpsTest {
 protected:
  // A device tensor filled with pseudo-random bytes (codes), or bf16 values in [-1, 1).
  Tensor device_tensor(DType dtype, tensor::Shape shape, bool bf16_values) {
    Tensor probe;
    probe.dtype = dtype;
    probe.shape = shape;
    const size_t num_bytes = static_cast<size_t>(probe.numel() * tensor::dtype_size_bytes(dtype));
    std::vector<uint8_t> host(num_bytes);
    uint32_t state = 12345u;
    if (bf16_values) {
      for (size_t idx = 0; idx + 1 < num_bytes; idx += 2) {
        state = state * 1664525u + 1013904223u;
        const uint16_t value = tensor::float_to_bf16(static_cast<float>(state >> 8) / 8388608.0f - 1.0f);
        host[idx] = static_cast<uint8_t>(value & 0xff);
        host[idx + 1] = static_cast<uint8_t>(value >> 8);
      }
    } else {
      for (uint8_t& value : host) {
        state = state * 1664525u + 1013904223u;
        value = static_cast<uint8_t>(state >> 24);
        if (dtype == DType::kF8E4M3 && (value & 0x7f) == 0x7f) value = 0x38;
      }
    }
    auto buffer = gpu_->allocate(num_bytes);
    EXPECT_TRUE(buffer.ok());
    const Tensor view = Tensor::on(**buffer, dtype, std::move(shape));
    EXPECT_TRUE(gpu_->copy_from_host(gpu_->default_stream(), host.data(), view).ok());
    buffers_.push_back(std::move(buffer).value());
    return view;
  }
  Tensor scales(int64_t rows, int64_t cols) {
    std::vector<float> host(static_cast<size_t>(rows * cols), 0.0078125f);
    auto buffer = gpu_->allocate(host.size() * sizeof(float));
    EXPECT_TRUE(buffer.ok());
    const Tensor view = Tensor::on(**buffer, DType::kF32, {rows, cols});
    EXPECT_TRUE(gpu_->copy_from_host(gpu_->default_stream(), host.data(), view).ok());
    buffers_.push_back(std::move(buffer).value());
    return view;
  }
  // int4 zero points 0..15, as AWQ / GPTQ checkpoints hold them.
  Tensor zero_points(int64_t rows, int64_t cols) {
    std::vector<uint8_t> host(static_cast<size_t>(rows * cols));
    for (size_t idx = 0; idx < host.size(); ++idx) host[idx] = static_cast<uint8_t>(idx % 16);
    auto buffer = gpu_->allocate(host.size());
    EXPECT_TRUE(buffer.ok());
    const Tensor view = Tensor::on(**buffer, DType::kU8, {rows, cols});
    EXPECT_TRUE(gpu_->copy_from_host(gpu_->default_stream(), host.data(), view).ok());
    buffers_.push_back(std::move(buffer).value());
    return view;
  }
  double time_ms(const std::function<base::Status()>& call, int reps) {
    Stream& stream = gpu_->default_stream();
    for (int rep = 0; rep < 3; ++rep) EXPECT_TRUE(call().ok());
    EXPECT_TRUE(gpu_->synchronize(stream).ok());
    const auto start = std::chrono::steady_clock::now();
    for (int rep = 0; rep < reps; ++rep) EXPECT_TRUE(call().ok());
    EXPECT_TRUE(gpu_->synchronize(stream).ok());
    const std::chrono::duration<double, std::milli> elapsed = std::chrono::steady_clock::now() - start;
    return elapsed.count() / reps;
  }
  void report(const std::string& what, double ms, double amount, const char* unit) {
    std::printf("TIMING %-60s %9.3f ms  %9.1f %s\n", what.c_str(), ms, amount / (ms * 1e-3) / 1e9, unit);
  }
  // Weight bytes (codes + scales + zeros) per call at M rows, and TFLOP/s at large M.
  void time_linear(const std::string& name, const Weight& w, double weight_bytes) {
    Stream& stream = gpu_->default_stream();
    Ops& ops = gpu_->ops();
    const int64_t num_in = w.in_features();
    const int64_t num_out = w.out_features();
    for (int64_t rows : {1, 4, 8, 16}) {
      const Tensor x = device_tensor(DType::kBF16, {rows, num_in}, true);
      const Tensor y = device_tensor(DType::kBF16, {rows, num_out}, true);
      const double ms = time_ms([&] { return ops.linear(stream, x, w, nullptr, y); }, 50);
      report(name + " M=" + std::to_string(rows) + " (weight GB/s)", ms, weight_bytes, "GB/s");
    }
    const int64_t rows = 2048;
    const Tensor x = device_tensor(DType::kBF16, {rows, num_in}, true);
    const Tensor y = device_tensor(DType::kBF16, {rows, num_out}, true);
    const double ms = time_ms([&] { return ops.linear(stream, x, w, nullptr, y); }, 5);
    report(name + " M=2048", ms, 2.0 * rows * num_in * num_out / 1e3, "TFLOP/s");
  }

  // Mean ms of `call`, repeated for about 40 ms after a warm-up.
  double time_adaptive(const std::function<base::Status()>& call) {
    const double estimate = time_ms(call, 3);
    const int reps = static_cast<int>(std::clamp(40.0 / std::max(estimate, 1e-3), 3.0, 500.0));
    return time_ms(call, reps);
  }
  double copy_gbps() {
    const Tensor src = device_tensor(DType::kBF16, {256, 1 << 20}, false);
    const Tensor dst = device_tensor(DType::kBF16, {256, 1 << 20}, false);
    const double ms = time_ms([&] { return gpu_->copy(gpu_->default_stream(), src, dst); }, 10);
    buffers_.clear();
    return 2.0 * 512 * 1024 * 1024 / (ms * 1e-3) / 1e9;
  }

  std::vector<std::unique_ptr<Buffer>> buffers_;
};

// int4 group 128 (symmetric, as compressed-tensors pack-quantized; AWQ zero points on the MLP shape) over every
// Linear of Qwen3-VL-32B at decode batch sizes, every int4 kernel behind the switch beside dense bf16: us and % of
// the copy measured here, counting codes + scales (+ zeros) per call; then one 32B layer's Linears summed per kernel
// and batch size, and the tok/s that gives over 64 layers (Linears only).
constexpr double kRotationBytes = 160e6;  // weight copies per shape: over 3x the H100's 50 MB L2

struct Int4Variant {
  const char* name;
  cuda::Int4Kernel kernel;
  bool decode_only;  // the same kernel as kMma past kInt4StreamMaxRows rows: not timed there
};

constexpr Int4Variant kInt4Variants[] = {
    {"auto", cuda::Int4Kernel::kAuto, false},
    {"mma", cuda::Int4Kernel::kMma, false},
    {"stream", cuda::Int4Kernel::kStream, true},
    {"gemv", cuda::Int4Kernel::kGemv, false},
};
constexpr int kNumInt4Variants = sizeof(kInt4Variants) / sizeof(kInt4Variants[0]);

TEST_F(CudaQuantTimingTest, DISABLED_Int4QwenShapes) {
  const double copy = copy_gbps();
  std::printf("INT4 device copy %.0f GB/s; each cell: us / %% of copy\n", copy);
  struct Shape {
    const char* name;
    int64_t in;
    int64_t out;
    bool zeros;
    int per_layer;  // times this shape runs in one 32B layer (0: not summed)
  };
  const Shape shapes[] = {{"q", 5120, 8192, false, 1},     {"k/v", 5120, 1024, false, 2},
                          {"o", 8192, 5120, false, 1},     {"gate/up", 5120, 25600, false, 2},
                          {"down", 25600, 5120, false, 1}, {"gate/up awq", 5120, 25600, true, 0}};
  const int64_t batch_sizes[] = {1, 2, 4, 8, 16, 32, 64};
  constexpr int kNumBatches = sizeof(batch_sizes) / sizeof(batch_sizes[0]);
  double layer_ms[kNumBatches][kNumInt4Variants + 1] = {};  // last column: dense
  std::printf("INT4 %-22s %3s |", "32B shape K->N", "M");
  for (const Int4Variant& v : kInt4Variants) std::printf(" %14s |", v.name);
  std::printf(" %14s\n", "dense bf16");
  Stream& stream = gpu_->default_stream();
  Ops& ops = gpu_->ops();
  for (const Shape& shape : shapes) {
    double bytes = shape.out * shape.in / 2.0 + shape.out * (shape.in / 128) * 4.0;
    if (shape.zeros) bytes += shape.out * (shape.in / 128);
    const double dense_bytes = 2.0 * shape.out * shape.in;
    // Copies rotated call by call so that every call reads its weight from device memory, not the 50 MB L2.
    std::vector<Weight> int4_copies(static_cast<size_t>(std::ceil(kRotationBytes / bytes)));
    for (Weight& w : int4_copies) {
      w.format = WeightFormat::kInt4;
      w.values = device_tensor(DType::kI32, {shape.out, shape.in / 8}, false);
      w.quant.in_features = shape.in;
      w.quant.group_size = 128;
      w.quant.dequant_dtype = DType::kBF16;
      w.quant.scales = scales(shape.out, shape.in / 128);
      if (shape.zeros) w.quant.zeros = zero_points(shape.out, shape.in / 128);
    }
    std::vector<Weight> dense_copies(static_cast<size_t>(std::ceil(kRotationBytes / dense_bytes)));
    for (Weight& dense : dense_copies) dense.values = device_tensor(DType::kBF16, {shape.out, shape.in}, true);
    size_t turn = 0;
    for (int b = 0; b < kNumBatches; ++b) {
      const int64_t rows = batch_sizes[b];
      if (shape.zeros && rows != 1 && rows != 8) continue;
      const Tensor x = device_tensor(DType::kBF16, {rows, shape.in}, true);
      const Tensor y = device_tensor(DType::kBF16, {rows, shape.out}, true);
      const auto call = [&] { return ops.linear(stream, x, int4_copies[turn++ % int4_copies.size()], nullptr, y); };
      std::printf("INT4 %-22s %3lld |",
                  (std::string(shape.name) + " " + std::to_string(shape.in) + "->" + std::to_string(shape.out)).c_str(),
                  static_cast<long long>(rows));
      for (int v = 0; v < kNumInt4Variants; ++v) {
        if (kInt4Variants[v].decode_only && rows > cuda::kInt4StreamMaxRows) {
          std::printf(" %14s |", "-");
          continue;
        }
        cuda::set_int4_kernel(kInt4Variants[v].kernel);
        const double ms = time_adaptive(call);
        layer_ms[b][v] += shape.per_layer * ms;
        std::printf(" %7.1f %5.1f%% |", ms * 1e3, 100.0 * bytes / (ms * 1e-3) / 1e9 / copy);
      }
      cuda::set_int4_kernel(cuda::Int4Kernel::kAuto);
      const double dense_ms =
          time_adaptive([&] { return ops.linear(stream, x, dense_copies[turn++ % dense_copies.size()], nullptr, y); });
      layer_ms[b][kNumInt4Variants] += shape.per_layer * dense_ms;
      std::printf(" %7.1f %5.1f%%\n", dense_ms * 1e3, 100.0 * dense_bytes / (dense_ms * 1e-3) / 1e9 / copy);
    }
    buffers_.clear();
  }
  // One layer: q + k + v + o + gate + up + down; tok/s = M tokens per 64 layers' Linears.
  for (int b = 0; b < kNumBatches; ++b) {
    std::printf("INT4 LAYER M=%-3lld us (tok/s):", static_cast<long long>(batch_sizes[b]));
    for (int v = 0; v <= kNumInt4Variants; ++v) {
      const bool timed =
          v == kNumInt4Variants || !kInt4Variants[v].decode_only || batch_sizes[b] <= cuda::kInt4StreamMaxRows;
      const char* name = v == kNumInt4Variants ? "dense" : kInt4Variants[v].name;
      if (!timed) continue;
      const double ms = layer_ms[b][v];
      std::printf(" %s %.1f (%.0f)", name, ms * 1e3, batch_sizes[b] / (64.0 * ms * 1e-3));
    }
    std::printf("\n");
  }
}

// One call per kernel for Nsight Compute (run under ncu with a kernel-name filter): gate/up and down at M = 1 and 8,
// the x-fragment kernel and the decode kernel.
TEST_F(CudaQuantTimingTest, DISABLED_Int4NcuProbe) {
  Stream& stream = gpu_->default_stream();
  Ops& ops = gpu_->ops();
  for (const auto& [in, out] : {std::pair<int64_t, int64_t>{5120, 25600}, std::pair<int64_t, int64_t>{25600, 5120}}) {
    Weight w;
    w.format = WeightFormat::kInt4;
    w.values = device_tensor(DType::kI32, {out, in / 8}, false);
    w.quant.in_features = in;
    w.quant.group_size = 128;
    w.quant.dequant_dtype = DType::kBF16;
    w.quant.scales = scales(out, in / 128);
    for (int64_t rows : {1, 8}) {
      const Tensor x = device_tensor(DType::kBF16, {rows, in}, true);
      const Tensor y = device_tensor(DType::kBF16, {rows, out}, true);
      for (const cuda::Int4Kernel kernel : {cuda::Int4Kernel::kMma, cuda::Int4Kernel::kStream}) {
        cuda::set_int4_kernel(kernel);
        EXPECT_TRUE(ops.linear(stream, x, w, nullptr, y).ok());
      }
      cuda::set_int4_kernel(cuda::Int4Kernel::kAuto);
      EXPECT_TRUE(gpu_->synchronize(stream).ok());
    }
    buffers_.clear();
  }
}

TEST_F(CudaQuantTimingTest, DISABLED_Qwen3_32BMlpShape) {
  const int64_t num_in = 5120;
  const int64_t num_out = 25600;
  {
    const Tensor src = device_tensor(DType::kBF16, {256, 1 << 20}, false);
    const Tensor dst = device_tensor(DType::kBF16, {256, 1 << 20}, false);
    const double ms = time_ms([&] { return gpu_->copy(gpu_->default_stream(), src, dst); }, 10);
    report("device copy 512 MiB (read + write)", ms, 2.0 * 512 * 1024 * 1024, "GB/s");
    buffers_.clear();
  }
  {
    Weight dense;
    dense.values = device_tensor(DType::kBF16, {num_out, num_in}, true);
    time_linear("dense bf16 5120->25600", dense, static_cast<double>(num_out * num_in * 2));
    buffers_.clear();
  }
  {
    Weight w;
    w.format = WeightFormat::kInt4;
    w.values = device_tensor(DType::kI32, {num_out, num_in / 8}, false);
    w.quant.in_features = num_in;
    w.quant.group_size = 128;
    w.quant.dequant_dtype = DType::kBF16;
    w.quant.scales = scales(num_out, num_in / 128);
    const double bytes = num_out * num_in / 2.0 + num_out * (num_in / 128) * 4.0;
    time_linear("int4 g128 sym bf16 5120->25600", w, bytes);
    buffers_.clear();
  }
  {
    Weight w;
    w.format = WeightFormat::kInt8;
    w.values = device_tensor(DType::kU8, {num_out, num_in}, false);
    w.quant.in_features = num_in;
    w.quant.group_size = num_in;
    w.quant.dequant_dtype = DType::kBF16;
    w.quant.scales = scales(num_out, 1);
    time_linear("int8 per-channel bf16 5120->25600", w, num_out * num_in + num_out * 4.0);
    buffers_.clear();
  }
  {
    Weight w;
    w.format = WeightFormat::kFp8;
    w.values = device_tensor(DType::kF8E4M3, {num_out, num_in}, false);
    w.quant.in_features = num_in;
    w.quant.group_size = 128;
    w.quant.scale_block_rows = 128;
    w.quant.dequant_dtype = DType::kF32;
    w.quant.scales = scales(num_out / 128, num_in / 128);
    time_linear("fp8 128x128 blocks f32 scales 5120->25600", w,
                num_out * num_in + (num_out / 128) * (num_in / 128) * 4.0);
    buffers_.clear();
  }
}

}  // namespace
}  // namespace fovea::backend::testing
