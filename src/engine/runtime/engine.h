// Engine: the serving engine of one model: loads it on a backend, sizes the KV cache with the memory planner's
// rule, and runs the engine loop on its own thread (schedule -> model runner -> sampler -> output processor).
// Thread-safe entry points for the HTTP layer: submit, abort, stats. Must not contain HTTP or JSON.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/runtime/engine_config.h"
#include "engine/runtime/generate_request.h"
#include "engine/runtime/request_update.h"

namespace fovea::text {
class Tokenizer;
}  // namespace fovea::text

namespace fovea::engine {

// The reader side of one request's updates. The engine thread pushes; one HTTP thread pops. Destroying the
// stream (or calling cancel) aborts the request: its blocks are freed at the next engine step.
class RequestStream {
 public:
  virtual ~RequestStream() = default;
  // Waits up to `timeout` for the next update; nullopt on timeout. After the finished update, returns nullopt.
  virtual std::optional<RequestUpdate> next(std::chrono::milliseconds timeout) = 0;
  virtual void cancel() = 0;
};

// Live numbers for /metrics and /health (a snapshot; counters only grow).
struct EngineStats {
  int64_t num_running = 0;
  int64_t num_waiting = 0;
  double kv_cache_usage = 0.0;  // used blocks / total blocks, in [0, 1]
  int64_t num_kv_blocks = 0;
  int64_t kv_block_size_tokens = 0;
  int64_t prefix_cache_queries = 0;  // tokens looked up
  int64_t prefix_cache_hits = 0;     // tokens found
  int64_t encoder_cache_queries = 0;
  int64_t encoder_cache_hits = 0;
  int64_t num_preemptions = 0;
  int64_t prompt_tokens_total = 0;
  int64_t generation_tokens_total = 0;
  // The engine thread stopped without being asked to (a step error it cannot recover from): /health answers 500.
  bool engine_dead = false;
};

// Where one device's memory went once the engine was ready (the start-up summary). On a GPU, `total_bytes` and
// `free_bytes` are the driver's readings (cudaMemGetInfo), weights/workspace/KV cache are the bytes fovea allocated
// for them, and `other_bytes` is the rest of what the card has in use (CUDA context, cuBLAS, allocator rounding,
// other processes), so the parts add up to total - free. On the CPU the totals are the host's and fovea counts only
// its own allocations (`other_bytes` is 0; weights used in place from the mapped checkpoint count too).
struct DeviceMemoryUse {
  std::string device;  // "cpu", "cuda:0"
  std::string name;    // the GPU's name ("NVIDIA H100 80GB HBM3"), "cpu" on the CPU
  bool is_gpu = false;
  uint64_t total_bytes = 0;
  uint64_t weights_bytes = 0;
  uint64_t workspace_bytes = 0;   // activation workspaces of the decoder and vision encoder
  uint64_t cuda_graphs_bytes = 0;  // graphs instantiated so far (decode graphs are captured on first use)
  uint64_t kv_cache_bytes = 0;
  uint64_t other_bytes = 0;
  uint64_t free_bytes = 0;
};

// One GPU's live telemetry (NVML), for /metrics and `fovea top`; absent on the CPU or without NVML.
struct GpuStatus {
  int64_t gpu_idx = 0;
  std::string name;
  uint64_t memory_total_bytes = 0;
  uint64_t memory_used_bytes = 0;
  std::optional<double> utilization_ratio;  // 0..1
  std::optional<double> temperature_celsius;
  std::optional<double> power_watts;
  std::optional<double> power_limit_watts;
};

// Facts the server reports (start-up log, /v1/models, /version, limits).
struct EngineInfo {
  std::string architecture;       // "Qwen3VLForConditionalGeneration"
  std::string device;             // "cpu", "cuda", "cuda:1" (auto resolved)
  std::string load_format;        // "safetensors" or "dummy"
  std::string dtype;              // "bfloat16"
  std::string kv_cache_dtype;     // "bfloat16" / "fp8_e4m3"
  std::string quantization;       // "none", or the checkpoint's scheme ("compressed-tensors pack-quantized int4 ...")
  int64_t max_model_len = 0;
  int64_t num_kv_blocks = 0;
  int64_t kv_block_size_tokens = 0;
  int64_t kv_cache_tokens = 0;
  uint64_t kv_cache_bytes = 0;
  std::vector<DeviceMemoryUse> memory;  // one per device the engine runs on (one today)
  double max_concurrency = 0.0;   // KV blocks / blocks of one max_model_len request (vLLM's)
  double load_time_s = 0.0;
  bool supports_images = false;
};

class Engine {
 public:
  // Creates the backend of config.device, loads the model (progress on stderr: bytes and tensors, per device), sizes and allocates the KV cache
  // and starts the engine thread. A device this build or machine lacks is an error saying what to pass instead.
  static base::Result<std::unique_ptr<Engine>> start(const EngineConfig& config);
  virtual ~Engine() = default;

  // Processes the input (template, tokens, images) on the caller's thread, then queues the request. Errors are
  // the client's (kInvalidArgument: bad image, bad sampling value, ...; kOutOfRange: the prompt, or the prompt
  // plus the requested max_tokens, is longer than max_model_len) or kUnavailable when the waiting queue is full;
  // their messages are safe to show (no paths or addresses).
  virtual base::Result<std::unique_ptr<RequestStream>> submit(GenerateRequest request) = 0;
  virtual void abort(const std::string& request_id) = 0;
  virtual EngineStats stats() const = 0;
  // A fresh reading of each GPU the engine runs on; empty on the CPU or where NVML is missing.
  virtual std::vector<GpuStatus> gpu_status() const { return {}; }
  virtual const EngineInfo& info() const = 0;
  virtual const text::Tokenizer& tokenizer() const = 0;
  // Stops taking requests; lets running ones finish for up to `timeout`, then aborts the rest and joins the thread.
  virtual void shutdown(std::chrono::milliseconds timeout) = 0;
};

}  // namespace fovea::engine
