// `fovea serve` start-up, signal handling and drain.
// Must not contain route logic or HTTP library types.
#include "serve/serve_main.h"

#include <pthread.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <thread>

#include "base/file_util.h"
#include "base/log.h"
#include "engine/runtime/engine.h"
#include "io/chat_template_source.h"
#include "serve/http_server.h"
#include "serve/serve_config_parser.h"
#include "serve/serve_flags.h"
#include "serve/server_context.h"
#include "text/chat_template.h"

namespace fovea::serve {
namespace {

int report(const base::Status& status) {
  std::fprintf(stderr, "fovea: error: %s\n", status.message().c_str());
  return 1;
}

const char* spdlog_level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kCritical:
    case LogLevel::kError:
      return "error";
    case LogLevel::kWarning:
      return "warn";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kTrace:
      return "trace";
  }
  return "info";
}

// The template /tokenize renders: --chat-template (a file or the template itself), else the model folder's.
base::Result<std::unique_ptr<text::ChatTemplate>> load_tokenize_template(const ServeConfig& config,
                                                                         std::string& bos_token,
                                                                         std::string& eos_token) {
  base::Result<io::ChatTemplateSource> source = io::load_chat_template(config.model);
  std::string template_text;
  if (source.ok()) {
    template_text = source->template_text;
    bos_token = source->bos_token;
    eos_token = source->eos_token;
  }
  if (!config.chat_template.empty()) {
    if (config.chat_template_is_inline()) {
      template_text = config.chat_template;
    } else {
      FOVEA_ASSIGN_OR_RETURN(template_text, base::read_file(config.chat_template, uint64_t{16} << 20));
    }
  }
  if (template_text.empty()) return std::unique_ptr<text::ChatTemplate>();
  FOVEA_ASSIGN_OR_RETURN(text::ChatTemplate chat_template, text::ChatTemplate::create(template_text));
  return std::make_unique<text::ChatTemplate>(std::move(chat_template));
}

void log_startup(const engine::EngineInfo& info, const std::string& address) {
  FOVEA_LOG_INFO("architecture: {}", info.architecture);
  FOVEA_LOG_INFO("quantization: {}", info.quantization.empty() ? "none" : info.quantization);
  FOVEA_LOG_INFO("dtype: {}", info.dtype);
  FOVEA_LOG_INFO("KV cache dtype: {}", info.kv_cache_dtype);
  FOVEA_LOG_INFO("KV cache: {} tokens ({} blocks); maximum concurrency for {} tokens per request: {:.2f}x",
                 info.kv_cache_tokens, info.num_kv_blocks, info.max_model_len, info.max_concurrency);
  FOVEA_LOG_INFO("model loaded in {:.2f} s", info.load_time_s);
  FOVEA_LOG_INFO("listening on http://{}", address);
}

// SIGTERM and SIGINT are taken by a waiting thread rather than a handler, so draining can lock and log.
sigset_t shutdown_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  return signals;
}

}  // namespace

engine::EngineConfig engine_config_from_serve_config(const ServeConfig& config) {
  engine::EngineConfig out;
  out.model_dir = config.model;
  out.device = device_name(config.device);
  out.dtype = model_dtype_name(config.dtype);
  out.kv_cache_dtype = kv_cache_dtype_name(config.kv_cache_dtype);
  out.max_model_len = config.max_model_len_tokens;
  out.block_size = config.block_size;
  out.num_kv_blocks = config.num_gpu_blocks_override;
  out.kv_cache_memory_bytes = config.kv_cache_memory_bytes;
  out.memory_utilization = config.gpu_memory_utilization;
  if (config.max_num_seqs) out.max_num_seqs = *config.max_num_seqs;
  if (config.max_num_batched_tokens) out.max_num_batched_tokens = *config.max_num_batched_tokens;
  out.max_num_queued_requests = config.max_num_queued_reqs;
  out.enable_prefix_caching = config.enable_prefix_caching;
  out.max_images_per_prompt = config.limit_mm_per_prompt.num_images;
  out.min_pixels = config.mm_processor_kwargs.min_pixels;
  out.max_pixels = config.mm_processor_kwargs.max_pixels;
  out.use_generation_config = config.generation_config != GenerationConfigSource::kVllm;
  if (config.quantization != QuantizationMethod::kAuto) out.quantization = quantization_name(config.quantization);
  out.media.allowed_local_media_path = config.allowed_local_media_path;
  out.media.allowed_media_domains = config.allowed_media_domains;
  return out;
}

int run_serve(const std::vector<std::string>& tokens, std::string_view version) {
  base::Result<ParsedServeArgs> parsed = parse_serve_args(tokens);
  if (!parsed.ok()) return report(parsed.status());
  if (parsed->help_requested) {
    std::fputs(serve_flags_usage().c_str(), stdout);
    return 0;
  }
  const ServeConfig& config = parsed->config;
  if (base::Status status = base::set_log_level(spdlog_level_name(config.log_level)); !status.ok()) {
    return report(status);
  }
  for (const std::string& note : parsed->notes) FOVEA_LOG_INFO("{}", note);
  if (base::Status status = check_serve_config_paths(config); !status.ok()) return report(status);

  // Every thread started from here on inherits the mask; the signal thread alone takes these signals.
  const sigset_t signals = shutdown_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const engine::EngineConfig engine_config = engine_config_from_serve_config(config);
  ServerOptions options;
  options.version = std::string(version);
  options.max_num_seqs = static_cast<int32_t>(engine_config.max_num_seqs);
  ServerContext context(config, options);
  HttpServer server(context);
  base::Result<int> port = server.bind(config.host, config.port);
  if (!port.ok()) return report(port.status());
  const std::string address = (config.host.empty() ? "0.0.0.0" : config.host) + ":" + std::to_string(*port);
  std::thread http_thread([&server] {
    if (base::Status status = server.run(); !status.ok()) FOVEA_LOG_ERROR("{}", status.message());
  });
  FOVEA_LOG_INFO("loading {} (health answers 503 until ready) on http://{}", config.primary_model_name(), address);

  auto stop_http = [&] {
    server.stop();
    http_thread.join();
  };
  base::Result<std::unique_ptr<engine::Engine>> engine = engine::Engine::start(engine_config);
  if (!engine.ok()) {
    stop_http();
    return report(engine.status());
  }
  std::string bos_token;
  std::string eos_token;
  base::Result<std::unique_ptr<text::ChatTemplate>> chat_template =
      load_tokenize_template(config, bos_token, eos_token);
  if (!chat_template.ok()) {
    (*engine)->shutdown(std::chrono::milliseconds(0));
    stop_http();
    return report(chat_template.status());
  }
  context.set_engine(engine->get(), std::move(*chat_template), bos_token, eos_token);
  log_startup((*engine)->info(), address);

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  FOVEA_LOG_INFO("{} received: draining ({} requests in flight, up to {} s)",
                 signal_number == SIGTERM ? "SIGTERM" : "SIGINT", context.num_in_flight(), config.drain_timeout_s);
  context.start_draining();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(config.drain_timeout_s);
  while (context.num_in_flight() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // Whatever still runs is aborted; its handlers see the end of their streams and return.
  (*engine)->shutdown(std::chrono::milliseconds(0));
  for (int wait_idx = 0; wait_idx < 200 && context.num_in_flight() > 0; ++wait_idx) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  stop_http();
  FOVEA_LOG_INFO("stopped");
  return 0;
}

}  // namespace fovea::serve
