// Timings of the CUDA ops at Qwen3-8B shapes (disabled by default; tools/gpu/run-gpu-tests.sh runs them): the
// device copy bandwidth as the ceiling, linear at decode and prefill sizes, decode and prefill attention, a norm and
// the vocabulary softmax; attention alone at the Qwen3-VL-32B shapes (prefill TFLOP/s, decode KV GB/s, FP8 too)
// and the vision tower's segment attention. Host clock around synchronised repetitions; not a benchmark suite
// (tools/bench is).
#include <chrono>
#include <cstdio>
#include <functional>

#include "cuda_op_test_util.h"
#include "tensor/float_convert.h"

namespace fovea::backend::testing {
namespace {

using tensor::DType;

class CudaTimingTest : public CudaOpsTest {
 protected:
  // A device tensor of random bf16 values in [-1, 1) (a cheap generator: data, not statistics, matter here).
  Tensor random_bf16(tensor::Shape shape) {
    Tensor probe;
    probe.shape = shape;
    const int64_t count = probe.numel();
    std::vector<uint16_t> host(static_cast<size_t>(count));
    uint32_t state = 12345u;
    for (uint16_t& value : host) {
      state = state * 1664525u + 1013904223u;
      value = tensor::float_to_bf16(static_cast<float>(state >> 8) / 8388608.0f - 1.0f);
    }
    auto buffer = gpu_->allocate(static_cast<size_t>(count) * 2);
    EXPECT_TRUE(buffer.ok());
    const Tensor view = Tensor::on(**buffer, DType::kBF16, std::move(shape));
    EXPECT_TRUE(gpu_->copy_from_host(gpu_->default_stream(), host.data(), view).ok());
    buffers_.push_back(std::move(buffer).value());
    return view;
  }
  Tensor empty(DType dtype, tensor::Shape shape) {
    Tensor probe;
    probe.shape = shape;
    auto buffer = gpu_->allocate(static_cast<size_t>(probe.numel() * tensor::dtype_size_bytes(dtype)));
    EXPECT_TRUE(buffer.ok());
    const Tensor view = Tensor::on(**buffer, dtype, std::move(shape));
    buffers_.push_back(std::move(buffer).value());
    return view;
  }
  Tensor ints(const std::vector<int32_t>& values) {
    const Tensor view = empty(DType::kI32, {static_cast<int64_t>(values.size())});
    EXPECT_TRUE(gpu_->copy_from_host(gpu_->default_stream(), values.data(), view).ok());
    return view;
  }
  // Milliseconds per call: 3 warm-up calls, then the mean of `reps` calls between two synchronisations.
  double time_ms(const std::function<base::Status()>& call, int reps = 20) {
    Stream& stream = gpu_->default_stream();
    for (int rep = 0; rep < 3; ++rep) EXPECT_TRUE(call().ok());
    EXPECT_TRUE(gpu_->synchronize(stream).ok());
    const auto start = std::chrono::steady_clock::now();
    for (int rep = 0; rep < reps; ++rep) EXPECT_TRUE(call().ok());
    EXPECT_TRUE(gpu_->synchronize(stream).ok());
    const std::chrono::duration<double, std::milli> elapsed = std::chrono::steady_clock::now() - start;
    return elapsed.count() / reps;
  }
  void report(const char* what, double ms, double amount, const char* unit) {
    std::printf("TIMING %-52s %9.3f ms  %9.1f %s\n", what, ms, amount / (ms * 1e-3) / 1e9, unit);
  }

  std::vector<std::unique_ptr<Buffer>> buffers_;
};

TEST_F(CudaTimingTest, DISABLED_Qwen3_8BShapes) {
  Stream& stream = gpu_->default_stream();
  Ops& ops = gpu_->ops();
  {
    const Tensor src = random_bf16({256, 1 << 20});
    const Tensor dst = empty(DType::kBF16, {256, 1 << 20});
    const double ms = time_ms([&] { return gpu_->copy(stream, src, dst); }, 10);
    report("device copy 512 MiB (read + write)", ms, 2.0 * 512 * 1024 * 1024, "GB/s");
  }
  const int64_t hidden = 4096;
  const int64_t gate_up = 2 * 12288;
  Weight w;
  w.values = random_bf16({gate_up, hidden});
  for (int64_t rows : {1, 8, 64}) {
    const Tensor x = random_bf16({rows, hidden});
    const Tensor y = empty(DType::kBF16, {rows, gate_up});
    const double ms = time_ms([&] { return ops.linear(stream, x, w, nullptr, y); });
    char what[96];
    std::snprintf(what, sizeof(what), "linear bf16 M=%lld K=4096 N=24576 (weight GB/s)", static_cast<long long>(rows));
    report(what, ms, static_cast<double>(gate_up * hidden * 2), "GB/s");
  }
  {
    const Tensor x = random_bf16({2048, hidden});
    const Tensor y = empty(DType::kBF16, {2048, gate_up});
    const double ms = time_ms([&] { return ops.linear(stream, x, w, nullptr, y); }, 10);
    report("linear bf16 M=2048 K=4096 N=24576", ms, 2.0 * 2048 * hidden * gate_up / 1e3, "TFLOP/s");
  }
  {
    // Decode: 32 sequences of 4096 tokens, 32 query / 8 KV heads of 128, bf16 cache in blocks of 16.
    const int64_t num_seqs = 32;
    const int64_t seq_len = 4096;
    const int64_t blocks_per_seq = seq_len / 16;
    const PagedKvCache cache{random_bf16({num_seqs * blocks_per_seq, 16, 8, 128}),
                             random_bf16({num_seqs * blocks_per_seq, 16, 8, 128}), 1.0f, 1.0f};
    std::vector<int32_t> starts;
    std::vector<int32_t> lens(static_cast<size_t>(num_seqs), static_cast<int32_t>(seq_len));
    std::vector<int32_t> tables;
    for (int32_t idx = 0; idx <= num_seqs; ++idx) starts.push_back(idx);
    for (int32_t idx = 0; idx < num_seqs * blocks_per_seq; ++idx) tables.push_back(idx);
    const Tensor table_flat = ints(tables);
    Tensor table = table_flat;
    table.shape = tensor::Shape({num_seqs, blocks_per_seq});
    const PagedAttentionBatch batch{ints(starts), ints(lens), table, 1, static_cast<int>(seq_len)};
    const Tensor q = random_bf16({num_seqs, 32, 128});
    const Tensor out = empty(DType::kBF16, {num_seqs, 32, 128});
    const double ms = time_ms([&] { return ops.paged_attention(stream, q, cache, batch, 0.088f, out); });
    report("paged decode 32 x 4096 tokens, 32/8 heads (KV GB/s)", ms,
           static_cast<double>(2 * num_seqs * seq_len * 8 * 128 * 2), "GB/s");
    const std::vector<int32_t> one_start = {0, 1};
    const std::vector<int32_t> one_len = {static_cast<int32_t>(seq_len)};
    const PagedAttentionBatch single{ints(one_start), ints(one_len), table.slice_rows(0, 1), 1,
                                     static_cast<int>(seq_len)};
    const Tensor q1 = q.slice_rows(0, 1);
    const Tensor out1 = out.slice_rows(0, 1);
    const double ms1 = time_ms([&] { return ops.paged_attention(stream, q1, cache, single, 0.088f, out1); });
    report("paged decode 1 x 4096 tokens (split-KV; KV GB/s)", ms1, static_cast<double>(2 * seq_len * 8 * 128 * 2),
           "GB/s");
    // Prefill: one sequence of 2048 new tokens.
    const std::vector<int32_t> prefill_start = {0, 2048};
    const std::vector<int32_t> prefill_len = {2048};
    const PagedAttentionBatch prefill{ints(prefill_start), ints(prefill_len), table.slice_rows(0, 1), 2048, 2048};
    const Tensor qp = random_bf16({2048, 32, 128});
    const Tensor outp = empty(DType::kBF16, {2048, 32, 128});
    const double msp = time_ms([&] { return ops.paged_attention(stream, qp, cache, prefill, 0.088f, outp); }, 5);
    report("paged prefill 2048 tokens causal, 32/8 heads", msp, 4.0 * 2048 * 2048 / 2 * 128 * 32 / 1e3, "TFLOP/s");
  }
  {
    const Tensor x = random_bf16({2048, hidden});
    const Tensor weight = random_bf16({hidden});
    const Tensor out = empty(DType::kBF16, {2048, hidden});
    const double ms = time_ms([&] { return ops.rms_norm(stream, x, weight, 1e-6f, out); });
    report("rms_norm bf16 2048 x 4096 (read + write)", ms, 2.0 * 2048 * hidden * 2, "GB/s");
  }
  {
    const Tensor logits = random_bf16({64, 151936});
    const Tensor probs = empty(DType::kF32, {64, 151936});
    const double ms = time_ms([&] { return ops.softmax(stream, logits, probs); });
    report("softmax bf16 -> f32 64 x 151936", ms, 64.0 * 151936 * (2 + 4), "GB/s");
    const Tensor values = empty(DType::kF32, {64, 50});
    const Tensor indices = empty(DType::kI32, {64, 50});
    const double ms_top = time_ms([&] { return ops.top_k(stream, logits, 50, values, indices); });
    report("top_k k=50 bf16 64 x 151936", ms_top, 64.0 * 151936 * 2, "GB/s");
    const Tensor best = empty(DType::kI32, {64});
    const double ms_arg = time_ms([&] { return ops.argmax(stream, logits, best); });
    report("argmax bf16 64 x 151936", ms_arg, 64.0 * 151936 * 2, "GB/s");
  }
}

TEST_F(CudaTimingTest, DISABLED_AttentionAt32BShapes) {
  Stream& stream = gpu_->default_stream();
  Ops& ops = gpu_->ops();
  // 64 query / 8 KV heads of 128 (Qwen3-VL-32B), bf16 cache in blocks of 16, room for 64 sequences of 4096.
  const int64_t max_seqs = 64;
  const int64_t max_len = 4096;
  const int64_t blocks_per_seq = max_len / 16;
  const int64_t num_blocks = max_seqs * blocks_per_seq;
  const PagedKvCache cache{random_bf16({num_blocks, 16, 8, 128}), random_bf16({num_blocks, 16, 8, 128}), 1.0f, 1.0f};
  std::vector<int32_t> table_values(static_cast<size_t>(num_blocks));
  for (int32_t idx = 0; idx < num_blocks; ++idx) table_values[static_cast<size_t>(idx)] = idx;
  Tensor table = ints(table_values);
  table.shape = tensor::Shape({max_seqs, blocks_per_seq});
  const float scale = 0.088f;
  for (int64_t tokens : {512, 2048}) {
    const std::vector<int32_t> starts = {0, static_cast<int32_t>(tokens)};
    const std::vector<int32_t> lens = {static_cast<int32_t>(tokens)};
    const PagedAttentionBatch batch{ints(starts), ints(lens), table.slice_rows(0, 1), static_cast<int>(tokens),
                                    static_cast<int>(tokens)};
    const Tensor q = random_bf16({tokens, 64, 128});
    const Tensor out = empty(DType::kBF16, {tokens, 64, 128});
    const double ms = time_ms([&] { return ops.paged_attention(stream, q, cache, batch, scale, out); }, 10);
    char what[96];
    std::snprintf(what, sizeof(what), "32B prefill attention %lld tokens causal, 64/8 heads",
                  static_cast<long long>(tokens));
    report(what, ms, 4.0 * static_cast<double>(tokens * tokens) / 2 * 128 * 64 / 1e3, "TFLOP/s");
  }
  for (int64_t num_seqs : {1, 32, 64}) {
    for (int64_t seq_len : {512, 4096}) {
      std::vector<int32_t> starts;
      for (int32_t idx = 0; idx <= num_seqs; ++idx) starts.push_back(idx);
      const std::vector<int32_t> lens(static_cast<size_t>(num_seqs), static_cast<int32_t>(seq_len));
      const PagedAttentionBatch batch{ints(starts), ints(lens), table.slice_rows(0, num_seqs), 1,
                                      static_cast<int>(seq_len)};
      const Tensor q = random_bf16({num_seqs, 64, 128});
      const Tensor out = empty(DType::kBF16, {num_seqs, 64, 128});
      const double ms = time_ms([&] { return ops.paged_attention(stream, q, cache, batch, scale, out); });
      char what[96];
      std::snprintf(what, sizeof(what), "32B decode attention b%lld x %lld ctx (KV GB/s)",
                    static_cast<long long>(num_seqs), static_cast<long long>(seq_len));
      report(what, ms, static_cast<double>(2 * num_seqs * seq_len * 8 * 128 * 2), "GB/s");
    }
  }
  {
    // FP8 cache, batch 32 x 4096: half the bytes of bf16.
    const int64_t fp8_blocks = 32 * blocks_per_seq;
    const PagedKvCache fp8{empty(DType::kF8E4M3, {fp8_blocks, 16, 8, 128}),
                           empty(DType::kF8E4M3, {fp8_blocks, 16, 8, 128}), 0.5f, 0.5f};
    // Finite e4m3 bytes (exponent below the NaN pattern's).
    std::vector<uint8_t> bytes(static_cast<size_t>(fp8.k.numel()));
    for (size_t idx = 0; idx < bytes.size(); ++idx) bytes[idx] = static_cast<uint8_t>((idx * 2654435761u >> 7) & 0x77u);
    EXPECT_TRUE(gpu_->copy_from_host(stream, bytes.data(), fp8.k).ok());
    EXPECT_TRUE(gpu_->copy_from_host(stream, bytes.data(), fp8.v).ok());
    std::vector<int32_t> starts;
    for (int32_t idx = 0; idx <= 32; ++idx) starts.push_back(idx);
    const std::vector<int32_t> lens(32, static_cast<int32_t>(max_len));
    const PagedAttentionBatch batch{ints(starts), ints(lens), table.slice_rows(0, 32), 1, static_cast<int>(max_len)};
    const Tensor q = random_bf16({32, 64, 128});
    const Tensor out = empty(DType::kBF16, {32, 64, 128});
    const double ms = time_ms([&] { return ops.paged_attention(stream, q, fp8, batch, scale, out); });
    report("32B decode attention b32 x 4096 ctx, FP8 cache (KV GB/s)", ms,
           static_cast<double>(2 * 32 * max_len * 8 * 128), "GB/s");
  }
  {
    // Vision tower: 4 segments of 1024 patches, 16 heads of 72.
    const Tensor q = random_bf16({4096, 16, 72});
    const Tensor k = random_bf16({4096, 16, 72});
    const Tensor v = random_bf16({4096, 16, 72});
    const Tensor out = empty(DType::kBF16, {4096, 16, 72});
    const SegmentBatch segments{ints({0, 1024, 2048, 3072, 4096}), 1024};
    const double ms = time_ms([&] { return ops.segment_attention(stream, q, k, v, segments, 0.118f, out); }, 10);
    report("vision segment attention 4 x 1024, 16 heads of 72", ms, 4.0 * 4 * 1024.0 * 1024 * 72 * 16 / 1e3, "TFLOP/s");
  }
}

}  // namespace
}  // namespace fovea::backend::testing
