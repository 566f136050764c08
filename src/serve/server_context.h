// ServerContext: the state every route shares: the config and the limits derived from it, auth, metrics, the
// engine (absent while loading), the server's phase (loading, ready, draining) and admission control: requests in
// flight against --max-num-seqs, --max-queue-len and --max-num-queued-reqs.
// Must not contain HTTP transport or route logic.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "engine/runtime/engine.h"
#include "serve/api_error.h"
#include "serve/api_key_auth.h"
#include "serve/engine_metrics_feed.h"
#include "serve/http_reply.h"
#include "serve/generate_request_builder.h"
#include "serve/request_limits.h"
#include "serve/request_log.h"
#include "serve/serve_config.h"
#include "serve/server_metrics.h"
#include "text/chat_template.h"

namespace fovea::serve {

enum class ServerPhase { kLoading, kReady, kDraining };

// Settings that come from the engine or the start-up code rather than from flags.
struct ServerOptions {
  std::string version = "0.0.0";
  int32_t max_num_seqs = 64;  // the engine's running-sequence limit (after the planner)
  int64_t max_model_len_tokens = 0;
};

class ServerContext;

// One admitted request: counts against the in-flight limit until destroyed.
class AdmissionTicket {
 public:
  explicit AdmissionTicket(ServerContext* context) : context_(context) {}
  AdmissionTicket(const AdmissionTicket&) = delete;
  AdmissionTicket& operator=(const AdmissionTicket&) = delete;
  ~AdmissionTicket();

 private:
  ServerContext* context_;  // not owned
};

class ServerContext {
 public:
  ServerContext(ServeConfig config, ServerOptions options);
  ServerContext(const ServerContext&) = delete;
  ServerContext& operator=(const ServerContext&) = delete;

  const ServeConfig& config() const { return config_; }
  const ServerOptions& options() const { return options_; }
  const RequestLimits& limits() const { return limits_; }
  // The mapping's server flags, with the content format as resolved so far (a copy: it may be set while serving).
  GenerateDefaults defaults() const;
  const ApiKeyAuth& auth() const { return auth_; }
  const RequestLog& request_log() const { return request_log_; }
  ServerMetrics& metrics() { return metrics_; }
  EngineMetricsFeed& feed() { return feed_; }

  ServerPhase phase() const { return phase_.load(); }
  // The engine once ready; nullptr while loading. The engine must outlive the server's use of it.
  engine::Engine* engine() const { return engine_.load(); }
  // Makes the server ready; `chat_template` renders /tokenize's chat form (nullptr: that form is refused). Image
  // parts are refused from then on when the engine's model takes no images.
  void set_engine(engine::Engine* engine, std::unique_ptr<text::ChatTemplate> chat_template, std::string bos_token,
                  std::string eos_token);
  // --chat-template-content-format resolved against the template requests are rendered with (before set_engine).
  void set_content_format(ChatTemplateContentFormat format) { content_format_.store(format); }
  // Ready turns 503 at once; requests in flight go on.
  void start_draining() { phase_.store(ServerPhase::kDraining); }
  int64_t num_in_flight() const { return num_in_flight_.load(); }

  // The engine when a generation request may start now, else the 503 to answer.
  ApiResult<engine::Engine*> ready_engine() const;
  // Admits one generation request (503 with the reason when the server is full or draining).
  ApiResult<std::unique_ptr<AdmissionTicket>> admit();

  const text::ChatTemplate* chat_template() const { return chat_template_.get(); }
  const std::string& bos_token() const { return bos_token_; }
  const std::string& eos_token() const { return eos_token_; }
  int64_t max_model_len_tokens() const;

 private:
  friend class AdmissionTicket;

  ServeConfig config_;
  ServerOptions options_;
  RequestLimits limits_;
  GenerateDefaults defaults_;
  std::atomic<ChatTemplateContentFormat> content_format_;
  std::atomic<bool> supports_images_{true};  // the engine's, once set
  ApiKeyAuth auth_;
  RequestLog request_log_;
  ServerMetrics metrics_;
  EngineMetricsFeed feed_;
  std::atomic<ServerPhase> phase_{ServerPhase::kLoading};
  std::atomic<engine::Engine*> engine_{nullptr};  // not owned
  std::unique_ptr<text::ChatTemplate> chat_template_;
  std::string bos_token_;
  std::string eos_token_;
  std::atomic<int64_t> num_in_flight_{0};
};

}  // namespace fovea::serve
