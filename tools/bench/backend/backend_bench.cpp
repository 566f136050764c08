// fovea_backend_bench: throughput of the CPU backend's hot ops next to the machine's own limits, measured in the
// same run: memory bandwidth (copy and read loops), raw OpenBLAS sgemm, then GEMV (decode) in GB/s of weights,
// the GEMV/GEMM crossover, prefill GEMM in GFLOP/s and decode attention in GB/s of KV cache, at 1 and 2 threads.
// Usage: fovea_backend_bench [--threads N,M,...] [--min-seconds S] [--only memory|sgemm|gemv|gemm|attn|crossover].
// Not a test: numbers go to docs/PERFORMANCE.md.
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/cpu_features.h"
#include "base/thread_pool.h"
#include "tensor/float_convert.h"

namespace fovea::backend::bench {
namespace {

using tensor::DType;

double g_min_seconds = 0.5;

double process_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

// Per call of fn: wall seconds, and CPU seconds of all threads (which, divided by the thread count, is what the
// wall time would be on an otherwise idle machine; the build machine is shared). One warm-up call first.
struct Timing {
  double wall_s;
  double cpu_s;
};

Timing time_per_call(const std::function<void()>& fn) {
  fn();
  int64_t calls = 0;
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = process_cpu_seconds();
  double elapsed = 0.0;
  do {
    fn();
    ++calls;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (elapsed < g_min_seconds);
  return {elapsed / static_cast<double>(calls), (process_cpu_seconds() - cpu_start) / static_cast<double>(calls)};
}

// "12.3 GB/s (idle-machine estimate 20.1)": rate over wall time, and over CPU time per thread.
std::string rate(double amount, Timing t, int num_threads, const char* unit) {
  char text[96];
  std::snprintf(text, sizeof(text), "%7.1f %s (cpu-time %7.1f)", amount / t.wall_s / 1e9, unit,
                amount / (t.cpu_s / num_threads) / 1e9);
  return text;
}

void check(const base::Status& status) {
  if (!status.ok()) {
    std::fprintf(stderr, "fovea_backend_bench: %s\n", status.to_string().c_str());
    std::exit(1);
  }
}

// A buffer of `count` random elements of `dtype` and a packed view of `shape` over it.
struct Filled {
  std::unique_ptr<Buffer> buffer;
  Tensor view;
};

Filled filled(cpu::CpuBackend& backend, DType dtype, tensor::Shape shape) {
  Filled out;
  const int64_t count = shape.numel();
  out.buffer = std::move(backend.allocate(static_cast<size_t>(count * tensor::dtype_size_bytes(dtype)))).value();
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  auto* bytes = static_cast<std::byte*>(out.buffer->data());
  for (int64_t idx = 0; idx < count; ++idx) {
    const float value = dist(rng) * 0.1f;
    if (dtype == DType::kF32) {
      std::memcpy(bytes + idx * 4, &value, 4);
    } else {
      const uint16_t bits = dtype == DType::kBF16 ? tensor::float_to_bf16(value) : tensor::float_to_f16(value);
      std::memcpy(bytes + idx * 2, &bits, 2);
    }
  }
  out.view = Tensor::on(*out.buffer, dtype, std::move(shape));
  return out;
}

void memory_bandwidth(int num_threads) {
  constexpr size_t kBytes = size_t{512} << 20;
  std::vector<uint64_t> src(kBytes / 8, 1);
  std::vector<uint64_t> dst(kBytes / 8, 0);
  base::ThreadPool pool(num_threads);
  const int64_t num_parts = num_threads * 8;
  const size_t part = src.size() / static_cast<size_t>(num_parts);
  const Timing copy_t = time_per_call([&] {
    pool.parallel_for(num_parts, [&](int64_t begin, int64_t end) {
      for (int64_t p = begin; p < end; ++p) {
        std::memcpy(dst.data() + static_cast<size_t>(p) * part, src.data() + static_cast<size_t>(p) * part, part * 8);
      }
    });
  });
  std::vector<uint64_t> sums(static_cast<size_t>(num_parts));
  const Timing read_t = time_per_call([&] {
    pool.parallel_for(num_parts, [&](int64_t begin, int64_t end) {
      for (int64_t p = begin; p < end; ++p) {
        uint64_t sum = 0;
        const uint64_t* data = src.data() + static_cast<size_t>(p) * part;
        for (size_t i = 0; i < part; ++i) sum += data[i];
        sums[static_cast<size_t>(p)] = sum;
      }
    });
  });
  std::printf("memory  %d thread(s): copy (read+write) %s, read %s   [512 MiB]\n", num_threads,
              rate(2.0 * kBytes, copy_t, num_threads, "GB/s").c_str(),
              rate(kBytes, read_t, num_threads, "GB/s").c_str());
}

void raw_sgemm(int64_t m, int64_t n, int64_t k, int num_threads) {
  std::vector<float> a(static_cast<size_t>(m * k), 0.01f);
  std::vector<float> b(static_cast<size_t>(n * k), 0.02f);
  std::vector<float> c(static_cast<size_t>(m * n));
  openblas_set_num_threads(num_threads);
  const Timing t = time_per_call([&] {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<blasint>(m), static_cast<blasint>(n),
                static_cast<blasint>(k), 1.0f, a.data(), static_cast<blasint>(k), b.data(), static_cast<blasint>(k),
                0.0f, c.data(), static_cast<blasint>(n));
  });
  std::printf("sgemm   %d thread(s): OpenBLAS f32 M=%ld K=%ld N=%ld: %s\n", num_threads, static_cast<long>(m),
              static_cast<long>(k), static_cast<long>(n), rate(2.0 * m * n * k, t, num_threads, "GFLOP/s").c_str());
  openblas_set_num_threads(1);
}

// linear through a CpuOps of num_threads with the given path; the weights rotate over num_copies matrices so the
// working set can exceed the last-level cache as a model's layers do.
Timing linear_timing(int num_threads, cpu::LinearPath path, int64_t m, int64_t k, int64_t n, DType w_dtype,
                     int num_copies) {
  cpu::CpuBackend backend(cpu::CpuBackendOptions{num_threads, false, {path, cpu::SimdPath::kAuto, 8}});
  std::vector<Filled> weights;
  for (int copy = 0; copy < num_copies; ++copy) weights.push_back(filled(backend, w_dtype, {n, k}));
  Filled x = filled(backend, DType::kBF16, {m, k});
  Filled y = filled(backend, DType::kBF16, {m, n});
  int next = 0;
  return time_per_call([&] {
    Weight w;
    w.values = weights[static_cast<size_t>(next)].view;
    next = (next + 1) % num_copies;
    check(backend.ops().linear(backend.default_stream(), x.view, w, nullptr, y.view));
  });
}

void gemv(int num_threads, const char* label, int64_t k, int64_t n, DType w_dtype, int num_copies) {
  const Timing t = linear_timing(num_threads, cpu::LinearPath::kAuto, 1, k, n, w_dtype, num_copies);
  const double bytes = static_cast<double>(k * n * tensor::dtype_size_bytes(w_dtype));
  std::printf("gemv    %d thread(s): %-38s %s K=%ld N=%ld: %s of weights\n", num_threads, label,
              std::string(tensor::dtype_name(w_dtype)).c_str(), static_cast<long>(k), static_cast<long>(n),
              rate(bytes, t, num_threads, "GB/s").c_str());
}

void crossover(int num_threads) {
  std::printf("linear  %d thread(s): bf16 K=1024 N=3072, CPU ms per call by rows M (GEMV | BLAS GEMM):\n", num_threads);
  const cpu::LinearPath gemv_path =
      cpu::cpu_has_avx2_fma() ? cpu::LinearPath::kGemvAvx2 : cpu::LinearPath::kGemvPortable;
  for (int64_t m : {1, 2, 4, 8, 12, 16, 32, 64}) {
    const Timing gemv_t = linear_timing(num_threads, gemv_path, m, 1024, 3072, DType::kBF16, 8);
    const Timing gemm_t = linear_timing(num_threads, cpu::LinearPath::kGemmBlas, m, 1024, 3072, DType::kBF16, 8);
    std::printf("          M=%-3ld  %.3f | %.3f\n", static_cast<long>(m), gemv_t.cpu_s * 1e3, gemm_t.cpu_s * 1e3);
  }
}

void gemm(int num_threads, int64_t m, int64_t k, int64_t n) {
  const Timing t = linear_timing(num_threads, cpu::LinearPath::kGemmBlas, m, k, n, DType::kBF16, 1);
  std::printf("gemm    %d thread(s): linear, bf16 weights and x, M=%ld K=%ld N=%ld: %s\n", num_threads,
              static_cast<long>(m), static_cast<long>(k), static_cast<long>(n),
              rate(2.0 * m * k * n, t, num_threads, "GFLOP/s").c_str());
}

void decode_attention(int num_threads, int64_t context) {
  cpu::CpuBackend backend(cpu::CpuBackendOptions{num_threads, false, {}});
  const int64_t block_size = 16;
  const int64_t num_blocks = context / block_size;
  const int64_t num_heads = 16;
  const int64_t num_kv_heads = 8;
  const int64_t head_dim = 128;
  Filled k_cache = filled(backend, DType::kBF16, {num_blocks, block_size, num_kv_heads, head_dim});
  Filled v_cache = filled(backend, DType::kBF16, {num_blocks, block_size, num_kv_heads, head_dim});
  Filled q = filled(backend, DType::kBF16, {1, num_heads, head_dim});
  Filled out = filled(backend, DType::kBF16, {1, num_heads, head_dim});
  auto meta = std::move(backend.allocate(static_cast<size_t>(num_blocks + 3) * 4)).value();
  auto* ints = static_cast<int32_t*>(meta->data());
  ints[0] = 0;
  ints[1] = 1;
  ints[2] = static_cast<int32_t>(context);
  for (int64_t block_idx = 0; block_idx < num_blocks; ++block_idx)
    ints[3 + block_idx] = static_cast<int32_t>(block_idx);
  const PagedKvCache cache{k_cache.view, v_cache.view, 1.0f, 1.0f};
  const PagedAttentionBatch batch{Tensor::on(*meta, DType::kI32, {2}), Tensor::on(*meta, DType::kI32, {1}, 8),
                                  Tensor::on(*meta, DType::kI32, {1, num_blocks}, 12), 1, static_cast<int>(context)};
  const Timing t = time_per_call(
      [&] { check(backend.ops().paged_attention(backend.default_stream(), q.view, cache, batch, 0.088f, out.view)); });
  const double bytes = 2.0 * static_cast<double>(context * num_kv_heads * head_dim * 2);
  std::printf("attn    %d thread(s): decode, %ld context, 16/8 heads of 128, bf16 cache: %s of KV\n", num_threads,
              static_cast<long>(context), rate(bytes, t, num_threads, "GB/s").c_str());
}

}  // namespace
}  // namespace fovea::backend::bench

int main(int argc, char** argv) {
  using namespace fovea::backend::bench;
  std::vector<int> thread_counts = {1, 2};
  std::string only;
  for (int arg_idx = 1; arg_idx + 1 < argc; arg_idx += 2) {
    const std::string flag = argv[arg_idx];
    if (flag == "--min-seconds") {
      g_min_seconds = std::stod(argv[arg_idx + 1]);
    } else if (flag == "--only") {
      only = argv[arg_idx + 1];
    } else if (flag == "--threads") {
      thread_counts.clear();
      std::string list = argv[arg_idx + 1];
      for (size_t pos = 0; pos <= list.size();) {
        const size_t comma = std::min(list.find(',', pos), list.size());
        thread_counts.push_back(std::stoi(list.substr(pos, comma - pos)));
        pos = comma + 1;
      }
    } else {
      std::fprintf(stderr,
                   "fovea_backend_bench: unknown flag %s; use --threads 1,2, --min-seconds 0.5 or --only gemv\n",
                   flag.c_str());
      return 2;
    }
  }
  std::printf("cpu: AVX2/FMA/F16C %s\n", fovea::backend::cpu::cpu_has_avx2_fma() ? "yes" : "no");
  using fovea::tensor::DType;
  const auto wanted = [&](const char* name) { return only.empty() || only == name; };
  for (int threads : thread_counts) {
    if (wanted("memory")) memory_bandwidth(threads);
    if (wanted("sgemm")) raw_sgemm(512, 3072, 1024, threads);
    if (wanted("gemv")) {
      gemv(threads, "Qwen3-0.6B qkv, 16 rotating copies", 1024, 4096, DType::kBF16, 16);
      gemv(threads, "Qwen3-0.6B gate/up, 8 rotating copies", 1024, 3072, DType::kBF16, 8);
      gemv(threads, "same, L3-resident (1 copy)", 1024, 3072, DType::kBF16, 1);
      gemv(threads, "f16 weights, 8 rotating copies", 1024, 3072, DType::kF16, 8);
      gemv(threads, "f32 weights, 8 rotating copies", 1024, 3072, DType::kF32, 8);
      gemv(threads, "lm_head (151936 rows)", 1024, 151936, DType::kBF16, 1);
    }
    if (wanted("gemm")) gemm(threads, 512, 1024, 3072);
    if (wanted("attn")) decode_attention(threads, 4096);
    if (wanted("crossover")) crossover(threads);
  }
  return 0;
}
