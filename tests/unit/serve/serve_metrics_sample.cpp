// Prints the /metrics text of a ServerMetrics with some traffic recorded, for check_metrics_text.py (which
// compares it with what prometheus_client writes for the same values).
#include <cstdio>

#include "serve/server_metrics.h"

int main() {
  fovea::serve::ServerMetrics metrics("qwen3-vl \"awq\"\\", 131072);
  metrics.num_requests_running.set(3);
  metrics.num_requests_waiting.set(1);
  metrics.kv_cache_usage_perc.set(0.4375);
  metrics.prompt_tokens.inc(1234567);  // >= 1e6: Go-style exponent "1.234567e+06"
  metrics.generation_tokens.inc(789);
  metrics.prefix_cache_queries.inc(2048);
  metrics.prefix_cache_hits.inc(1024);
  metrics.request_success("stop").inc(5);
  metrics.request_success("length").inc();
  metrics.admission_rejections("max_queue_len").inc(2);
  metrics.http_requests("/v1/chat/completions", 200).inc(6);
  metrics.encoder_cache_queries.inc(4);
  metrics.encoder_cache_hits.inc(1);
  for (double seconds : {0.0005, 0.02, 0.3, 1.7, 3000.0}) metrics.time_to_first_token_seconds.observe(seconds);
  for (double seconds : {0.011, 0.012, 0.09}) metrics.inter_token_latency_seconds.observe(seconds);
  for (double seconds : {0.4, 12.0, 10000.0}) metrics.e2e_request_latency_seconds.observe(seconds);
  for (double tokens : {1.0, 7.0, 1500.0, 131072.0}) metrics.request_prompt_tokens.observe(tokens);
  metrics.iteration_tokens.observe(4096);
  metrics.vision_encoder_seconds.observe(0.125);
  std::fputs(metrics.render().c_str(), stdout);
  return 0;
}
