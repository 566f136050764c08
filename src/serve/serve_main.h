// `fovea serve`'s life cycle: parse the flags, listen at once (health 503 while loading), start the engine (load
// progress per device), log the memory summary (measured beside planned, startup_summary.h) and the start-up facts
// (architecture, quantization, dtypes, KV cache size and concurrency, load time, address),
// serve, and on SIGTERM/SIGINT drain: ready turns 503 at once, requests in flight get --drain-timeout to finish.
// Must not contain route logic or HTTP library types.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace fovea::serve {

// Runs the server for the tokens after `serve`; returns the process exit code.
int run_serve(const std::vector<std::string>& tokens, std::string_view version);

}  // namespace fovea::serve
