// Admission, submission, update loop bookkeeping and per-request metrics of one generation.
// Must not contain HTTP transport or response JSON.
#include "serve/generation_run.h"

#include <utility>

namespace fovea::serve {
namespace {

// A finish the metrics report instead of "stop" (vLLM's finished_reason label values).
const char* metric_finish_reason(engine::FinishKind kind) {
  switch (kind) {
    case engine::FinishKind::kLength:
      return "length";
    case engine::FinishKind::kAbort:
      return "abort";
    case engine::FinishKind::kError:
      return "error";
    case engine::FinishKind::kNone:
    case engine::FinishKind::kStop:
    case engine::FinishKind::kToolCalls:
      break;
  }
  return nullptr;
}

ApiError submit_error(const base::Status& status) {
  // The engine's full waiting queue: back-pressure, not the client's fault.
  if (status.code() == base::StatusCode::kUnavailable || status.code() == base::StatusCode::kResourceExhausted) {
    ApiError error = server_overloaded();
    error.message = scrub_internal_details(status.message());
    return error;
  }
  // The engine's kOutOfRange: the prompt (plus the requested max_tokens) does not fit in --max-model-len.
  if (status.code() == base::StatusCode::kOutOfRange) {
    ApiError error = bad_request(scrub_internal_details(status.message()));
    error.code = "context_length_exceeded";
    return error;
  }
  return api_error_from_status(status);
}

}  // namespace

ApiResult<std::unique_ptr<GenerationRun>> GenerationRun::start(ServerContext& context,
                                                               engine::GenerateRequest request, std::string log_id) {
  ApiResult<engine::Engine*> engine = context.ready_engine();
  if (!engine.ok()) return engine.error();
  ApiResult<std::unique_ptr<AdmissionTicket>> ticket = context.admit();
  if (!ticket.ok()) return ticket.error();
  const int32_t n = request.sampling.n;
  const std::optional<int64_t> max_tokens = request.sampling.max_tokens;
  base::Result<std::unique_ptr<engine::RequestStream>> stream = engine.value()->submit(std::move(request));
  if (!stream.ok()) {
    if (stream.status().code() == base::StatusCode::kUnavailable) {
      context.metrics().admission_rejections("max_num_queued_reqs").inc();
    }
    return submit_error(stream.status());
  }
  return std::unique_ptr<GenerationRun>(
      new GenerationRun(context, std::move(ticket).value(), std::move(*stream), n, max_tokens, std::move(log_id)));
}

GenerationRun::GenerationRun(ServerContext& context, std::unique_ptr<AdmissionTicket> ticket,
                             std::unique_ptr<engine::RequestStream> stream, int32_t n,
                             std::optional<int64_t> max_tokens, std::string log_id)
    : context_(context),
      ticket_(std::move(ticket)),
      stream_(std::move(stream)),
      n_(n),
      max_tokens_(max_tokens),
      log_id_(std::move(log_id)),
      start_time_(std::chrono::steady_clock::now()) {}

GenerationRun::~GenerationRun() {
  if (!finished_) cancel();
}

std::optional<engine::RequestUpdate> GenerationRun::next(std::chrono::milliseconds timeout) {
  if (finished_) return std::nullopt;
  std::optional<engine::RequestUpdate> update = stream_->next(timeout);
  if (!update) return std::nullopt;
  bool has_tokens = false;
  for (const engine::ChoiceUpdate& choice : update->choices) {
    has_tokens = has_tokens || !choice.token_ids.empty();
    if (const char* reason = metric_finish_reason(choice.finish)) finished_reason_ = reason;
  }
  if (has_tokens) {
    const auto now = std::chrono::steady_clock::now();
    if (last_token_time_) {
      context_.feed().record_inter_token_latency(std::chrono::duration<double>(now - *last_token_time_).count());
    }
    last_token_time_ = now;
  }
  usage_ = update->usage;
  if (update->finished) {
    finished_ = true;
    timings_ = update->timings;
    record(finished_reason_);
  }
  return update;
}

bool GenerationRun::timed_out() const {
  const double limit_s = context_.config().request_timeout_s;
  if (limit_s <= 0.0) return false;
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time_).count() > limit_s;
}

void GenerationRun::cancel() {
  stream_->cancel();
  finished_ = true;
  record("abort");
}

void GenerationRun::record(const std::string& finished_reason) {
  if (recorded_) return;
  recorded_ = true;
  FinishedRequest request;
  request.timings = timings_;
  request.usage = usage_;
  request.n = n_;
  request.max_tokens = max_tokens_;
  request.finished_reason = finished_reason;
  context_.feed().record_finished(request);
  const double elapsed_s = timings_.end_to_end_s > 0.0
                               ? timings_.end_to_end_s
                               : std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time_).count();
  context_.request_log().finished(log_id_, finished_reason, usage_, elapsed_s);
}

}  // namespace fovea::serve
