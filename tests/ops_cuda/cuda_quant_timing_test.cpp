// Timings of the quantized linear, disabled by default (tools/gpu/run-gpu-tests.sh runs them): at a Qwen3-32B MLP
// shape (K = 5120 -> N = 25600) the device copy as the bandwidth ceiling, the dense bf16 linear as the baseline,
// then int4 (group 128), int8 (per channel) and fp8 (128x128 blocks) at decode and prefill batch sizes; and the
// int4 table over every Linear shape of Qwen3-VL-32B and -8B, the tensor-core path beside the older kernels and
// dense bf16. Host clock around synchronised repetitions; informational, nothing is asserted about speed.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>

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
// Linear of Qwen3-VL-32B and -8B: GB/s counts codes + scales (+ zeros) per call, % against the copy measured here.
constexpr double kRotationBytes = 160e6;  // weight copies per shape: over 3x the H100's 50 MB L2

TEST_F(CudaQuantTimingTest, DISABLED_Int4QwenShapes) {
  const double copy = copy_gbps();
  std::printf("INT4 device copy %.0f GB/s\n", copy);
  struct Shape {
    const char* name;
    int64_t in;
    int64_t out;
    bool zeros;
  };
  const Shape shapes[] = {
      {"32B q", 5120, 8192, false},  {"32B k/v", 5120, 1024, false}, {"32B o", 8192, 5120, false},
      {"32B gate/up", 5120, 25600, false}, {"32B gate/up zeros", 5120, 25600, true},
      {"32B down", 25600, 5120, false}, {"8B q/o", 4096, 4096, false}, {"8B k/v", 4096, 1024, false},
      {"8B gate/up", 4096, 12288, false}, {"8B down", 12288, 4096, false}};
  std::printf("INT4 %-18s %5s | %9s %8s %6s %8s | %9s %9s | %9s\n", "shape K->N", "M", "int4 ms", "GB/s", "%copy",
              "TFLOP/s", "old ms", "old GB/s", "dense ms");
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
    for (int64_t rows : {1, 8, 16, 32, 64, 128, 256, 512, 2048}) {
      if (shape.zeros && rows != 1 && rows != 64 && rows != 2048) continue;
      const Tensor x = device_tensor(DType::kBF16, {rows, shape.in}, true);
      const Tensor y = device_tensor(DType::kBF16, {rows, shape.out}, true);
      const auto call = [&] { return ops.linear(stream, x, int4_copies[turn++ % int4_copies.size()], nullptr, y); };
      const double ms = time_adaptive(call);
      cuda::set_int4_tensor_cores(false);
      const double old_ms = time_adaptive(call);
      cuda::set_int4_tensor_cores(true);
      const double dense_ms =
          time_adaptive([&] { return ops.linear(stream, x, dense_copies[turn++ % dense_copies.size()], nullptr, y); });
      const double gbps = bytes / (ms * 1e-3) / 1e9;
      const double tflops = 2.0 * rows * shape.in * shape.out / (ms * 1e-3) / 1e12;
      std::printf("INT4 %-18s %5lld | %9.4f %8.0f %5.1f%% %8.1f | %9.4f %9.0f | %9.4f\n",
                  (std::string(shape.name) + " " + std::to_string(shape.in) + "->" + std::to_string(shape.out)).c_str(),
                  static_cast<long long>(rows), ms, gbps, 100.0 * gbps / copy, tflops, old_ms,
                  bytes / (old_ms * 1e-3) / 1e9, dense_ms);
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
