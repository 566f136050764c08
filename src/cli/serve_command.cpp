// `fovea serve MODEL_DIR [flags]`: the OpenAI-compatible server with vLLM's flags. The arguments go unparsed to
// serve::run_serve (serve_main.h), which owns the flag grammar, start-up and shutdown.
// Must not contain flag definitions or server logic.
#include <string>
#include <vector>

#include "cli/command_registry.h"
#include "serve/serve_main.h"

namespace fovea::cli {
namespace {

class ServeCommand : public Command {
 public:
  void configure(CLI::App& app) override {
    // vLLM's grammar (--flag VALUE, --no-flag, --flag.key VALUE, --help) is serve's own: pass everything through.
    app.set_help_flag();
    app.allow_extras();
    app.prefix_command();
    app_ = &app;
  }

  int run() override { return serve::run_serve(app_->remaining(), FOVEA_VERSION); }

 private:
  CLI::App* app_ = nullptr;  // owned by main's CLI::App
};

FOVEA_REGISTER_COMMAND(ServeCommand, "serve", "Serve a model folder behind an OpenAI-compatible HTTP API (vLLM flags)");

}  // namespace
}  // namespace fovea::cli
