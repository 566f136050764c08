// `fovea bench --base-url URL --model NAME [...]`: the OpenAI-compatible load generator with vLLM's
// `bench serve` flag names (--dataset-name, --num-prompts, --random-input-len, --request-rate, --max-concurrency,
// --save-result, ...) plus fovea's image datasets and sweeps. Must not contain bench logic (src/bench owns it).
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "bench/bench_session.h"
#include "cli/command_registry.h"

namespace fovea::cli {
namespace {

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

base::Result<double> parse_rate(const std::string& text) {
  if (text == "inf") return INFINITY;
  try {
    size_t used = 0;
    const double value = std::stod(text, &used);
    if (used == text.size() && value > 0.0) return value;
  } catch (const std::exception&) {
  }
  return base::invalid_argument("--request-rate '{}' is not a positive number of requests/s or inf", text);
}

class BenchCommand : public Command {
 public:
  void configure(CLI::App& app) override {
    bench::BenchOptions& o = options_;
    app.add_option("--base-url", base_url_, "Server URL, e.g. http://127.0.0.1:8000 (default: http://HOST:PORT)");
    app.add_option("--host", host_, "Server host when --base-url is not given")->capture_default_str();
    app.add_option("--port", port_, "Server port when --base-url is not given")->capture_default_str();
    app.add_option("--model", o.model, "Model name to request (default: the first of /v1/models)");
    app.add_option("--api-key", o.api_key, "Bearer token (default: $OPENAI_API_KEY)");
    app.add_option("--endpoint", endpoint_, "API route; the bench speaks /v1/chat/completions")->capture_default_str();
    app.add_option("--backend", backend_, "vLLM's backend name; openai-chat is the one supported")
        ->capture_default_str();
    app.add_option("--dataset-name,--dataset", dataset_name_, "random, random-mm or jsonl")->capture_default_str();
    app.add_option("--dataset-path", o.dataset.path, "The jsonl file of chat requests (--dataset-name jsonl)");
    app.add_option("--num-prompts", o.dataset.num_prompts, "Requests in the run")->capture_default_str();
    app.add_option("--random-input-len,--input-len", o.dataset.input_len_tokens,
                   "User text tokens per request (random datasets)")
        ->capture_default_str();
    app.add_option("--random-output-len,--output-len", o.dataset.output_len_tokens, "max_completion_tokens per request")
        ->capture_default_str();
    app.add_option("--random-range-ratio", o.dataset.range_ratio, "Lengths drawn uniformly in [len*(1-r), len*(1+r)]")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 1.0));
    app.add_option("--random-mm-image-size,--image-size", image_sizes_,
                   "random-mm image sizes WxH, comma-separated; each image draws one")
        ->capture_default_str();
    app.add_option("--images-per-request,--random-mm-base-items-per-request", o.dataset.images_per_request,
                   "random-mm images per request")
        ->capture_default_str()
        ->check(CLI::Range(1, 64));
    app.add_option("--image-format", image_format_, "random-mm encoding: jpeg or png")->capture_default_str();
    app.add_option("--request-rate", request_rate_, "Requests/s (Poisson arrivals with --burstiness 1) or inf")
        ->capture_default_str();
    app.add_option("--burstiness", o.load.burstiness, "Gamma shape of the arrival gaps: <1 burstier, >1 steadier")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--max-concurrency", o.load.max_concurrency, "Most requests in flight (default: no limit)")
        ->check(CLI::PositiveNumber);
    app.add_option("--num-warmups", o.num_warmups, "Warm-up requests before the run (not measured)")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    app.add_option("--seed", o.dataset.seed, "Seed of prompts, images and arrivals")->capture_default_str();
    app.add_flag("--ignore-eos", o.ignore_eos, "Ask the server to generate exactly max_completion_tokens");
    app.add_option("--extra-body", o.extra_body_json, "JSON object merged into every request body");
    app.add_option("--percentile-metrics", percentile_metrics_, "Metrics with percentiles: ttft,tpot,itl,e2el")
        ->capture_default_str();
    app.add_option("--metric-percentiles", metric_percentiles_, "Percentiles to report, e.g. 50,90,99")
        ->capture_default_str();
    app.add_option("--label", o.label, "Label of the results (default: openai-chat)");
    app.add_option("--json,--result-filename", o.json_path, "Write vLLM's saved-result JSON to this file");
    app.add_flag("--save-result", o.save_result, "Save the results (vLLM's file name unless --json names one)");
    app.add_option("--result-dir", o.result_dir, "Folder for the saved results");
    app.add_option("--sweep", o.sweep,
                   "NAME=V1,V2: image-size, images-per-request, concurrency, request-rate, input-len, output-len, "
                   "modality (text,image)");
    app.add_option("--plot", o.chart_path, "The sweep's SVG chart (default: next to --json)");
    app.add_option("--plot-metrics", plot_metrics_, "Result keys charted per sweep, comma-separated")
        ->capture_default_str();
    app.add_flag("--disable-tqdm", disable_progress_, "No progress output");
    app.add_option("--ready-check-timeout-sec", o.ready_check_timeout_s,
                   "Retry the initial test request this long; 0 skips it")
        ->capture_default_str();
    app.add_option("--request-timeout", o.load.request_timeout_s, "Seconds without data before a request fails")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
  }

  int run() override {
    base::Status status = finish_options();
    if (!status.ok()) return report_error(status);
    status = bench::run_bench(options_);
    return status.ok() ? 0 : report_error(status);
  }

 private:
  base::Status finish_options() {
    bench::BenchOptions& o = options_;
    o.base_url = base_url_.empty() ? "http://" + host_ + ":" + std::to_string(port_) : base_url_;
    if (endpoint_ != "/v1/chat/completions") {
      return base::unsupported("--endpoint {} is not supported; fovea bench speaks /v1/chat/completions", endpoint_);
    }
    if (backend_ != "openai-chat") {
      return base::unsupported("--backend {} is not supported; fovea bench speaks openai-chat", backend_);
    }
    FOVEA_ASSIGN_OR_RETURN(o.dataset.kind, bench::parse_dataset_kind(dataset_name_));
    if (o.dataset.kind == bench::DatasetKind::kJsonl && o.dataset.path.empty()) {
      return base::invalid_argument("--dataset-name jsonl needs --dataset-path FILE");
    }
    o.dataset.image_sizes.clear();
    for (const std::string& size : split_commas(image_sizes_)) {
      FOVEA_ASSIGN_OR_RETURN(bench::ImageSize parsed, bench::parse_image_size(size));
      o.dataset.image_sizes.push_back(parsed);
    }
    FOVEA_ASSIGN_OR_RETURN(o.dataset.image_encoding, bench::parse_image_encoding(image_format_));
    FOVEA_ASSIGN_OR_RETURN(o.load.request_rate, parse_rate(request_rate_));
    o.load.seed = o.dataset.seed;
    if (o.dataset.num_prompts < 1) return base::invalid_argument("--num-prompts must be at least 1");
    if (o.dataset.input_len_tokens < 1 || o.dataset.output_len_tokens < 1) {
      return base::invalid_argument("--random-input-len and --random-output-len must be at least 1");
    }
    o.percentile_metrics = split_commas(percentile_metrics_);
    for (const std::string& metric : o.percentile_metrics) {
      if (metric != "ttft" && metric != "tpot" && metric != "itl" && metric != "e2el") {
        return base::invalid_argument("--percentile-metrics '{}' is not one of: ttft, tpot, itl, e2el", metric);
      }
    }
    o.percentiles.clear();
    for (const std::string& text : split_commas(metric_percentiles_)) {
      try {
        size_t used = 0;
        const double p = std::stod(text, &used);
        if (used != text.size() || p < 0.0 || p > 100.0) throw std::invalid_argument(text);
        o.percentiles.push_back(p);
      } catch (const std::exception&) {
        return base::invalid_argument("--metric-percentiles '{}' is not a number from 0 to 100", text);
      }
    }
    o.chart_metrics = split_commas(plot_metrics_);
    o.show_progress = !disable_progress_;
    return base::Status::ok_status();
  }

  bench::BenchOptions options_;
  std::string base_url_;
  std::string host_ = "127.0.0.1";
  int port_ = 8000;
  std::string endpoint_ = "/v1/chat/completions";
  std::string backend_ = "openai-chat";
  std::string dataset_name_ = "random";
  std::string image_sizes_ = "512x512";
  std::string image_format_ = "jpeg";
  std::string request_rate_ = "inf";
  std::string percentile_metrics_ = "ttft,tpot,itl,e2el";
  std::string metric_percentiles_ = "90,99";
  std::string plot_metrics_ = "request_throughput,output_throughput,mean_ttft_ms,mean_tpot_ms,mean_e2el_ms";
  bool disable_progress_ = false;
};

}  // namespace

FOVEA_REGISTER_COMMAND(BenchCommand, "bench",
                       "Load-test an OpenAI-compatible server (vLLM's bench serve metrics, image datasets, sweeps)");

}  // namespace fovea::cli
