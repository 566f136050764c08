// `fovea serve` start-up (the memory summary, then the facts), signal handling and drain.
// Must not contain route logic or HTTP library types.
#include "serve/serve_main.h"

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <thread>

#include "base/log.h"
#include "engine/output/output_processor.h"
#include "engine/output/reasoning_parser.h"
#include "engine/runtime/engine.h"
#include "io/chat_template_source.h"
#include "serve/chat_content_format.h"
#include "serve/engine_options.h"
#include "serve/http_server.h"
#include "serve/serve_config_parser.h"
#include "serve/serve_flags.h"
#include "serve/server_context.h"
#include "serve/startup_summary.h"
#include "serve/stats_logger.h"
#include "text/chat_template.h"
#include "text/tokenizer.h"

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

// The template /tokenize renders: --chat-template (already read), else the model folder's; `template_text` gets its
// source ("" when there is none).
base::Result<std::unique_ptr<text::ChatTemplate>> load_tokenize_template(const ServeConfig& config,
                                                                         const std::string& chat_template_override,
                                                                         std::string& bos_token, std::string& eos_token,
                                                                         std::string& template_text) {
  base::Result<io::ChatTemplateSource> source = io::load_chat_template(config.model);
  template_text.clear();
  if (source.ok()) {
    template_text = source->template_text;
    bos_token = source->bos_token;
    eos_token = source->eos_token;
  }
  if (!chat_template_override.empty()) template_text = chat_template_override;
  if (template_text.empty()) return std::unique_ptr<text::ChatTemplate>();
  FOVEA_ASSIGN_OR_RETURN(text::ChatTemplate chat_template, text::ChatTemplate::create(template_text));
  return std::make_unique<text::ChatTemplate>(std::move(chat_template));
}

// vLLM refuses at start-up what its parsers could never do on this tokenizer: --reasoning-parser needs <think> and
// </think> (engine::check_output_parsers), the hermes --tool-call-parser <tool_call> and </tool_call>.
base::Status check_output_parser_tokens(const ServeConfig& config, const text::Tokenizer& tokenizer) {
  if (config.reasoning_parser != ReasoningParserKind::kNone) {
    FOVEA_ASSIGN_OR_RETURN(engine::ReasoningParserKind kind,
                           engine::parse_reasoning_parser_name(reasoning_parser_name(config.reasoning_parser)));
    FOVEA_RETURN_IF_ERROR(engine::check_output_parsers(tokenizer, kind));
  }
  if (config.tool_call_parser == ToolCallParserKind::kHermes &&
      (!tokenizer.token_to_id("<tool_call>").has_value() || !tokenizer.token_to_id("</tool_call>").has_value())) {
    return base::invalid_argument(
        "--tool-call-parser hermes needs the tokens <tool_call> and </tool_call>, but the model's tokenizer has no "
        "such tokens; drop the flag for this model.");
  }
  return base::Status::ok_status();
}

void log_startup(const engine::EngineInfo& info, const std::string& address) {
  FOVEA_LOG_INFO("architecture: {}", info.architecture);
  FOVEA_LOG_INFO("device: {}", info.device);
  if (info.load_format == "dummy") FOVEA_LOG_INFO("weights: dummy (seeded random, --load-format dummy)");
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

  base::Result<engine::EngineConfig> engine_config_or = engine_config_from_serve_config(config);
  if (!engine_config_or.ok()) return report(engine_config_or.status());
  const engine::EngineConfig& engine_config = *engine_config_or;
  ServerOptions options;
  options.version = std::string(version);
  options.max_num_seqs = static_cast<int32_t>(engine_config.max_num_seqs);
  ServerContext context(config, options);
  HttpServer server(context);
  base::Result<int> port = server.bind(config.host, config.port);
  if (!port.ok()) return report(port.status());
  const std::string address = (config.host.empty() ? "0.0.0.0" : config.host) + ":" + std::to_string(*port);
  std::atomic<bool> http_stopped = false;
  std::thread http_thread([&server, &http_stopped] {
    if (base::Status status = server.run(); !status.ok()) FOVEA_LOG_ERROR("{}", status.message());
    http_stopped = true;
  });
  FOVEA_LOG_INFO("loading {} (health answers 503 until ready) on http://{}", config.primary_model_name(), address);

  // A stop that comes before the HTTP thread listens is lost (the engine can fail at once, e.g. --device cuda
  // without a card), so it is repeated until run() returns; run() also waits for handlers, hence the pause.
  auto stop_http = [&] {
    while (!http_stopped) {
      server.stop();
      for (int wait_idx = 0; wait_idx < 40 && !http_stopped; ++wait_idx) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
    http_thread.join();
  };
  base::Result<std::unique_ptr<engine::Engine>> engine = engine::Engine::start(engine_config);
  if (!engine.ok()) {
    stop_http();
    return report(engine.status());
  }
  std::string bos_token;
  std::string eos_token;
  std::string template_text;
  base::Result<std::unique_ptr<text::ChatTemplate>> chat_template =
      load_tokenize_template(config, engine_config.chat_template, bos_token, eos_token, template_text);
  if (!chat_template.ok()) {
    (*engine)->shutdown(std::chrono::milliseconds(0));
    stop_http();
    return report(chat_template.status());
  }
  if (base::Status status = check_output_parser_tokens(config, (*engine)->tokenizer()); !status.ok()) {
    (*engine)->shutdown(std::chrono::milliseconds(0));
    stop_http();
    return report(status);
  }
  // The summary and the facts come before /health turns ready, so a script that waits for ready finds them logged.
  for (const std::string& line : startup_memory_summary(config, (*engine)->info(), (*engine)->gpu_status())) {
    FOVEA_LOG_INFO("{}", line);
  }
  log_startup((*engine)->info(), address);
  const ChatTemplateContentFormat content_format = resolve_chat_template_content_format(
      config.chat_template_content_format,
      template_text.empty() ? std::nullopt : std::optional<std::string_view>(template_text));
  if (config.chat_template_content_format == ChatTemplateContentFormat::kAuto) {
    FOVEA_LOG_INFO("Detected the chat template content format to be '{}'. You can set "
                   "`--chat-template-content-format` to override this.",
                   chat_template_content_format_name(content_format));
  }
  context.set_content_format(content_format);
  context.set_engine(engine->get(), std::move(*chat_template), bos_token, eos_token);
  std::unique_ptr<StatsLogger> stats_logger;
  if (!config.disable_log_stats) {
    stats_logger = std::make_unique<StatsLogger>(engine->get(), log_stats_interval([](const char* name) {
                                                   const char* value = std::getenv(name);
                                                   return value != nullptr ? std::optional<std::string>(value)
                                                                           : std::nullopt;
                                                 }));
  }

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  FOVEA_LOG_INFO("{} received: draining ({} requests in flight, up to {} s)",
                 signal_number == SIGTERM ? "SIGTERM" : "SIGINT", context.num_in_flight(), config.drain_timeout_s);
  context.start_draining();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(config.drain_timeout_s);
  while (context.num_in_flight() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stats_logger.reset();
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
