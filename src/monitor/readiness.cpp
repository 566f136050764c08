// /health answers -> Readiness: the error code in fovea's OpenAI-style body, else the HTTP status.
// Must not contain HTTP transport.
#include "monitor/readiness.h"

#include <nlohmann/json.hpp>

namespace fovea::monitor {
namespace {

// The error's code and message in {"error": {"code", "message"}}; empty when the body is not that.
std::pair<std::string, std::string> error_code_and_message(const std::string& body) {
  const nlohmann::json document = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!document.is_object() || !document.contains("error") || !document["error"].is_object()) return {};
  const nlohmann::json& error = document["error"];
  std::string code = error.contains("code") && error["code"].is_string() ? error["code"].get<std::string>() : "";
  std::string message =
      error.contains("message") && error["message"].is_string() ? error["message"].get<std::string>() : "";
  return {code, message};
}

ReadinessProbe make(Readiness state, const std::string& detail) {
  return ReadinessProbe{state, std::string(readiness_name(state)) + ": " + detail};
}

}  // namespace

const char* readiness_name(Readiness state) {
  switch (state) {
    case Readiness::kReady:
      return "ready";
    case Readiness::kLoading:
      return "loading";
    case Readiness::kDraining:
      return "draining";
    case Readiness::kEngineDead:
      return "engine_dead";
    case Readiness::kUnreachable:
      return "unreachable";
    case Readiness::kUnauthorized:
      return "unauthorized";
    case Readiness::kUnexpected:
      return "unexpected";
  }
  return "unexpected";
}

bool readiness_may_change(Readiness state) { return state == Readiness::kLoading || state == Readiness::kUnreachable; }

ReadinessProbe classify_health(const base::Result<HttpAnswer>& answer) {
  if (!answer.ok()) return make(Readiness::kUnreachable, answer.status().message());
  const int http_status = answer->http_status;
  if (http_status == 200) return ReadinessProbe{Readiness::kReady, "ready"};
  const auto [code, message] = error_code_and_message(answer->body);
  const std::string detail = message.empty() ? "HTTP " + std::to_string(http_status) : message;
  if (code == "model_loading") return make(Readiness::kLoading, detail);
  if (code == "server_draining") return make(Readiness::kDraining, detail);
  if (code == "engine_dead") return make(Readiness::kEngineDead, detail);
  if (http_status == 401 || http_status == 403) {
    return make(Readiness::kUnauthorized, detail + " (pass the server's key with --api-key)");
  }
  if (code.empty() && http_status == 503) return make(Readiness::kLoading, detail);
  if (code.empty() && http_status == 500) return make(Readiness::kEngineDead, detail);
  return make(Readiness::kUnexpected, detail);
}

}  // namespace fovea::monitor
