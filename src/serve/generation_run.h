// GenerationRun: one generation request from admission to its end: admits it (in-flight limits), submits it to the
// engine (mapping engine refusals onto OpenAI errors: 400 for the client's input, 503 with Retry-After for a full
// queue), hands out its updates, enforces --request-timeout, cancels it when the client goes, and records its
// metrics once. Must not contain HTTP transport or response JSON.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "engine/runtime/engine.h"
#include "serve/api_error.h"
#include "serve/server_context.h"

namespace fovea::serve {

class GenerationRun {
 public:
  // `log_id` names the request in the request log (--enable-log-requests): its outcome is logged when it ends.
  static ApiResult<std::unique_ptr<GenerationRun>> start(ServerContext& context, engine::GenerateRequest request,
                                                         std::string log_id);
  GenerationRun(const GenerationRun&) = delete;
  GenerationRun& operator=(const GenerationRun&) = delete;
  // A run that did not finish is cancelled (its KV blocks are freed) and counted as aborted.
  ~GenerationRun();

  // The next update, waiting up to `timeout`; nullopt on timeout or after the end.
  std::optional<engine::RequestUpdate> next(std::chrono::milliseconds timeout);
  bool finished() const { return finished_; }
  // Past --request-timeout (never when it is 0).
  bool timed_out() const;
  // Stops the request now (client gone, timeout).
  void cancel();
  const engine::RequestUsage& usage() const { return usage_; }

 private:
  GenerationRun(ServerContext& context, std::unique_ptr<AdmissionTicket> ticket,
                std::unique_ptr<engine::RequestStream> stream, int32_t n, std::optional<int64_t> max_tokens,
                std::string log_id);
  void record(const std::string& finished_reason);

  ServerContext& context_;  // not owned; outlives the run
  std::unique_ptr<AdmissionTicket> ticket_;
  std::unique_ptr<engine::RequestStream> stream_;
  int32_t n_;
  std::optional<int64_t> max_tokens_;
  std::string log_id_;
  std::chrono::steady_clock::time_point start_time_;
  std::optional<std::chrono::steady_clock::time_point> last_token_time_;
  engine::RequestUsage usage_;
  engine::RequestTimings timings_;
  std::string finished_reason_ = "stop";
  bool finished_ = false;
  bool recorded_ = false;
};

}  // namespace fovea::serve
