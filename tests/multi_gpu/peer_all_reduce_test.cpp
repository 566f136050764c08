// peer_all_reduce_test: the one-shot peer-to-peer all-reduce (PeerAllReduce behind NcclCommunicator) on real GPUs,
// one thread per GPU as fovea runs them. Checks results against an fp64 host sum (f32 / bf16 / f16, 1 element, odd
// sizes, unaligned tensors, the largest size the kernel takes and one above it), bit-identical bytes on every rank,
// agreement with NCCL, 1000 back-to-back calls of varying sizes with skewed ranks, and calls inside a CUDA graph
// replayed with new inputs; then prints the time per call against NCCL ("BENCH" lines: [1 | 64 | 256, 5120] bf16 and
// f32, eager back-to-back calls and calls replayed from a graph of 32).
// Usage: peer_all_reduce_test [--ranks N]. Prints SKIP and exits 0 with fewer than two GPUs or without peer access.
#include "backend/cuda/peer_all_reduce.h"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <barrier>
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
#include "plan/runtime_overhead.h"
#include "tensor/float_convert.h"

namespace fovea::backend {
namespace {

using tensor::DType;
using tensor::Shape;
using Clock = std::chrono::steady_clock;

constexpr int64_t kHidden = 5120;                  // Qwen3-VL-32B hidden_size
constexpr size_t kBufferBytes = size_t{96} << 20;  // per rank: every phase's tensors
constexpr int kStressCalls = 1000;
constexpr int kGraphReplays = 5;
constexpr auto kWatchdog = std::chrono::seconds(50);  // a deadlock ends the run instead of the device call

// `fovea plan` counts the peer all-reduce's memory and GPU counts from its own constants (plan may not include CUDA
// code); a change to the allocation must change them too. Constants only: nothing of fovea_plan is linked.
static_assert(plan::kPeerAllReduceBytes == cuda::PeerAllReduce::kDeviceBytesPerRank,
              "plan::kPeerAllReduceBytes (src/plan/runtime_overhead.h) must equal what PeerAllReduce::create "
              "allocates per GPU");
static_assert(plan::kPeerAllReduceMaxRanks == cuda::PeerAllReduce::kMaxRanks &&
                  plan::kPeerAllReduceMaxPcieRanks == cuda::PeerAllReduce::kMaxPcieRanks,
              "src/plan/runtime_overhead.h must take the GPU counts PeerAllReduce::create takes");

// Results from every rank, printed by the main thread once the ranks join.
struct Results {
  std::mutex mutex;
  std::vector<std::string> order;                            // checks in first-seen order
  std::map<std::string, std::vector<std::string>> failures;  // check -> one message per failing rank
  std::map<std::string, std::vector<uint64_t>> hashes;       // check -> output bytes' hash per rank
  std::vector<std::string> lines;                            // INFO and BENCH lines from rank 0

  void check(const std::string& name, int rank, bool ok, const std::string& why) {
    std::lock_guard lock(mutex);
    if (std::find(order.begin(), order.end(), name) == order.end()) order.push_back(name);
    if (!ok) failures[name].push_back("rank " + std::to_string(rank) + ": " + why);
  }
  void hash(const std::string& name, int rank, int world, uint64_t value) {
    std::lock_guard lock(mutex);
    auto& list = hashes[name];
    list.resize(static_cast<size_t>(world));
    list[static_cast<size_t>(rank)] = value;
  }
  void line(const std::string& text) {
    std::lock_guard lock(mutex);
    lines.push_back(text);
  }
};

uint64_t fnv1a(const void* data, size_t size_bytes, uint64_t hash = 1469598103934665603ull) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size_bytes; ++i) hash = (hash ^ bytes[i]) * 1099511628211ull;
  return hash;
}

uint64_t mix(uint64_t x) {
  x ^= x >> 31;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 29;
  x *= 0x94D049BB133111EBull;
  return x ^ (x >> 32);
}

// Rank `rank`'s input element `idx` of call `seed`: uniform in [-1, 1) times 2^-3 .. 2^3, rounded to `dtype`.
// Every call of every check has its own seed, so a result built from a previous call's staging shows.
float input_value(DType dtype, int rank, uint64_t seed, int64_t idx) {
  const uint64_t x =
      mix(static_cast<uint64_t>(idx) * 0x9E3779B97F4A7C15ull ^ mix(seed * 131 + static_cast<uint64_t>(rank)));
  const float unit = static_cast<float>(x >> 40) / static_cast<float>(1ull << 23) - 1.0f;
  const float value = std::ldexp(unit, static_cast<int>(x % 7) - 3);
  if (dtype == DType::kBF16) return tensor::round_to_bf16(value);
  if (dtype == DType::kF16) return tensor::round_to_f16(value);
  return value;
}

size_t element_bytes(DType dtype) { return static_cast<size_t>(tensor::dtype_size_bytes(dtype)); }

void encode(DType dtype, float value, unsigned char* out) {
  if (dtype == DType::kF32) {
    std::memcpy(out, &value, 4);
    return;
  }
  const uint16_t bits = dtype == DType::kBF16 ? tensor::float_to_bf16(value) : tensor::float_to_f16(value);
  std::memcpy(out, &bits, 2);
}

double decode(DType dtype, const unsigned char* element) {
  if (dtype == DType::kF32) {
    float value = 0.0f;
    std::memcpy(&value, element, 4);
    return value;
  }
  uint16_t bits = 0;
  std::memcpy(&bits, element, 2);
  return dtype == DType::kBF16 ? tensor::bf16_to_float(bits) : tensor::f16_to_float(bits);
}

std::string dtype_label(DType dtype) { return dtype == DType::kF32 ? "f32" : dtype == DType::kBF16 ? "bf16" : "f16"; }

// One all-reduce: `numel` elements of `dtype` at `offset_bytes` of the rank's buffer, inputs from `seed`.
struct Call {
  DType dtype = DType::kF32;
  int64_t numel = 0;
  size_t offset_bytes = 0;
  uint64_t seed = 0;
  bool via_nccl = false;  // above the peer kernel's limit: NCCL's rounding per step applies
};

// How far a result may be from the exact sum. The peer kernel: fp32 adds in rank order (N - 1 roundings of at most
// 2^-24 of the running magnitude), then one rounding to the dtype. NCCL: a rounding to the dtype per step.
struct Tolerance {
  double peer = 0.0;
  double nccl = 0.0;
};

Tolerance tolerance(DType dtype, int world, double exact, double magnitude) {
  const double round = dtype == DType::kBF16 ? std::ldexp(1.0, -8) : dtype == DType::kF16 ? std::ldexp(1.0, -11) : 0.0;
  const double f32_sum = world * std::ldexp(1.0, -24) * magnitude;
  const double unit = dtype == DType::kF32 ? std::ldexp(1.0, -23) : 2.0 * round;
  const double tiny = std::ldexp(1.0, -24);  // f16 subnormal spacing
  return {round * (std::fabs(exact) + f32_sum) + f32_sum + tiny, world * unit * magnitude + tiny};
}

struct World {
  std::vector<std::unique_ptr<Backend>> backends;
  std::vector<std::unique_ptr<Communicator>> peer;  // the path under test (peer kernel up to limit_bytes)
  std::vector<std::unique_ptr<Communicator>> nccl;  // NCCL for every size: the comparison
  size_t limit_bytes = 0;
  Results results;
  std::unique_ptr<std::barrier<>> sync;
  std::mutex abort_mutex;
  bool aborted = false;

  int size() const { return static_cast<int>(backends.size()); }
  void abort_all() {
    std::lock_guard lock(abort_mutex);
    if (aborted) return;
    aborted = true;
    for (auto& comm : peer) comm->abort();
    for (auto& comm : nccl) comm->abort();
  }
};

struct Rank {
  World* world;
  int rank;
  Backend* backend;
  Stream* stream;
  std::unique_ptr<Buffer> buffer;

  int world_size() const { return world->size(); }
  Communicator& peer() { return *world->peer[static_cast<size_t>(rank)]; }
  Communicator& nccl() { return *world->nccl[static_cast<size_t>(rank)]; }
  Tensor view(const Call& call) const {
    return Tensor::on(*buffer, call.dtype, Shape({call.numel}), static_cast<int64_t>(call.offset_bytes));
  }
};

// Uploads every call's inputs in one copy of the byte range they span.
base::Status upload(Rank& r, const std::vector<Call>& calls) {
  size_t end = 0;
  for (const Call& call : calls) end = std::max(end, call.offset_bytes + call.numel * element_bytes(call.dtype));
  std::vector<unsigned char> bytes(end, 0);
  for (const Call& call : calls) {
    const size_t size = element_bytes(call.dtype);
    for (int64_t idx = 0; idx < call.numel; ++idx) {
      encode(call.dtype, input_value(call.dtype, r.rank, call.seed, idx),
             &bytes[call.offset_bytes + static_cast<size_t>(idx) * size]);
    }
  }
  const Tensor span = Tensor::on(*r.buffer, DType::kU8, Shape({static_cast<int64_t>(end)}));
  FOVEA_RETURN_IF_ERROR(r.backend->copy_from_host(*r.stream, bytes.data(), span));
  return r.backend->synchronize(*r.stream);
}

base::Result<std::vector<unsigned char>> download(Rank& r, size_t end_bytes) {
  std::vector<unsigned char> bytes(end_bytes);
  const Tensor span = Tensor::on(*r.buffer, DType::kU8, Shape({static_cast<int64_t>(end_bytes)}));
  FOVEA_RETURN_IF_ERROR(r.backend->copy_to_host(*r.stream, span, bytes.data()));
  FOVEA_RETURN_IF_ERROR(r.backend->synchronize(*r.stream));
  return bytes;
}

// Checks `calls`' results in `bytes` (offsets relative to `base_bytes`) against the fp64 sums; with `nccl_bytes`,
// also against NCCL's results of the same inputs at `nccl_base_bytes`. Hashes every output under `name`.
void check_calls(Rank& r, const std::string& name, const std::vector<Call>& calls,
                 const std::vector<unsigned char>& bytes, const std::vector<unsigned char>* nccl_bytes = nullptr,
                 size_t nccl_shift_bytes = 0) {
  int64_t num_bad = 0;
  int64_t num_nccl_bad = 0;
  int64_t num_differ = 0;
  std::string first_bad;
  uint64_t hash = 1469598103934665603ull;
  for (size_t call_idx = 0; call_idx < calls.size(); ++call_idx) {
    const Call& call = calls[call_idx];
    const size_t size = element_bytes(call.dtype);
    hash = fnv1a(&bytes[call.offset_bytes], static_cast<size_t>(call.numel) * size, hash);
    for (int64_t idx = 0; idx < call.numel; ++idx) {
      double exact = 0.0;
      double magnitude = 0.0;
      for (int other = 0; other < r.world_size(); ++other) {
        const double x = input_value(call.dtype, other, call.seed, idx);
        exact += x;
        magnitude += std::fabs(x);
      }
      const Tolerance tol = tolerance(call.dtype, r.world_size(), exact, magnitude);
      const size_t at = call.offset_bytes + static_cast<size_t>(idx) * size;
      const double got = decode(call.dtype, &bytes[at]);
      if (!(std::fabs(got - exact) <= (call.via_nccl ? tol.nccl : tol.peer)) && num_bad++ == 0) {
        first_bad = "call " + std::to_string(call_idx) + " (" + dtype_label(call.dtype) + " x" +
                    std::to_string(call.numel) + ") element " + std::to_string(idx) + " is " + std::to_string(got) +
                    ", exact sum " + std::to_string(exact);
      }
      if (nccl_bytes == nullptr) continue;
      const double theirs = decode(call.dtype, &(*nccl_bytes)[at + nccl_shift_bytes]);
      num_differ += std::memcmp(&bytes[at], &(*nccl_bytes)[at + nccl_shift_bytes], size) != 0;
      if (!(std::fabs(got - theirs) <= tol.peer + tol.nccl) && num_nccl_bad++ == 0 && num_bad == 0) {
        first_bad = "call " + std::to_string(call_idx) + " element " + std::to_string(idx) + " is " +
                    std::to_string(got) + ", NCCL's " + std::to_string(theirs);
      }
    }
  }
  r.world->results.hash(name, r.rank, r.world_size(), hash);
  r.world->results.check(name, r.rank, num_bad == 0 && num_nccl_bad == 0,
                         std::to_string(num_bad) + " elements off the exact sum, " + std::to_string(num_nccl_bad) +
                             " off NCCL's; first: " + first_bad);
  if (nccl_bytes != nullptr && r.rank == 0) {
    r.world->results.line("INFO " + name + ": " + std::to_string(num_differ) + " elements not bit-equal to NCCL's");
  }
}

size_t align_up(size_t value, size_t alignment) { return (value + alignment - 1) / alignment * alignment; }

// One all-reduce per size and dtype, through the peer path and through NCCL on a copy of the same inputs: the sizes
// of a decode step, 1 element, odd counts, an unaligned start, the largest the kernel takes and one element more.
base::Status sizes_phase(Rank& r, DType dtype) {
  const size_t size = element_bytes(dtype);
  const auto max_numel = static_cast<int64_t>(r.world->limit_bytes / size);
  const std::vector<int64_t> counts = {1, 3, 7, 9, 4097, kHidden, 64 * kHidden + 3, max_numel, max_numel + 1};
  std::vector<Call> calls;
  size_t cursor = 0;
  for (size_t idx = 0; idx < counts.size(); ++idx) {
    const size_t shift = (idx % 2 == 1) ? size : 0;  // every other call starts off 16-byte alignment
    const bool via_nccl = static_cast<size_t>(counts[idx]) * size > r.world->limit_bytes;
    calls.push_back(Call{dtype, counts[idx], align_up(cursor, 256) + shift, 100 + idx + 10 * size, via_nccl});
    cursor = calls.back().offset_bytes + static_cast<size_t>(counts[idx]) * size;
  }
  const size_t nccl_shift = align_up(cursor, 256);  // NCCL's copies of the same calls
  std::vector<Call> both = calls;
  for (Call call : calls) {
    call.offset_bytes += nccl_shift;
    both.push_back(call);
  }
  FOVEA_RETURN_IF_ERROR(upload(r, both));
  for (size_t idx = 0; idx < calls.size(); ++idx) {
    FOVEA_RETURN_IF_ERROR(r.peer().all_reduce_sum(*r.stream, r.view(both[idx])));
    FOVEA_RETURN_IF_ERROR(r.nccl().all_reduce_sum(*r.stream, r.view(both[calls.size() + idx])));
  }
  FOVEA_ASSIGN_OR_RETURN(std::vector<unsigned char> bytes, download(r, 2 * nccl_shift));
  check_calls(r, "sizes " + dtype_label(dtype) + " (1 .. " + std::to_string(max_numel + 1) + " elements)", calls, bytes,
              &bytes, nccl_shift);
  return base::Status();
}

// kStressCalls all-reduces enqueued back to back (one synchronization at the end): dtypes in turn, sizes from 1 to
// 64 x 5120, starts off alignment on some ranks only, and one rank now and then late to enqueue.
base::Status stress_phase(Rank& r) {
  std::vector<Call> calls;
  size_t cursor = 0;
  for (int call_idx = 0; call_idx < kStressCalls; ++call_idx) {
    const DType dtype = std::array{DType::kF32, DType::kBF16, DType::kF16}[call_idx % 3];
    const uint64_t h = mix(static_cast<uint64_t>(call_idx) + 7);
    int64_t numel = 1 + static_cast<int64_t>(h % 12000);
    if (call_idx % 5 == 0) numel = 1 + static_cast<int64_t>(h % 16);
    if (call_idx % 97 == 0) numel = 64 * kHidden + call_idx % 2;
    const size_t size = element_bytes(dtype);
    size_t shift = 0;
    if (call_idx % 4 == 1) shift = size;
    if (call_idx % 4 == 3 && r.rank % 2 == 1) shift = 3 * size;  // alignment differs between the ranks
    calls.push_back(Call{dtype, numel, align_up(cursor, 256) + shift, 10000 + static_cast<uint64_t>(call_idx), false});
    cursor = align_up(cursor, 256) + 256 + static_cast<size_t>(numel) * size;
  }
  if (cursor > kBufferBytes) return base::internal_error("stress phase needs {} bytes", cursor);
  FOVEA_RETURN_IF_ERROR(upload(r, calls));
  for (int call_idx = 0; call_idx < kStressCalls; ++call_idx) {
    if (call_idx % 50 == (r.rank * 17) % 50) std::this_thread::sleep_for(std::chrono::microseconds(300));
    FOVEA_RETURN_IF_ERROR(r.peer().all_reduce_sum(*r.stream, r.view(calls[static_cast<size_t>(call_idx)])));
  }
  FOVEA_ASSIGN_OR_RETURN(std::vector<unsigned char> bytes, download(r, cursor));
  // Ranks shift some calls differently, so the hash covers each call's elements, not the whole range.
  check_calls(r, "stress " + std::to_string(kStressCalls) + " back-to-back calls, varying sizes", calls, bytes);
  return base::Status();
}

// Six all-reduces captured in a CUDA graph, replayed kGraphReplays times with new inputs each time, and an eager call
// after each replay (the kernel's epoch advances outside the graph too).
base::Status graph_phase(Rank& r) {
  const std::vector<std::pair<DType, int64_t>> shapes = {
      {DType::kF32, 1},           {DType::kBF16, kHidden}, {DType::kF16, 4097},   {DType::kBF16, 64 * kHidden},
      {DType::kF32, 3 * kHidden}, {DType::kBF16, 7},       {DType::kF32, kHidden}};  // the last one: eager
  std::vector<Call> calls;
  size_t cursor = 0;
  for (const auto& [dtype, numel] : shapes) {
    calls.push_back(Call{dtype, numel, align_up(cursor, 256) + (numel == 4097 ? 2 : 0), 0, false});
    cursor = calls.back().offset_bytes + static_cast<size_t>(numel) * element_bytes(dtype);
  }
  auto record = [&]() -> base::Status {
    for (size_t idx = 0; idx + 1 < calls.size(); ++idx)
      FOVEA_RETURN_IF_ERROR(r.peer().all_reduce_sum(*r.stream, r.view(calls[idx])));
    return base::Status();
  };
  base::Result<std::unique_ptr<Graph>> graph = r.backend->capture_graph(*r.stream, record);
  if (!graph.ok()) return graph.status().with_context("capturing the all-reduces");
  for (int replay = 0; replay < kGraphReplays; ++replay) {
    for (size_t idx = 0; idx < calls.size(); ++idx) calls[idx].seed = 50000 + static_cast<uint64_t>(replay) * 16 + idx;
    FOVEA_RETURN_IF_ERROR(upload(r, calls));
    FOVEA_RETURN_IF_ERROR((*graph)->replay(*r.stream));
    FOVEA_RETURN_IF_ERROR(r.peer().all_reduce_sum(*r.stream, r.view(calls.back())));
    FOVEA_ASSIGN_OR_RETURN(std::vector<unsigned char> bytes, download(r, cursor));
    check_calls(r, "graph: 6 captured calls and 1 eager, replay " + std::to_string(replay + 1), calls, bytes);
  }
  return base::Status();
}

// Per label: the slowest rank's time per call of [eager peer, eager NCCL, graph peer, graph NCCL].
struct Timing {
  std::mutex mutex;
  std::vector<std::string> order;  // labels as first timed
  std::map<std::string, std::vector<double>> us;
};

base::Status time_calls(Rank& r, Communicator& comm, const Tensor& t, bool graphs, double* us_per_call) {
  constexpr int kEagerCalls = 200;
  constexpr int kCallsPerGraph = 32;
  constexpr int kReplays = 10;
  std::vector<unsigned char> bytes(static_cast<size_t>(t.numel()) * element_bytes(t.dtype), 0);
  FOVEA_RETURN_IF_ERROR(r.backend->copy_from_host(*r.stream, bytes.data(), t));  // zeros stay zeros
  if (!graphs) {
    for (int idx = 0; idx < 20; ++idx) FOVEA_RETURN_IF_ERROR(comm.all_reduce_sum(*r.stream, t));
    FOVEA_RETURN_IF_ERROR(comm.barrier(*r.stream));
    const auto start = Clock::now();
    for (int idx = 0; idx < kEagerCalls; ++idx) FOVEA_RETURN_IF_ERROR(comm.all_reduce_sum(*r.stream, t));
    FOVEA_RETURN_IF_ERROR(r.backend->synchronize(*r.stream));
    *us_per_call = std::chrono::duration<double, std::micro>(Clock::now() - start).count() / kEagerCalls;
    return base::Status();
  }
  auto record = [&]() -> base::Status {
    for (int idx = 0; idx < kCallsPerGraph; ++idx) FOVEA_RETURN_IF_ERROR(comm.all_reduce_sum(*r.stream, t));
    return base::Status();
  };
  FOVEA_ASSIGN_OR_RETURN(std::unique_ptr<Graph> graph, r.backend->capture_graph(*r.stream, record));
  for (int idx = 0; idx < 2; ++idx) FOVEA_RETURN_IF_ERROR(graph->replay(*r.stream));
  FOVEA_RETURN_IF_ERROR(comm.barrier(*r.stream));
  const auto start = Clock::now();
  for (int idx = 0; idx < kReplays; ++idx) FOVEA_RETURN_IF_ERROR(graph->replay(*r.stream));
  FOVEA_RETURN_IF_ERROR(r.backend->synchronize(*r.stream));
  *us_per_call = std::chrono::duration<double, std::micro>(Clock::now() - start).count() / (kReplays * kCallsPerGraph);
  return base::Status();
}

Timing& timing() {
  static Timing instance;
  return instance;
}

// [rows, 5120] of `dtype`: eager back-to-back calls and calls replayed from a graph, peer path and NCCL.
base::Status bench_phase(Rank& r, DType dtype, int64_t rows) {
  const Tensor t = Tensor::on(*r.buffer, dtype, Shape({rows, kHidden}));
  const std::string label = dtype_label(dtype) + " [" + std::to_string(rows) + ", " + std::to_string(kHidden) + "]";
  double results[4] = {};
  for (int idx = 0; idx < 4; ++idx) {
    Communicator& comm = idx % 2 == 0 ? r.peer() : r.nccl();
    FOVEA_RETURN_IF_ERROR(time_calls(r, comm, t, idx >= 2, &results[idx]));
  }
  std::lock_guard lock(timing().mutex);
  if (timing().us.count(label) == 0) timing().order.push_back(label);
  auto& slots = timing().us[label];
  slots.resize(4, 0.0);
  for (int idx = 0; idx < 4; ++idx)
    slots[static_cast<size_t>(idx)] = std::max(slots[static_cast<size_t>(idx)], results[idx]);
  return base::Status();
}

using Phase = std::function<base::Status(Rank&)>;

void run_rank(World& world, int rank, const std::vector<std::pair<std::string, Phase>>& phases) {
  Rank r{&world, rank, world.backends[static_cast<size_t>(rank)].get(), nullptr, nullptr};
  cudaSetDevice(r.backend->device().index);
  r.stream = &r.backend->default_stream();
  base::Result<std::unique_ptr<Buffer>> buffer = r.backend->allocate(kBufferBytes);
  bool broken = !buffer.ok();
  if (broken) {
    world.results.check("allocate", rank, false, buffer.status().message());
    world.abort_all();
  } else {
    r.buffer = std::move(buffer).value();
  }
  for (const auto& [name, phase] : phases) {
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
}

int print_results(World& world) {
  Results& results = world.results;
  int num_failed = 0;
  for (const std::string& key : results.order) {
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
  for (const std::string& line : results.lines) std::printf("%s\n", line.c_str());
  for (const std::string& label : timing().order) {
    const std::vector<double>& us = timing().us[label];
    std::printf(
        "BENCH all_reduce %s x%d ranks (slowest rank): eager peer %.1f us, nccl %.1f us; in a graph peer %.1f us, "
        "nccl %.1f us\n",
        label.c_str(), world.size(), us[0], us[1], us[2], us[3]);
  }
  return num_failed;
}

// The switches that turn the peer kernel off: FOVEA_CUSTOM_ALL_REDUCE=0 (bench-engine, tests) and
// SmallAllReduce::kNcclOnly (--disable-custom-all-reduce) each give NCCL-only communicators. The default (the
// variable unset) is checked by run(), whose peer world must take the kernel.
int check_switches(std::vector<Backend*>& raw) {
  const auto nccl_only = [](const base::Result<std::vector<std::unique_ptr<Communicator>>>& comms) {
    if (!comms.ok()) return false;
    const auto* nccl = dynamic_cast<const cuda::NcclCommunicator*>((*comms)[0].get());
    return nccl != nullptr && nccl->peer_all_reduce_limit_bytes() == 0;
  };
  setenv("FOVEA_CUSTOM_ALL_REDUCE", "0", 1);
  const bool by_environment = nccl_only(create_communicators(raw));
  unsetenv("FOVEA_CUSTOM_ALL_REDUCE");
  const bool by_flag = nccl_only(create_communicators(raw, SmallAllReduce::kNcclOnly));
  std::printf("%s FOVEA_CUSTOM_ALL_REDUCE=0 keeps every all-reduce on NCCL\n", by_environment ? "PASS" : "FAIL");
  std::printf("%s SmallAllReduce::kNcclOnly (--disable-custom-all-reduce) keeps every all-reduce on NCCL\n",
              by_flag ? "PASS" : "FAIL");
  return (by_environment ? 0 : 1) + (by_flag ? 0 : 1);
}

int run(int num_ranks) {
  const int num_devices = cuda::cuda_device_count();
  const int world_size = num_ranks > 0 ? num_ranks : std::min(num_devices, 8);
  if (num_devices < 2 || world_size < 2) {
    std::printf("SKIP peer_all_reduce_test: needs two GPUs, %d visible\n", num_devices);
    return 0;
  }
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
  int num_failed = check_switches(raw);
  base::Result<std::vector<std::unique_ptr<Communicator>>> peer = create_communicators(raw);
  base::Result<std::vector<std::unique_ptr<Communicator>>> nccl =
      cuda::create_nccl_communicators(raw, SmallAllReduce::kNcclOnly);
  if (!peer.ok() || !nccl.ok()) {
    std::printf("FAIL setup: %s\n", (!peer.ok() ? peer.status() : nccl.status()).message().c_str());
    return 1;
  }
  world.peer = std::move(peer).value();
  world.nccl = std::move(nccl).value();
  const auto* first = dynamic_cast<const cuda::NcclCommunicator*>(world.peer[0].get());
  world.limit_bytes = first != nullptr ? first->peer_all_reduce_limit_bytes() : 0;
  base::Result<std::string> version = cuda::nccl_version();
  const char* nvls = std::getenv("NCCL_NVLS_ENABLE");
  std::printf("INFO ranks=%d nccl=%s NCCL_NVLS_ENABLE=%s peer all-reduce limit=%zu bytes\n", world_size,
              version.ok() ? version->c_str() : "unavailable", nvls != nullptr ? nvls : "(unset)", world.limit_bytes);
  if (world.limit_bytes == 0) {
    std::printf("SKIP peer all-reduce: the GPUs cannot access each other's memory (see the log line above)\n");
    return num_failed == 0 ? 0 : 1;
  }

  std::vector<std::pair<std::string, Phase>> phases;
  for (DType dtype : {DType::kF32, DType::kBF16, DType::kF16}) {
    phases.emplace_back("sizes", [dtype](Rank& r) { return sizes_phase(r, dtype); });
  }
  phases.emplace_back("stress", stress_phase);
  phases.emplace_back("graph", graph_phase);
  for (DType dtype : {DType::kBF16, DType::kF32}) {
    for (int64_t rows : {int64_t{1}, int64_t{64}, int64_t{256}}) {
      phases.emplace_back("bench", [dtype, rows](Rank& r) { return bench_phase(r, dtype, rows); });
    }
  }

  std::atomic<bool> done{false};
  std::thread watchdog([&done] {
    const auto deadline = Clock::now() + kWatchdog;
    while (!done.load() && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (done.load()) return;
    std::printf("FAIL watchdog: the ranks did not finish within %lld s (a deadlock?)\n",
                static_cast<long long>(kWatchdog.count()));
    std::fflush(stdout);
    std::_Exit(1);
  });
  world.sync = std::make_unique<std::barrier<>>(world_size);
  std::vector<std::thread> threads;
  for (int rank = 0; rank < world_size; ++rank)
    threads.emplace_back(run_rank, std::ref(world), rank, std::cref(phases));
  for (std::thread& thread : threads) thread.join();
  done.store(true);
  watchdog.join();
  num_failed += print_results(world);
  for (auto& comm : world.peer) {
    const base::Status health = comm->health();
    if (!health.ok() && !world.aborted) {
      std::printf("FAIL health rank %d: %s\n", comm->rank(), health.message().c_str());
      ++num_failed;
    }
  }
  std::printf("%s peer_all_reduce_test %d ranks: %d checks failed\n", num_failed == 0 ? "PASS" : "FAIL", world_size,
              num_failed);
  return num_failed == 0 ? 0 : 1;
}

}  // namespace
}  // namespace fovea::backend

int main(int argc, char** argv) {
  int num_ranks = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--ranks" && i + 1 < argc) {
      num_ranks = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: peer_all_reduce_test [--ranks N]\n");
      return 2;
    }
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  return fovea::backend::run(num_ranks);
}
