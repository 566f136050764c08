// tp_multi_gpu_test: the communicators on real GPUs, one thread per GPU as fovea runs them. Checks all_reduce_sum
// (bf16 / f16 / f32, 1 x 5120 ... 8192 x 5120) and all_gather_last_dim (vocabulary shards) against host sums, checks
// that every rank ends with the same bytes, replays a decode step's all-reduces captured in a CUDA graph, and
// prints the time of each. One "PASS <check>" / "FAIL <check>: why" line per check, "TIME ..." lines for the table
// (tools/gpu/run-multi-gpu.sh); exit status 1 when any check failed.
// Usage: tp_multi_gpu_test [--ranks N] [--nccl] [--quick] [--abort-test]
//   --ranks N     ranks (GPUs 0..N-1); default every visible GPU, at most 8
//   --nccl        NCCL even for one rank (default: one rank runs the single-rank communicator)
//   --quick       fewer sizes and iterations
//   --abort-test  only the failure path: rank 0 enters an all-reduce alone, the main thread aborts it
#include <cuda_runtime_api.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "backend/backend.h"
#include "backend/communicator.h"
#include "backend/cuda/cuda_factory.h"
#include "backend/cuda/nccl_communicator.h"
#include "tensor/float_convert.h"

namespace fovea::backend {
namespace {

using tensor::DType;
using tensor::Shape;
using Clock = std::chrono::steady_clock;

constexpr int64_t kHidden32b = 5120;  // Qwen3-VL-32B hidden_size; 64 layers, 2 all-reduces each
constexpr int64_t kHidden8b = 4096;   // Qwen3-VL-8B hidden_size; 36 layers
constexpr int64_t kLayers32b = 64;
constexpr int64_t kLayers8b = 36;
constexpr int64_t kMaxRows = 8192;
constexpr int64_t kVocabPadded = 151936;  // Qwen3 vocab, already a multiple of 64

struct Options {
  int num_ranks = 0;
  bool force_nccl = false;
  bool quick = false;
  bool abort_test = false;
};

// Results from every rank, printed by the main thread after the ranks join.
struct Results {
  std::mutex mutex;
  std::map<std::string, std::vector<std::string>> failures;  // check -> one message per failing rank
  std::map<std::string, std::vector<uint64_t>> hashes;       // check -> output hash per rank (must agree)
  std::map<std::string, std::vector<double>> times_us;       // label -> time per rank
  std::vector<std::string> order;                            // checks and labels in first-seen order

  void note(const std::string& key) {
    if (std::find(order.begin(), order.end(), key) == order.end()) order.push_back(key);
  }
  void check(const std::string& name, int rank, bool ok, const std::string& why) {
    std::lock_guard lock(mutex);
    note(name);
    auto& list = failures[name];
    if (!ok) list.push_back("rank " + std::to_string(rank) + ": " + why);
  }
  void hash(const std::string& name, int rank, int world, uint64_t value) {
    std::lock_guard lock(mutex);
    auto& list = hashes[name];
    list.resize(static_cast<size_t>(world));
    list[static_cast<size_t>(rank)] = value;
  }
  void time(const std::string& label, int rank, int world, double us) {
    std::lock_guard lock(mutex);
    note(label);
    auto& list = times_us[label];
    list.resize(static_cast<size_t>(world));
    list[static_cast<size_t>(rank)] = us;
  }
};

uint64_t fnv1a(const void* data, size_t size_bytes) {
  uint64_t hash = 1469598103934665603ull;
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size_bytes; ++i) hash = (hash ^ bytes[i]) * 1099511628211ull;
  return hash;
}

// Small integers: their sums over up to 8 ranks are exact in bf16, f16 and f32, so the check is exact.
float integer_value(int rank, int64_t idx) {
  return static_cast<float>(static_cast<int>((idx * 7 + rank * 13 + (idx >> 9)) % 17) - 8);
}

// Uniform in [-1, 1): sums need a tolerance.
float random_value(int rank, int64_t idx) {
  uint64_t x =
      static_cast<uint64_t>(idx) * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(rank + 1) * 0xD1B54A32D192ED03ull;
  x ^= x >> 31;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 29;
  return static_cast<float>(x >> 40) / static_cast<float>(1ull << 23) - 1.0f;
}

float round_to(DType dtype, float value) {
  if (dtype == DType::kBF16) return tensor::round_to_bf16(value);
  if (dtype == DType::kF16) return tensor::round_to_f16(value);
  return value;
}

// Host floats as packed elements of `dtype`.
std::vector<unsigned char> encode(DType dtype, const std::vector<float>& values) {
  const size_t element_bytes = static_cast<size_t>(tensor::dtype_size_bytes(dtype));
  std::vector<unsigned char> bytes(values.size() * element_bytes);
  for (size_t i = 0; i < values.size(); ++i) {
    if (dtype == DType::kF32) {
      std::memcpy(&bytes[i * 4], &values[i], 4);
    } else {
      const uint16_t bits = dtype == DType::kBF16 ? tensor::float_to_bf16(values[i]) : tensor::float_to_f16(values[i]);
      std::memcpy(&bytes[i * 2], &bits, 2);
    }
  }
  return bytes;
}

float decode_one(DType dtype, const unsigned char* element) {
  if (dtype == DType::kF32) {
    float value = 0.0f;
    std::memcpy(&value, element, 4);
    return value;
  }
  uint16_t bits = 0;
  std::memcpy(&bits, element, 2);
  return dtype == DType::kBF16 ? tensor::bf16_to_float(bits) : tensor::f16_to_float(bits);
}

std::string dtype_label(DType dtype) {
  std::string name(tensor::dtype_name(dtype));
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  return name;
}

struct World {
  std::vector<std::unique_ptr<Backend>> backends;
  std::vector<std::unique_ptr<Communicator>> comms;
  Results results;
  std::unique_ptr<std::barrier<>> sync;
  std::mutex abort_mutex;
  bool aborted = false;

  int size() const { return static_cast<int>(comms.size()); }
  // A rank that failed mid-collective would leave the others waiting: end every communicator.
  void abort_all() {
    std::lock_guard lock(abort_mutex);
    if (aborted) return;
    aborted = true;
    for (auto& comm : comms) comm->abort();
  }
};

// One rank's view: its backend, communicator, stream and one buffer big enough for every check.
struct Rank {
  World* world;
  int rank;
  Backend* backend;
  Communicator* comm;
  Stream* stream;
  std::unique_ptr<Buffer> buffer;  // kMaxRows x kHidden32b f32, then the same again for gathers and staging
  bool quick;

  int world_size() const { return world->size(); }
  std::string where() const { return "rank " + std::to_string(rank); }
};

base::Status upload(Rank& r, const Tensor& t, const std::vector<float>& values) {
  std::vector<unsigned char> bytes = encode(t.dtype, values);
  FOVEA_RETURN_IF_ERROR(r.backend->copy_from_host(*r.stream, bytes.data(), t));
  return r.backend->synchronize(*r.stream);
}

base::Result<std::vector<unsigned char>> download(Rank& r, const Tensor& t) {
  std::vector<unsigned char> bytes(static_cast<size_t>(t.numel() * t.element_size_bytes()));
  FOVEA_RETURN_IF_ERROR(r.backend->copy_to_host(*r.stream, t, bytes.data()));
  FOVEA_RETURN_IF_ERROR(r.backend->synchronize(*r.stream));
  return bytes;
}

// all_reduce_sum of [rows, hidden] `dtype` against the host sum; exact for integer data.
base::Status check_all_reduce(Rank& r, DType dtype, int64_t rows, int64_t hidden, bool integers) {
  const std::string name = "all_reduce " + dtype_label(dtype) + " " + std::to_string(rows) + "x" +
                           std::to_string(hidden) + (integers ? " exact" : " random");
  const Tensor t = Tensor::on(*r.buffer, dtype, Shape({rows, hidden}));
  const int64_t n = rows * hidden;
  std::vector<float> mine(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    mine[static_cast<size_t>(i)] = round_to(dtype, integers ? integer_value(r.rank, i) : random_value(r.rank, i));
  }
  FOVEA_RETURN_IF_ERROR(upload(r, t, mine));
  FOVEA_RETURN_IF_ERROR(r.comm->all_reduce_sum(*r.stream, t));
  FOVEA_ASSIGN_OR_RETURN(std::vector<unsigned char> bytes, download(r, t));
  r.world->results.hash(name, r.rank, r.world_size(), fnv1a(bytes.data(), bytes.size()));
  // Each step of a ring or tree rounds once to the dtype: world_size roundings at most.
  const double unit = dtype == DType::kBF16  ? std::ldexp(1.0, -8)
                      : dtype == DType::kF16 ? std::ldexp(1.0, -11)
                                             : std::ldexp(1.0, -23);
  const size_t element_bytes = static_cast<size_t>(t.element_size_bytes());
  int64_t num_bad = 0;
  std::string first_bad;
  for (int64_t i = 0; i < n; ++i) {
    double expected = 0.0;
    double magnitude = 0.0;
    for (int other = 0; other < r.world_size(); ++other) {
      const double x = round_to(dtype, integers ? integer_value(other, i) : random_value(other, i));
      expected += x;
      magnitude += std::fabs(x);
    }
    const double got = decode_one(dtype, &bytes[static_cast<size_t>(i) * element_bytes]);
    const double tolerance = integers ? 0.0 : r.world_size() * unit * magnitude;
    if (std::fabs(got - expected) > tolerance || std::isnan(got)) {
      if (num_bad++ == 0) {
        first_bad =
            "element " + std::to_string(i) + " is " + std::to_string(got) + ", expected " + std::to_string(expected);
      }
    }
  }
  r.world->results.check(name, r.rank, num_bad == 0, std::to_string(num_bad) + " wrong elements; " + first_bad);
  return base::Status();
}

// all_gather_last_dim of [rows, cols] shards into [rows, world * cols]: rank r's block at columns r * cols.
base::Status check_all_gather(Rank& r, DType dtype, int64_t rows, int64_t cols) {
  const std::string name = "all_gather_last_dim " + dtype_label(dtype) + " " + std::to_string(rows) + "x" +
                           std::to_string(cols) + " per rank";
  const int world = r.world_size();
  const int64_t element_bytes = tensor::dtype_size_bytes(dtype);
  const int64_t out_offset = ((rows * cols * element_bytes + 255) / 256) * 256;
  const int64_t staging_offset = out_offset + ((rows * cols * world * element_bytes + 255) / 256) * 256;
  const Tensor input = Tensor::on(*r.buffer, dtype, Shape({rows, cols}));
  const Tensor output = Tensor::on(*r.buffer, dtype, Shape({rows, cols * world}), out_offset);
  const Tensor staging = Tensor::on(*r.buffer, dtype, Shape({rows * cols * world}), staging_offset);
  auto value = [](int64_t row, int64_t column) { return static_cast<float>((row * 131 + column) % 251); };
  std::vector<float> shard(static_cast<size_t>(rows * cols));
  for (int64_t row = 0; row < rows; ++row) {
    for (int64_t col = 0; col < cols; ++col)
      shard[static_cast<size_t>(row * cols + col)] = value(row, r.rank * cols + col);
  }
  FOVEA_RETURN_IF_ERROR(upload(r, input, shard));
  FOVEA_RETURN_IF_ERROR(r.comm->all_gather_last_dim(*r.stream, input, staging, output));
  FOVEA_ASSIGN_OR_RETURN(std::vector<unsigned char> bytes, download(r, output));
  int64_t num_bad = 0;
  for (int64_t row = 0; row < rows; ++row) {
    for (int64_t col = 0; col < cols * world; ++col) {
      const size_t idx = static_cast<size_t>(row * cols * world + col);
      if (decode_one(dtype, &bytes[idx * static_cast<size_t>(element_bytes)]) != value(row, col)) ++num_bad;
    }
  }
  r.world->results.check(name, r.rank, num_bad == 0, std::to_string(num_bad) + " wrong elements");
  return base::Status();
}

// Mean time of `iterations` enqueued calls, measured from a host barrier to the stream's completion.
base::Status time_all_reduce(Rank& r, DType dtype, int64_t rows, int64_t hidden, int iterations) {
  const Tensor t = Tensor::on(*r.buffer, dtype, Shape({rows, hidden}));
  for (int i = 0; i < 3; ++i) FOVEA_RETURN_IF_ERROR(r.comm->all_reduce_sum(*r.stream, t));
  FOVEA_RETURN_IF_ERROR(r.comm->barrier(*r.stream));  // every rank starts the clock together
  const auto start = Clock::now();
  for (int i = 0; i < iterations; ++i) FOVEA_RETURN_IF_ERROR(r.comm->all_reduce_sum(*r.stream, t));
  FOVEA_RETURN_IF_ERROR(r.backend->synchronize(*r.stream));
  const double us = std::chrono::duration<double, std::micro>(Clock::now() - start).count() / iterations;
  r.world->results.time(
      "all_reduce " + dtype_label(dtype) + " rows=" + std::to_string(rows) + " hidden=" + std::to_string(hidden),
      r.rank, r.world_size(), us);
  return base::Status();
}

// One decode step's all-reduces (2 per layer) of [batch, hidden] bf16, captured in a CUDA graph and replayed:
// checked once against the host sums, then timed; the same calls enqueued directly are timed beside it.
base::Status decode_step(Rank& r, const std::string& model, int64_t num_layers, int64_t hidden, int64_t batch,
                         int iterations) {
  const int64_t num_reduces = 2 * num_layers;
  const std::string label = "step " + model + " batch=" + std::to_string(batch) + " (" + std::to_string(num_reduces) +
                            " all-reduces of " + std::to_string(batch) + "x" + std::to_string(hidden) + " bf16)";
  std::vector<Tensor> views;
  const int64_t slot_bytes = ((batch * hidden * 2 + 255) / 256) * 256;
  for (int64_t idx = 0; idx < num_reduces; ++idx) {
    views.push_back(Tensor::on(*r.buffer, DType::kBF16, Shape({batch, hidden}), idx * slot_bytes));
  }
  auto record = [&]() -> base::Status {
    for (const Tensor& view : views) FOVEA_RETURN_IF_ERROR(r.comm->all_reduce_sum(*r.stream, view));
    return base::Status();
  };
  std::vector<float> mine(static_cast<size_t>(batch * hidden));
  for (int64_t i = 0; i < batch * hidden; ++i) mine[static_cast<size_t>(i)] = integer_value(r.rank, i);
  for (const Tensor& view : views) FOVEA_RETURN_IF_ERROR(upload(r, view, mine));

  // A single-rank world enqueues nothing, so there is no graph to capture.
  const bool graphs = r.comm->world_size() > 1;
  base::Result<std::unique_ptr<Graph>> graph = graphs ? r.backend->capture_graph(*r.stream, record)
                                                      : base::Result<std::unique_ptr<Graph>>(std::unique_ptr<Graph>());
  // A rank whose capture failed would leave its peers waiting in the replay: fail the phase, which aborts them all.
  if (!graph.ok()) return graph.status().with_context("capturing " + label);
  if (graphs) {
    FOVEA_RETURN_IF_ERROR((*graph)->replay(*r.stream));
    FOVEA_RETURN_IF_ERROR(r.backend->synchronize(*r.stream));
    int64_t num_bad = 0;
    for (const Tensor& view : {views.front(), views.back()}) {
      FOVEA_ASSIGN_OR_RETURN(std::vector<unsigned char> bytes, download(r, view));
      for (int64_t i = 0; i < batch * hidden; ++i) {
        float expected = 0.0f;
        for (int other = 0; other < r.world_size(); ++other) expected += integer_value(other, i);
        if (decode_one(DType::kBF16, &bytes[static_cast<size_t>(i) * 2]) != expected) ++num_bad;
      }
    }
    r.world->results.check("graph replay " + label, r.rank, num_bad == 0, std::to_string(num_bad) + " wrong elements");
    FOVEA_RETURN_IF_ERROR(r.comm->barrier(*r.stream));  // every rank starts the clock together
    const auto start = Clock::now();
    for (int i = 0; i < iterations; ++i) FOVEA_RETURN_IF_ERROR((*graph)->replay(*r.stream));
    FOVEA_RETURN_IF_ERROR(r.backend->synchronize(*r.stream));
    r.world->results.time(label + " graph", r.rank, r.world_size(),
                          std::chrono::duration<double, std::micro>(Clock::now() - start).count() / iterations);
  }
  FOVEA_RETURN_IF_ERROR(r.comm->barrier(*r.stream));  // every rank starts the clock together
  const auto start = Clock::now();
  for (int i = 0; i < iterations; ++i) FOVEA_RETURN_IF_ERROR(record());
  FOVEA_RETURN_IF_ERROR(r.backend->synchronize(*r.stream));
  r.world->results.time(label + " eager", r.rank, r.world_size(),
                        std::chrono::duration<double, std::micro>(Clock::now() - start).count() / iterations);
  return base::Status();
}

using Phase = std::function<base::Status(Rank&)>;

std::vector<std::pair<std::string, Phase>> phases(bool quick) {
  std::vector<std::pair<std::string, Phase>> list;
  std::vector<int64_t> rows = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192};
  if (quick) rows = {1, 8, 128, 8192};
  for (DType dtype : {DType::kBF16, DType::kF32}) {
    for (int64_t num_rows : rows) {
      list.emplace_back("all_reduce", [=](Rank& r) { return check_all_reduce(r, dtype, num_rows, kHidden32b, true); });
    }
    for (int64_t num_rows : {int64_t{1}, kMaxRows}) {
      list.emplace_back("all_reduce", [=](Rank& r) { return check_all_reduce(r, dtype, num_rows, kHidden32b, false); });
    }
  }
  for (int64_t num_rows : {int64_t{1}, int64_t{64}}) {
    list.emplace_back("all_reduce",
                      [=](Rank& r) { return check_all_reduce(r, DType::kF16, num_rows, kHidden32b, true); });
  }
  for (DType dtype : {DType::kF32, DType::kBF16}) {
    for (int64_t num_rows : {int64_t{1}, int64_t{8}, int64_t{64}}) {
      list.emplace_back("all_gather",
                        [=](Rank& r) { return check_all_gather(r, dtype, num_rows, kVocabPadded / r.world_size()); });
    }
  }
  const int iterations = quick ? 10 : 50;
  for (int64_t num_rows : rows) {
    list.emplace_back("timing", [=](Rank& r) {
      return time_all_reduce(r, DType::kBF16, num_rows, kHidden32b, num_rows >= 2048 ? iterations / 2 : iterations);
    });
  }
  for (int64_t num_rows : {int64_t{1}, int64_t{8}, int64_t{64}, int64_t{512}, int64_t{8192}}) {
    list.emplace_back("timing",
                      [=](Rank& r) { return time_all_reduce(r, DType::kBF16, num_rows, kHidden8b, iterations); });
  }
  for (int64_t batch : {int64_t{1}, int64_t{8}, int64_t{64}}) {
    list.emplace_back("step",
                      [=](Rank& r) { return decode_step(r, "32B", kLayers32b, kHidden32b, batch, iterations); });
    list.emplace_back("step", [=](Rank& r) { return decode_step(r, "8B", kLayers8b, kHidden8b, batch, iterations); });
  }
  return list;
}

void run_rank(World& world, int rank, bool quick) {
  Rank r{&world,
         rank,
         world.backends[static_cast<size_t>(rank)].get(),
         world.comms[static_cast<size_t>(rank)].get(),
         nullptr,
         nullptr,
         quick};
  cudaSetDevice(r.backend->device().index);
  r.stream = &r.backend->default_stream();
  const auto phase_list = phases(quick);
  base::Result<std::unique_ptr<Buffer>> buffer =
      r.backend->allocate(static_cast<size_t>(3 * kMaxRows * kHidden32b * 4));
  bool broken = !buffer.ok();
  if (broken) {
    world.results.check("allocate", rank, false, buffer.status().message());
    world.abort_all();
  } else {
    r.buffer = std::move(buffer).value();
  }
  for (const auto& [name, phase] : phase_list) {
    world.sync->arrive_and_wait();
    if (broken) continue;
    const base::Status status = phase(r);
    if (!status.ok()) {
      world.results.check(name + " (error)", rank, false, status.message());
      world.abort_all();
      broken = true;
    }
  }
  world.sync->arrive_and_wait();
  if (!broken) r.buffer.reset();
}

int print_results(World& world) {
  Results& results = world.results;
  int num_failed = 0;
  for (const std::string& key : results.order) {
    if (results.failures.count(key) != 0) {
      std::vector<std::string>& failures = results.failures[key];
      const auto hashes = results.hashes.find(key);
      if (hashes != results.hashes.end() && std::adjacent_find(hashes->second.begin(), hashes->second.end(),
                                                               std::not_equal_to<>()) != hashes->second.end()) {
        failures.push_back("the ranks ended with different bytes");
      }
      if (failures.empty()) {
        std::printf("PASS %s\n", key.c_str());
      } else {
        ++num_failed;
        std::printf("FAIL %s: %s\n", key.c_str(), failures.front().c_str());
      }
    }
    if (results.times_us.count(key) != 0) {
      const std::vector<double>& times = results.times_us[key];
      std::printf("TIME %s: %.1f us (slowest rank)\n", key.c_str(), *std::max_element(times.begin(), times.end()));
    }
  }
  return num_failed;
}

// Rank 0 enters an all-reduce its peers never join; the main thread aborts the communicators after 2 s. PASS when
// rank 0 gets control back (with or without an error) instead of hanging.
int abort_test(World& world) {
  if (world.size() < 2) {
    std::printf("SKIP abort: needs two ranks\n");
    return 0;
  }
  Backend& backend = *world.backends[0];
  base::Result<std::unique_ptr<Buffer>> buffer = backend.allocate(4096);
  if (!buffer.ok()) {
    std::printf("FAIL abort: %s\n", buffer.status().message().c_str());
    return 1;
  }
  std::atomic<bool> returned{false};
  base::Status rank0_status;
  std::thread rank0([&] {
    cudaSetDevice(backend.device().index);
    const Tensor t = Tensor::on(**buffer, DType::kF32, Shape({1024}));
    rank0_status = world.comms[0]->all_reduce_sum(backend.default_stream(), t);
    if (rank0_status.ok()) rank0_status = backend.synchronize(backend.default_stream());
    returned.store(true);
  });
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const bool hung_before_abort = !returned.load();
  world.abort_all();
  for (int i = 0; i < 200 && !returned.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  if (!returned.load()) {
    std::printf("FAIL abort: rank 0 still waits 20 s after ncclCommAbort\n");
    std::fflush(stdout);
    std::_Exit(1);
  }
  rank0.join();
  std::printf("%s abort: rank 0 %s before the abort and returned after it (%s)\n", hung_before_abort ? "PASS" : "FAIL",
              hung_before_abort ? "waited" : "did not wait", rank0_status.ok() ? "ok" : rank0_status.message().c_str());
  std::fflush(stdout);
  // The aborted communicators and their CUDA contexts are not torn down one by one: the process ends here.
  std::_Exit(hung_before_abort ? 0 : 1);
}

int run(const Options& options) {
  const int num_devices = cuda::cuda_device_count();
  if (num_devices < 1) {
    std::printf("FAIL setup: no CUDA GPU is visible\n");
    return 1;
  }
  const int world_size = options.num_ranks > 0 ? options.num_ranks : std::min(num_devices, 8);
  if (world_size > num_devices) {
    std::printf("FAIL setup: %d ranks asked for but %d GPUs are visible\n", world_size, num_devices);
    return 1;
  }
  World world;
  std::vector<Backend*> raw;
  for (int rank = 0; rank < world_size; ++rank) {
    base::Result<std::unique_ptr<Backend>> backend = cuda::create_cuda_backend("cuda:" + std::to_string(rank));
    if (!backend.ok()) {
      std::printf("FAIL setup: %s\n", backend.status().message().c_str());
      return 1;
    }
    raw.push_back(backend->get());
    world.backends.push_back(std::move(backend).value());
  }
  const auto start = Clock::now();
  base::Result<std::vector<std::unique_ptr<Communicator>>> comms =
      options.force_nccl ? cuda::create_nccl_communicators(raw) : create_communicators(raw);
  if (!comms.ok()) {
    std::printf("FAIL setup: %s\n", comms.status().message().c_str());
    return 1;
  }
  world.comms = std::move(comms).value();
  const char* nvls = std::getenv("NCCL_NVLS_ENABLE");
  base::Result<std::string> version = cuda::nccl_version();
  std::printf("INFO ranks=%d communicator=%s nccl=%s NCCL_NVLS_ENABLE=%s init_ms=%.0f\n", world_size,
              std::string(world.comms[0]->name()).c_str(), version.ok() ? version->c_str() : "unavailable",
              nvls != nullptr ? nvls : "(unset)",
              std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  if (world.comms[0]->name() == "nccl" && (nvls == nullptr || std::string(nvls) != "0")) {
    std::printf("FAIL setup: NCCL_NVLS_ENABLE is not 0 after creating the communicators\n");
    return 1;
  }
  if (options.abort_test) return abort_test(world);

  world.sync = std::make_unique<std::barrier<>>(world_size);
  std::vector<std::thread> threads;
  for (int rank = 0; rank < world_size; ++rank) threads.emplace_back(run_rank, std::ref(world), rank, options.quick);
  for (std::thread& thread : threads) thread.join();
  const int num_failed = print_results(world);
  for (auto& comm : world.comms) {
    const base::Status health = comm->health();
    if (!health.ok() && !world.aborted) {
      std::printf("FAIL health rank %d: %s\n", comm->rank(), health.message().c_str());
      return 1;
    }
  }
  std::printf("%s %d ranks: %d checks failed\n", num_failed == 0 ? "PASS" : "FAIL", world_size, num_failed);
  return num_failed == 0 ? 0 : 1;
}

}  // namespace
}  // namespace fovea::backend

int main(int argc, char** argv) {
  fovea::backend::Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--ranks" && i + 1 < argc) {
      options.num_ranks = std::atoi(argv[++i]);
    } else if (arg == "--nccl") {
      options.force_nccl = true;
    } else if (arg == "--quick") {
      options.quick = true;
    } else if (arg == "--abort-test") {
      options.abort_test = true;
    } else {
      std::fprintf(stderr, "usage: tp_multi_gpu_test [--ranks N] [--nccl] [--quick] [--abort-test]\n");
      return 2;
    }
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  return fovea::backend::run(options);
}
