// From `fovea serve`'s flags to the engine's EngineConfig: the device, the KV-cache sizing rule (plan::plan_kv_cache,
// which the engine may not include), the --chat-template file-or-template value, the sampling defaults of
// --override-generation-config and --generation-config. `fovea run` uses the rule and the template reader too.
// Must not contain flag parsing (serve_flags.cpp) or engine code.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "engine/runtime/engine_config.h"
#include "serve/serve_config.h"

namespace fovea::serve {

// The engine's config for `config`; fails on a --chat-template file that cannot be read or a template value vLLM
// would refuse. --tensor-parallel-size and --mm-encoder-tp-mode pass through (the engine checks them against the
// model and the GPUs).
base::Result<engine::EngineConfig> engine_config_from_serve_config(const ServeConfig& config);

// vLLM's KV-cache sizing at start-up (plan::plan_kv_cache on the engine's memory reading): whole blocks of
// total x utilization - used - reserved, or the overrides; with auto-fit, max_model_len shortened to what fits.
// A cache that cannot hold one max_model_len request is kResourceExhausted with plan's one-line message.
base::Result<engine::KvCacheSizing> size_engine_kv_cache(const engine::KvCacheSizingInput& input);

// --chat-template as vLLM reads it (load_chat_template): a readable file's contents; else, when the value holds
// '{', '}' or a newline, the value itself with Python's backslash escapes decoded (\n, \t, \xhh, \uXXXX, ...);
// else an error saying the file cannot be read. Non-ASCII text is kept as written.
base::Result<std::string> read_chat_template_flag(std::string_view value);

}  // namespace fovea::serve
