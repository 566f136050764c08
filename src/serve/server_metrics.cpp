// The server's metric set, named and bucketed as vLLM 0.33 does.
// Must not contain the registry mechanics.
#include "serve/server_metrics.h"

#include <fmt/format.h>

namespace fovea::serve {
namespace {

const std::vector<std::string> kLabels = {"model_name", "engine"};
const std::vector<std::string> kGpuLabels = {"gpu", "name"};

// vLLM 0.33, vllm/v1/metrics/buckets.py.
const std::vector<double> kRequestLatencyBuckets = {0.3,  0.5,   0.8,   1.0,   1.5,   2.0,    2.5,
                                                    5.0,  10.0,  15.0,  20.0,  30.0,  40.0,   50.0,
                                                    60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0};
const std::vector<double> kTimeToFirstTokenBuckets = {0.001, 0.005, 0.01, 0.02,  0.04,  0.06,  0.08, 0.1,
                                                      0.25,  0.5,   0.75, 1.0,   2.5,   5.0,   7.5,  10.0,
                                                      20.0,  40.0,  80.0, 160.0, 640.0, 2560.0};
const std::vector<double> kInterTokenLatencyBuckets = {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2,  0.3,  0.4, 0.5,
                                                       0.75, 1.0,   2.5,  5.0,   7.5, 10.0, 20.0, 40.0, 80.0};
const std::vector<double> kIterationTokensBuckets = {1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384};
const std::vector<double> kRequestParamsNBuckets = {1, 2, 5, 10, 20};
// Vision encoder batches take milliseconds to seconds: the time-to-first-token series covers that range.
const std::vector<double>& kVisionEncoderBuckets = kTimeToFirstTokenBuckets;

}  // namespace

std::vector<double> one_two_five_buckets(int64_t max_value) {
  std::vector<double> buckets;
  for (int64_t scale = 1; scale <= max_value; scale *= 10) {
    for (int64_t mantissa : {1, 2, 5}) {
      const int64_t value = mantissa * scale;
      if (value > max_value) return buckets;
      buckets.push_back(static_cast<double>(value));
    }
    if (scale > max_value / 10) break;
  }
  return buckets;
}

ServerMetrics::ServerMetrics(std::string model_name, int64_t max_model_len_tokens)
    : model_name_(std::move(model_name)),
      request_success_family_(registry_.add_counter("vllm:request_success", "Count of successfully processed requests.",
                                                    {"model_name", "engine", "finished_reason"})),
      admission_rejections_family_(registry_.add_counter(
          "vllm:admission_rejections", "Number of admission attempts rejected by a queue limit, by reason.",
          {"model_name", "reason"})),
      http_requests_family_(registry_.add_counter("fovea:http_requests", "HTTP requests answered, by route and status.",
                                                  {"model_name", "route", "status"})),
      gpu_memory_used_family_(registry_.add_gauge(
          "fovea:gpu_memory_used_bytes", "GPU memory in use by every process on the card (NVML), in bytes.",
          kGpuLabels)),
      gpu_memory_total_family_(
          registry_.add_gauge("fovea:gpu_memory_total_bytes", "GPU memory of the card (NVML), in bytes.", kGpuLabels)),
      gpu_utilization_family_(registry_.add_gauge(
          "fovea:gpu_utilization_ratio", "Share of the last sample period a kernel ran on the GPU (NVML), 0 to 1.",
          kGpuLabels)),
      gpu_temperature_family_(registry_.add_gauge("fovea:gpu_temperature_celsius",
                                                  "GPU core temperature (NVML), in degrees Celsius.", kGpuLabels)),
      gpu_power_family_(
          registry_.add_gauge("fovea:gpu_power_watts", "GPU power draw (NVML), in watts.", kGpuLabels)),
      gpu_power_limit_family_(registry_.add_gauge("fovea:gpu_power_limit_watts",
                                                  "GPU enforced power limit (NVML), in watts.", kGpuLabels)),
      device_memory_family_(registry_.add_gauge(
          "fovea:device_memory_bytes",
          "Device memory once the model was loaded, by part (weights, workspace, cuda_graphs, kv_cache, other, free, "
          "total), in bytes.",
          {"device", "name", "part"})),
      cache_config_info_family_(registry_.add_gauge("vllm:cache_config_info", "Information of the LLMEngine CacheConfig",
                                                    {"block_size", "cache_dtype", "num_gpu_blocks"})),
      num_requests_running(
          registry_.add_gauge("vllm:num_requests_running", "Number of requests in model execution batches.", kLabels)
              .labels({model_name_, "0"})),
      num_requests_waiting(
          registry_.add_gauge("vllm:num_requests_waiting", "Number of requests waiting to be processed.", kLabels)
              .labels({model_name_, "0"})),
      kv_cache_usage_perc(
          registry_.add_gauge("vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.", kLabels)
              .labels({model_name_, "0"})),
      kv_cache_total_blocks(registry_
                                .add_gauge("fovea:kv_cache_total_blocks", "Blocks of the KV cache.", kLabels)
                                .labels({model_name_, "0"})),
      kv_cache_used_blocks(registry_
                               .add_gauge("fovea:kv_cache_used_blocks",
                                          "Blocks of the KV cache held by requests or the prefix cache.", kLabels)
                               .labels({model_name_, "0"})),
      kv_cache_total_bytes(registry_
                               .add_gauge("fovea:kv_cache_total_bytes",
                                          "Device memory of the KV cache, in bytes.", kLabels)
                               .labels({model_name_, "0"})),
      kv_cache_used_bytes(registry_
                              .add_gauge("fovea:kv_cache_used_bytes",
                                         "Device memory of the KV cache's used blocks, in bytes.", kLabels)
                              .labels({model_name_, "0"})),
      kv_cache_total_tokens(registry_
                                .add_gauge("fovea:kv_cache_total_tokens", "Tokens the KV cache holds.", kLabels)
                                .labels({model_name_, "0"})),
      prefix_cache_queries(registry_
                               .add_counter("vllm:prefix_cache_queries",
                                            "Prefix cache queries, in terms of number of queried tokens.", kLabels)
                               .labels({model_name_, "0"})),
      prefix_cache_hits(
          registry_
              .add_counter("vllm:prefix_cache_hits", "Prefix cache hits, in terms of number of cached tokens.", kLabels)
              .labels({model_name_, "0"})),
      num_preemptions(
          registry_.add_counter("vllm:num_preemptions", "Cumulative number of preemption from the engine.", kLabels)
              .labels({model_name_, "0"})),
      prompt_tokens(registry_.add_counter("vllm:prompt_tokens", "Number of prefill tokens processed.", kLabels)
                        .labels({model_name_, "0"})),
      generation_tokens(
          registry_.add_counter("vllm:generation_tokens", "Number of generation tokens processed.", kLabels)
              .labels({model_name_, "0"})),
      encoder_cache_queries(
          registry_.add_counter("fovea:encoder_cache_queries", "Vision encoder cache lookups, in images.", kLabels)
              .labels({model_name_, "0"})),
      encoder_cache_hits(registry_
                             .add_counter("fovea:encoder_cache_hits",
                                          "Vision encoder cache hits, in images (the encoder was skipped).", kLabels)
                             .labels({model_name_, "0"})),
      time_to_first_token_seconds(registry_
                                      .add_histogram("vllm:time_to_first_token_seconds",
                                                     "Histogram of time to first token in seconds.", kLabels,
                                                     kTimeToFirstTokenBuckets)
                                      .labels({model_name_, "0"})),
      inter_token_latency_seconds(registry_
                                      .add_histogram("vllm:inter_token_latency_seconds",
                                                     "Histogram of inter-token latency in seconds.", kLabels,
                                                     kInterTokenLatencyBuckets)
                                      .labels({model_name_, "0"})),
      request_time_per_output_token_seconds(
          registry_
              .add_histogram("vllm:request_time_per_output_token_seconds",
                             "Histogram of time_per_output_token_seconds per request.", kLabels,
                             kInterTokenLatencyBuckets)
              .labels({model_name_, "0"})),
      e2e_request_latency_seconds(registry_
                                      .add_histogram("vllm:e2e_request_latency_seconds",
                                                     "Histogram of e2e request latency in seconds.", kLabels,
                                                     kRequestLatencyBuckets)
                                      .labels({model_name_, "0"})),
      request_queue_time_seconds(registry_
                                     .add_histogram("vllm:request_queue_time_seconds",
                                                    "Histogram of time spent in WAITING phase for request.", kLabels,
                                                    kRequestLatencyBuckets)
                                     .labels({model_name_, "0"})),
      request_inference_time_seconds(registry_
                                         .add_histogram("vllm:request_inference_time_seconds",
                                                        "Histogram of time spent in RUNNING phase for request.",
                                                        kLabels, kRequestLatencyBuckets)
                                         .labels({model_name_, "0"})),
      request_prefill_time_seconds(registry_
                                       .add_histogram("vllm:request_prefill_time_seconds",
                                                      "Histogram of time spent in PREFILL phase for request.", kLabels,
                                                      kRequestLatencyBuckets)
                                       .labels({model_name_, "0"})),
      request_decode_time_seconds(registry_
                                      .add_histogram("vllm:request_decode_time_seconds",
                                                     "Histogram of time spent in DECODE phase for request.", kLabels,
                                                     kRequestLatencyBuckets)
                                      .labels({model_name_, "0"})),
      request_prompt_tokens(registry_
                                .add_histogram("vllm:request_prompt_tokens", "Number of prefill tokens processed.",
                                               kLabels, one_two_five_buckets(max_model_len_tokens))
                                .labels({model_name_, "0"})),
      request_generation_tokens(registry_
                                    .add_histogram("vllm:request_generation_tokens",
                                                   "Number of generation tokens processed.", kLabels,
                                                   one_two_five_buckets(max_model_len_tokens))
                                    .labels({model_name_, "0"})),
      request_max_num_generation_tokens(
          registry_
              .add_histogram("vllm:request_max_num_generation_tokens",
                             "Histogram of maximum number of requested generation tokens.", kLabels,
                             one_two_five_buckets(max_model_len_tokens))
              .labels({model_name_, "0"})),
      request_params_n(registry_
                           .add_histogram("vllm:request_params_n", "Histogram of the n request parameter.", kLabels,
                                          kRequestParamsNBuckets)
                           .labels({model_name_, "0"})),
      request_params_max_tokens(registry_
                                    .add_histogram("vllm:request_params_max_tokens",
                                                   "Histogram of the max_tokens request parameter.", kLabels,
                                                   one_two_five_buckets(max_model_len_tokens))
                                    .labels({model_name_, "0"})),
      iteration_tokens(registry_
                           .add_histogram("vllm:iteration_tokens_total",
                                          "Histogram of number of tokens per engine_step.", kLabels,
                                          kIterationTokensBuckets)
                           .labels({model_name_, "0"})),
      vision_encoder_seconds(registry_
                                 .add_histogram("fovea:vision_encoder_seconds",
                                                "Time the vision encoder took per batch of images, in seconds.",
                                                kLabels, kVisionEncoderBuckets)
                                 .labels({model_name_, "0"})) {
  // vLLM creates every finished_reason child up front so dashboards see zeros before the first request.
  for (const char* reason : {"stop", "length", "abort", "error"}) request_success(reason);
  admission_rejections("max_num_queued_reqs");
}

Counter& ServerMetrics::request_success(std::string_view finished_reason) {
  return request_success_family_.labels({model_name_, "0", std::string(finished_reason)});
}

Counter& ServerMetrics::admission_rejections(std::string_view reason) {
  return admission_rejections_family_.labels({model_name_, std::string(reason)});
}

Gauge& ServerMetrics::gpu_memory_used_bytes(const std::string& gpu_idx, const std::string& gpu_name) {
  return gpu_memory_used_family_.labels({gpu_idx, gpu_name});
}

Gauge& ServerMetrics::gpu_memory_total_bytes(const std::string& gpu_idx, const std::string& gpu_name) {
  return gpu_memory_total_family_.labels({gpu_idx, gpu_name});
}

Gauge& ServerMetrics::gpu_utilization_ratio(const std::string& gpu_idx, const std::string& gpu_name) {
  return gpu_utilization_family_.labels({gpu_idx, gpu_name});
}

Gauge& ServerMetrics::gpu_temperature_celsius(const std::string& gpu_idx, const std::string& gpu_name) {
  return gpu_temperature_family_.labels({gpu_idx, gpu_name});
}

Gauge& ServerMetrics::gpu_power_watts(const std::string& gpu_idx, const std::string& gpu_name) {
  return gpu_power_family_.labels({gpu_idx, gpu_name});
}

Gauge& ServerMetrics::gpu_power_limit_watts(const std::string& gpu_idx, const std::string& gpu_name) {
  return gpu_power_limit_family_.labels({gpu_idx, gpu_name});
}

Gauge& ServerMetrics::device_memory_bytes(const std::string& device, const std::string& device_name,
                                          const std::string& part) {
  return device_memory_family_.labels({device, device_name, part});
}

Gauge& ServerMetrics::cache_config_info(const std::string& block_size_tokens, const std::string& cache_dtype,
                                        const std::string& num_gpu_blocks) {
  return cache_config_info_family_.labels({block_size_tokens, cache_dtype, num_gpu_blocks});
}

Counter& ServerMetrics::http_requests(std::string_view route, int http_status) {
  return http_requests_family_.labels({model_name_, std::string(route), fmt::format("{}", http_status)});
}

}  // namespace fovea::serve
