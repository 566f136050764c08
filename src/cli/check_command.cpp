// `fovea check [--config FILE.yaml] [MODEL_DIR | --model DIR] [any fovea serve flag] [--gpu NAME | --gpu-memory SIZE]
// [--json]`: validates a serve config with the server's own parser and messages (serve/), then plans its memory on
// the GPUs (plan/), without loading weights. Exit code 0 when it fits, 3 when it does not, 1-2 on errors.
// `fovea check --url URL [--timeout S] [--api-key KEY]`: waits up to S seconds for a running server to be ready and
// prints one line, its state (exit 0 when ready, 4 otherwise: loading, draining, engine dead, unreachable). Must not
// contain flag checks of its own (serve/ has them), planning arithmetic (plan/) or /health parsing (monitor/).
#include <fmt/format.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <thread>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/command_registry.h"
#include "monitor/http_probe.h"
#include "monitor/readiness.h"
#include "plan/gpu_catalog.h"
#include "plan/local_gpus.h"
#include "plan/model_inputs.h"
#include "plan/plan_report.h"
#include "plan/plan_suggestions.h"
#include "serve/serve_config.h"
#include "serve/serve_config_parser.h"
#include "serve/serve_flags.h"
#include "serve/startup_summary.h"

namespace fovea::cli {
namespace {

constexpr int kExitDoesNotFit = 3;
constexpr int kExitNotReady = 4;
// Between two /health probes while waiting, and the longest one probe may take.
constexpr auto kReadinessPollInterval = std::chrono::milliseconds(500);
constexpr double kReadinessProbeTimeoutS = 5.0;

bool is_folder(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

class CheckCommand : public Command {
 public:
  void configure(CLI::App& app) override {
    app_ = &app;
    // Everything that is not check's own option goes, in order, to the server's parser.
    app.allow_extras();
    app.add_option("--gpu", gpu_name_,
                   "GPU from the catalogue (fovea plan --list-gpus); default: this machine's, from the NVIDIA driver");
    app.add_option("--gpu-memory", gpu_memory_, "usable memory of one GPU instead of --gpu, e.g. 24GiB");
    app.add_flag("--json", json_, "print one JSON object: the config (secrets redacted), notes and the plan");
    app.add_option("--url", url_,
                   "instead of a config: the base URL of a running server (http://HOST:PORT) to wait for; prints its "
                   "state and exits 0 when ready");
    app.add_option("--timeout", timeout_s_, "with --url: seconds to wait for ready (default 0: probe once)")
        ->check(CLI::Range(0.0, 86400.0));
    app.footer("Every `fovea serve` argument is accepted and checked as the server checks it:\n" +
               serve::serve_flags_usage());
  }

  int run() override {
    if (!url_.empty()) return run_readiness();
    base::Result<serve::ParsedServeArgs> parsed = serve::parse_serve_args(app_->remaining());
    if (!parsed.ok()) return report_error(parsed.status());
    if (parsed->help_requested) {
      std::printf("%s", app_->help().c_str());
      return 0;
    }
    const serve::ServeConfig& config = parsed->config;
    if (base::Status status = check_model_folder(config); !status.ok()) return report_error(status);
    if (base::Status status = serve::check_serve_config_paths(config); !status.ok()) return report_error(status);

    plan::PlanInputs inputs;
    std::vector<std::string> notes = parsed->notes;
    if (base::Status status = plan::read_model_folder(config.model, inputs); !status.ok()) {
      return report_error(status);
    }
    if (base::Status status = choose_gpu(config, inputs.gpu, notes); !status.ok()) return report_error(status);
    inputs.options = serve::plan_options_from_serve_config(config);
    if (config.dtype == serve::ModelDtype::kFloat32) {
      notes.push_back("--dtype float32 is not planned for: the plan assumes the checkpoint's own dtype");
    }
    base::Result<plan::MemoryPlan> plan = plan::plan_memory(inputs);
    if (!plan.ok()) return report_error(plan.status());

    const std::string source = config.config_file.empty() ? "the command line" : config.config_file;
    std::string text;
    if (json_) {
      nlohmann::ordered_json document = {{"config_valid", true},
                                         {"config_source", source},
                                         {"config", serve::serve_config_to_json(config)},
                                         {"notes", notes},
                                         {"plan", nlohmann::ordered_json::parse(plan::plan_to_json(*plan))}};
      text = document.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
    } else {
      text = "config    " + source + ": every key and value is valid for fovea serve (model " + config.model +
             ", port " + std::to_string(config.port) + ")\n";
      for (const std::string& note : notes) text += "note      " + note + "\n";
      text += "\n" + plan::plan_to_table(*plan);
    }
    std::fwrite(text.data(), 1, text.size(), stdout);
    return plan->fits ? 0 : kExitDoesNotFit;
  }

 private:
  // The server loads a local folder only; a Hugging Face id in a profile must be replaced by --model DIR.
  static base::Status check_model_folder(const serve::ServeConfig& config) {
    if (config.model.empty()) {
      return base::invalid_argument(
          "no model is given; pass the model folder (positional, --model DIR or `model:` in the config)");
    }
    if (!is_folder(config.model)) {
      return base::not_found(
          "model {} is not a local folder and fovea does not download models; pass --model DIR with the downloaded "
          "folder (its config.json alone is enough for the plan)",
          config.model);
    }
    return base::Status();
  }

  base::Status choose_gpu(const serve::ServeConfig& config, plan::GpuSpec& gpu, std::vector<std::string>& notes) {
    if (!gpu_name_.empty() && !gpu_memory_.empty()) {
      return base::invalid_argument("fovea check takes --gpu NAME or --gpu-memory SIZE, not both");
    }
    if (!gpu_name_.empty()) {
      FOVEA_ASSIGN_OR_RETURN(gpu, plan::find_gpu(gpu_name_));
      return base::Status();
    }
    if (!gpu_memory_.empty()) {
      FOVEA_ASSIGN_OR_RETURN(uint64_t memory_bytes, plan::parse_memory_size(gpu_memory_, "--gpu-memory"));
      gpu = plan::custom_gpu(memory_bytes);
      return base::Status();
    }
    const std::vector<std::string> local = plan::local_gpu_models();
    if (local.empty()) {
      return base::not_found(
          "this machine shows no NVIDIA GPU ({}); pass --gpu NAME or --gpu-memory SIZE to plan for one",
          plan::kNvidiaProcGpusDir);
    }
    base::Result<plan::GpuSpec> found = plan::find_gpu(local.front());
    if (!found.ok()) {
      return base::not_found(
          "this machine's GPU '{}' is not in fovea's catalogue; pass --gpu-memory SIZE with its usable memory",
          local.front());
    }
    gpu = *found;
    notes.push_back(fmt::format("planned for this machine's GPU: {} ({} found)", gpu.name, local.size()));
    if (static_cast<int64_t>(local.size()) < config.tensor_parallel_size) {
      notes.push_back(fmt::format("--tensor-parallel-size {} needs {} GPUs but this machine has {}",
                                  config.tensor_parallel_size, config.tensor_parallel_size, local.size()));
    }
    return base::Status();
  }

  // --url: /health until ready, a state that cannot change (draining, engine dead, a refused key) or the timeout.
  int run_readiness() {
    std::string api_key;
    const std::vector<std::string> rest = app_->remaining();
    for (size_t idx = 0; idx < rest.size(); ++idx) {
      if (rest[idx] == "--api-key" && idx + 1 < rest.size()) {
        api_key = rest[++idx];
      } else if (rest[idx].starts_with("--api-key=")) {
        api_key = rest[idx].substr(10);
      } else {
        return report_error(base::invalid_argument(
            "fovea check --url takes only --timeout and --api-key besides the URL, not '{}'", rest[idx]));
      }
    }
    base::Result<monitor::HttpProbe> probe = monitor::HttpProbe::create(url_, api_key, kReadinessProbeTimeoutS);
    if (!probe.ok()) return report_error(probe.status());
    const auto start = std::chrono::steady_clock::now();
    const auto deadline = start + std::chrono::duration<double>(timeout_s_);
    std::string last_reported;
    while (true) {
      const monitor::ReadinessProbe state = monitor::classify_health(probe->get("/health"));
      const bool out_of_time = std::chrono::steady_clock::now() + kReadinessPollInterval > deadline;
      if (state.state == monitor::Readiness::kReady || !monitor::readiness_may_change(state.state) || out_of_time) {
        const double waited_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::printf("%s (%s, after %.1f s)\n", state.reason.c_str(), url_.c_str(), waited_s);
        return state.state == monitor::Readiness::kReady ? 0 : kExitNotReady;
      }
      if (state.reason != last_reported) {
        std::fprintf(stderr, "fovea check: waiting for %s: %s\n", url_.c_str(), state.reason.c_str());
        last_reported = state.reason;
      }
      std::this_thread::sleep_for(kReadinessPollInterval);
    }
  }

  CLI::App* app_ = nullptr;
  std::string url_;
  double timeout_s_ = 0.0;
  std::string gpu_name_;
  std::string gpu_memory_;
  bool json_ = false;
};

}  // namespace

FOVEA_REGISTER_COMMAND(
    CheckCommand, "check",
    "validate a serve config (every key, the server's messages) and plan its memory, loading nothing");

}  // namespace fovea::cli
