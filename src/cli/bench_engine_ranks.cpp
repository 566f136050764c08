// The ranks of one `fovea bench-engine` tensor-parallel size (see bench_engine_ranks.h): making the backends and
// communicators, and stepping every rank at once. No model loading, timing or printing here.
#include "cli/bench_engine_ranks.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <thread>

#include "backend/cpu/cpu_backend.h"
#include "backend/cuda/cuda_factory.h"

namespace fovea::cli::bench_engine {

base::Status make_ranks(const BenchEngineOptions& options, int tp, RankSet& ranks, DeviceDescription& device) {
  for (int rank_idx = 0; rank_idx < tp; ++rank_idx) {
    if (options.device == "cpu") {
      backend::cpu::CpuBackendOptions cpu_options;
      const int cores =
          options.num_threads > 0 ? options.num_threads : static_cast<int>(std::thread::hardware_concurrency());
      cpu_options.num_threads = tp == 1 ? options.num_threads : std::max(1, cores / tp);
      ranks.backends.push_back(std::make_unique<backend::cpu::CpuBackend>(cpu_options));
      device.name = "cpu";
      continue;
    }
    if (tp > 1 && options.device != "cuda") {
      return base::invalid_argument(
          "--device {} with --tensor-parallel-size {}: the ranks take cuda:0 to cuda:{}; "
          "pass --device cuda",
          options.device, tp, tp - 1);
    }
    const std::string rank_device = tp == 1 ? options.device : fmt::format("cuda:{}", rank_idx);
    FOVEA_ASSIGN_OR_RETURN(backend::cuda::CudaDeviceInfo info, backend::cuda::cuda_device_info(rank_device));
    device.name = info.name;
    device.memory_bytes = info.total_bytes;
    FOVEA_ASSIGN_OR_RETURN(std::unique_ptr<backend::Backend> rank_backend,
                           backend::cuda::create_cuda_backend(rank_device));
    ranks.backends.push_back(std::move(rank_backend));
  }
  if (tp > 1) {
    std::vector<backend::Backend*> pointers;
    for (const auto& rank_backend : ranks.backends) pointers.push_back(rank_backend.get());
    FOVEA_ASSIGN_OR_RETURN(ranks.communicators, backend::create_communicators(pointers));
  }
  ranks.threads = std::make_unique<engine::RankThreads>(tp);
  RankSet* set = &ranks;
  ranks.threads->set_on_failure([set] {
    for (const auto& comm : set->communicators) comm->abort();
  });
  return base::Status();
}

base::Status step_all(RankSet& ranks, const StepArrays& arrays, backend::Tensor* logits) {
  return ranks.threads->run([&](int rank_idx) -> base::Status {
    const auto idx = static_cast<size_t>(rank_idx);
    backend::Backend& rank_backend = *ranks.backends[idx];
    FOVEA_ASSIGN_OR_RETURN(backend::Tensor out, ranks.models[idx]->decoder().forward(arrays.step(), ranks.caches[idx]));
    if (rank_idx == 0 && logits != nullptr) *logits = out;
    return rank_backend.synchronize(rank_backend.default_stream());
  });
}

void set_decode_graph_mode(RankSet& ranks, model::DecodeGraphMode mode) {
  for (const auto& rank_model : ranks.models) rank_model->decoder().set_decode_graph_mode(mode);
}

}  // namespace fovea::cli::bench_engine
