// Shared server state, readiness and admission control.
// Must not contain HTTP transport or route logic.
#include "serve/server_context.h"

#include <utility>

namespace fovea::serve {
AdmissionTicket::~AdmissionTicket() { context_->num_in_flight_.fetch_sub(1); }

ServerContext::ServerContext(ServeConfig config, ServerOptions options)
    : config_(std::move(config)),
      options_(std::move(options)),
      limits_(request_limits_from_config(config_)),
      defaults_(generate_defaults_from_config(config_)),
      content_format_(defaults_.content_format),
      auth_(config_.api_keys, config_.metrics_require_auth),
      request_log_(config_.enable_log_requests, config_.max_log_len),
      metrics_(config_.primary_model_name(), options_.max_model_len_tokens > 0
                                                 ? options_.max_model_len_tokens
                                                 : config_.max_model_len_tokens.value_or(4096)),
      feed_(metrics_) {
  if (options_.max_model_len_tokens > 0) limits_.max_model_len_tokens = options_.max_model_len_tokens;
}

void ServerContext::set_engine(engine::Engine* engine, std::unique_ptr<text::ChatTemplate> chat_template,
                               std::string bos_token, std::string eos_token) {
  chat_template_ = std::move(chat_template);
  bos_token_ = std::move(bos_token);
  eos_token_ = std::move(eos_token);
  if (engine != nullptr && engine->info().max_model_len > 0) {
    options_.max_model_len_tokens = engine->info().max_model_len;
    limits_.max_model_len_tokens = engine->info().max_model_len;
  }
  if (engine != nullptr) supports_images_.store(engine->info().supports_images);
  engine_.store(engine);
  if (phase_.load() == ServerPhase::kLoading) phase_.store(ServerPhase::kReady);
}

GenerateDefaults ServerContext::defaults() const {
  GenerateDefaults out = defaults_;
  out.content_format = content_format_.load();
  out.supports_images = supports_images_.load();
  return out;
}

int64_t ServerContext::max_model_len_tokens() const { return limits_.max_model_len_tokens; }

ApiResult<engine::Engine*> ServerContext::ready_engine() const {
  switch (phase_.load()) {
    case ServerPhase::kLoading:
      return model_loading();
    case ServerPhase::kDraining:
      return server_draining();
    case ServerPhase::kReady:
      break;
  }
  engine::Engine* engine = engine_.load();
  if (engine == nullptr) return model_loading();
  return engine;
}

ApiResult<std::unique_ptr<AdmissionTicket>> ServerContext::admit() {
  const int64_t num_before = num_in_flight_.fetch_add(1);
  auto ticket = std::make_unique<AdmissionTicket>(this);
  if (phase_.load() == ServerPhase::kDraining) {
    metrics_.admission_rejections("draining").inc();
    return server_draining();
  }
  if (config_.max_num_queued_reqs && num_before >= *config_.max_num_queued_reqs) {
    metrics_.admission_rejections("max_num_queued_reqs").inc();
    return server_overloaded();
  }
  // Requests beyond the running-sequence limit wait in the engine's queue; --max-queue-len bounds that queue.
  const int64_t num_waiting_before = num_before - options_.max_num_seqs;
  if (config_.max_queue_len > 0 && num_waiting_before >= config_.max_queue_len) {
    metrics_.admission_rejections("max_queue_len").inc();
    return server_overloaded();
  }
  return ticket;
}

}  // namespace fovea::serve
