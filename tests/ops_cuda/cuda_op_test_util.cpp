// Side (host views or device mirrors), the fixture's GPU backend, and the summary table of the GPU op tests
// (printed after all tests; each comparison also appended to $FOVEA_GPU_RESULTS when that is set).
#include "cuda_op_test_util.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>

namespace fovea::backend::testing {
namespace {

std::mutex& results_mutex() {
  static std::mutex mutex;
  return mutex;
}

std::vector<OpResult>& results() {
  static std::vector<OpResult> all;
  return all;
}

// The whole buffer as bytes.
Tensor bytes_of(Buffer& buffer) {
  return Tensor::on(buffer, tensor::DType::kU8, tensor::Shape({static_cast<int64_t>(buffer.size_bytes())}));
}

// Prints one line per op: cases, failures, the worst NMSE and the bound it was held to.
class SummaryEnvironment : public ::testing::Environment {
 public:
  void TearDown() override {
    std::lock_guard<std::mutex> lock(results_mutex());
    if (results().empty()) return;
    struct Row {
      int cases = 0;
      int failures = 0;
      double worst = 0.0;
      double worst_bound = 0.0;
    };
    std::map<std::string, Row> rows;
    for (const OpResult& result : results()) {
      Row& row = rows[result.op];
      ++row.cases;
      if (!result.pass) ++row.failures;
      // The worst case relative to its bound (bounds differ by dtype).
      const double ratio = result.bound > 0 ? result.nmse / result.bound : (result.nmse > 0 ? INFINITY : 0.0);
      const double worst_ratio = row.worst_bound > 0 ? row.worst / row.worst_bound : (row.worst > 0 ? INFINITY : 0.0);
      if (row.cases == 1 || ratio > worst_ratio) {
        row.worst = result.nmse;
        row.worst_bound = result.bound;
      }
    }
    std::string table = "op                  cases  fail  worst NMSE   its bound    result\n";
    for (const auto& [op, row] : rows) {
      char line[160];
      std::snprintf(line, sizeof(line), "%-18s %6d %5d  %10.3e  %10.3e    %s\n", op.c_str(), row.cases, row.failures,
                    row.worst, row.worst_bound, row.failures == 0 ? "PASS" : "FAIL");
      table += line;
    }
    std::printf("\n=== CUDA op results (NMSE against the CPU reference) ===\n%s", table.c_str());
    // One line per comparison, appended: tools/gpu/run-gpu-tests.sh runs each test in its own process and
    // builds the table from all of them.
    if (const char* path = std::getenv("FOVEA_GPU_RESULTS")) {
      std::ofstream file(path, std::ios::app);
      for (const OpResult& result : results()) {
        file << result.op << " | " << result.what << " | " << result.nmse << " | " << result.bound << " | "
             << (result.pass ? "pass" : "FAIL") << "\n";
      }
    }
  }
};

[[maybe_unused]] const ::testing::Environment* const kSummary =
    ::testing::AddGlobalTestEnvironment(new SummaryEnvironment);

}  // namespace

Tensor Side::operator()(const Tensor& host_view) {
  if (!on_device_) return host_view;
  auto found = mirrors_.find(host_view.buffer);
  if (found == mirrors_.end()) {
    Buffer& host_buffer = *host_view.buffer;
    auto allocated = backend_.allocate(host_buffer.size_bytes());
    EXPECT_TRUE(allocated.ok()) << allocated.status().to_string();
    std::unique_ptr<Buffer> mirror = std::move(allocated).value();
    const base::Status copied = backend_.copy_from_host(stream(), host_buffer.data(), bytes_of(*mirror));
    EXPECT_TRUE(copied.ok()) << copied.to_string();
    found = mirrors_.emplace(&host_buffer, std::move(mirror)).first;
  }
  Tensor view = host_view;
  view.buffer = found->second.get();
  return view;
}

base::Status Side::fetch(const Tensor& host_view) {
  auto found = mirrors_.find(host_view.buffer);
  if (found == mirrors_.end()) return base::invalid_argument("fetch: the view was never mirrored");
  FOVEA_RETURN_IF_ERROR(backend_.copy_to_host(stream(), bytes_of(*found->second), host_view.buffer->data()));
  return backend_.synchronize(stream());
}

base::Status Side::upload(const Tensor& host_view) {
  if (!on_device_) return base::Status();
  auto found = mirrors_.find(host_view.buffer);
  if (found == mirrors_.end()) {
    (*this)(host_view);
    return base::Status();
  }
  return backend_.copy_from_host(stream(), host_view.buffer->data(), bytes_of(*found->second));
}

void record_result(OpResult result) {
  std::lock_guard<std::mutex> lock(results_mutex());
  results().push_back(std::move(result));
}

double finite_nmse(const GuardedTensor& actual, const GuardedTensor& expected) {
  const std::vector<float> got = actual.read();
  const std::vector<float> want = expected.read();
  std::vector<float> finite_got;
  std::vector<float> finite_want;
  for (size_t idx = 0; idx < want.size(); ++idx) {
    if (!std::isfinite(want[idx])) continue;
    finite_got.push_back(got[idx]);
    finite_want.push_back(want[idx]);
  }
  return nmse(finite_got, finite_want);
}

void CudaOpsTest::SetUp() {
  if (cuda::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device visible; the GPU op tests need one";
  auto backend = cuda::create_cuda_backend("cuda");
  ASSERT_TRUE(backend.ok()) << backend.status().to_string();
  gpu_ = std::move(backend).value();
}

}  // namespace fovea::backend::testing
