// Readiness: what a server's /health answer (or its absence) says about serving now: ready, loading the model,
// draining for shutdown, engine dead, unreachable, or refusing the key; one line of reason for each. Must not
// contain HTTP transport (http_probe.h).
#pragma once

#include <string>

#include "base/status.h"
#include "monitor/http_probe.h"

namespace fovea::monitor {

enum class Readiness { kReady, kLoading, kDraining, kEngineDead, kUnreachable, kUnauthorized, kUnexpected };

struct ReadinessProbe {
  Readiness state = Readiness::kUnexpected;
  std::string reason;  // one line: "ready", "loading: the model is still loading", ...
};

// "ready", "loading", "draining", "engine_dead", "unreachable", "unauthorized", "unexpected".
const char* readiness_name(Readiness state);

// A /health answer: 200 is ready; fovea's 503 carries the code model_loading or server_draining, 500 engine_dead
// (vLLM answers a bare 503/500; those read as loading and engine dead).
ReadinessProbe classify_health(const base::Result<HttpAnswer>& answer);

// Whether waiting longer can change the answer (loading or unreachable: the server may still come up).
bool readiness_may_change(Readiness state);

}  // namespace fovea::monitor
