// The flow of one `fovea bench` invocation (see bench_session.h). Must not contain CLI parsing, metric definitions
// or HTTP details.
#include "bench/bench_session.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <thread>

#include "bench/bench_metrics.h"
#include "bench/openai_client.h"
#include "bench/progress_bar.h"
#include "bench/result_report.h"
#include "bench/svg_chart.h"
#include "bench/sweep_spec.h"

namespace fovea::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Each run of a sweep draws new prompts and images, so a later run never hits the prefix or encoder cache that an
// earlier one filled.
constexpr uint64_t kRunSeedStride = 1000003;

std::string local_date() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char text[32];
  std::strftime(text, sizeof(text), "%Y%m%d-%H%M%S", &local);
  return text;
}

TokenizerCalls tokenizer_calls(OpenAiClient& client, const std::string& model) {
  TokenizerCalls calls;
  calls.tokenize = [&client, model](const std::string& text) -> base::Result<std::vector<int64_t>> {
    FOVEA_ASSIGN_OR_RETURN(
        nlohmann::json answer,
        client.post_json("/tokenize", {{"model", model}, {"prompt", text}, {"add_special_tokens", false}}));
    if (!answer.is_object() || !answer.contains("tokens") || !answer["tokens"].is_array()) {
      return base::data_loss("/tokenize answered without a `tokens` array; the bench needs vLLM's /tokenize");
    }
    std::vector<int64_t> ids;
    for (const nlohmann::json& id : answer["tokens"]) {
      if (!id.is_number_integer()) return base::data_loss("/tokenize answered a token id that is not an integer");
      ids.push_back(id.get<int64_t>());
    }
    return ids;
  };
  calls.detokenize = [&client, model](const std::vector<int64_t>& ids) -> base::Result<std::string> {
    FOVEA_ASSIGN_OR_RETURN(nlohmann::json answer, client.post_json("/detokenize", {{"model", model}, {"tokens", ids}}));
    if (!answer.is_object() || !answer.contains("prompt") || !answer["prompt"].is_string()) {
      return base::data_loss("/detokenize answered without a `prompt` string; the bench needs vLLM's /detokenize");
    }
    return answer["prompt"].get<std::string>();
  };
  return calls;
}

base::Result<std::string> first_model(OpenAiClient& client) {
  FOVEA_ASSIGN_OR_RETURN(nlohmann::json models, client.get_json("/v1/models"));
  if (models.is_object() && models.contains("data") && models["data"].is_array() && !models["data"].empty() &&
      models["data"][0].is_object() && models["data"][0].contains("id") && models["data"][0]["id"].is_string()) {
    return models["data"][0]["id"].get<std::string>();
  }
  return base::not_found("/v1/models lists no model; pass --model");
}

// Prompt tokens the server counts for `request` sent once with one output token.
base::Result<int64_t> prompt_tokens_of(OpenAiClient& client, const std::string& model, const BenchRequest& request) {
  FOVEA_ASSIGN_OR_RETURN(
      nlohmann::json answer,
      client.post_json("/v1/chat/completions",
                       {{"model", model}, {"messages", request.messages}, {"max_completion_tokens", 1}}));
  if (!answer.is_object() || !answer.contains("usage") || !answer["usage"].is_object() ||
      !answer["usage"].contains("prompt_tokens") || !answer["usage"]["prompt_tokens"].is_number_integer()) {
    return base::data_loss("the server's chat answer has no usage.prompt_tokens; modality sweeps need it");
  }
  return answer["usage"]["prompt_tokens"].get<int64_t>();
}

// The prompt tokens the images of one random-mm request add, measured on the server: the same request with and
// without its image parts. The text side of a modality sweep adds this many tokens of text.
base::Result<int64_t> measure_image_tokens(OpenAiClient& client, const std::string& model, BenchOptions options,
                                           PromptFitter& fitter) {
  options.dataset.kind = DatasetKind::kRandomMm;
  options.dataset.num_prompts = 1;
  options.dataset.range_ratio = 0.0;
  FOVEA_ASSIGN_OR_RETURN(std::vector<BenchRequest> probe, build_dataset(options.dataset, fitter));
  FOVEA_ASSIGN_OR_RETURN(int64_t with_images, prompt_tokens_of(client, model, probe[0]));
  BenchRequest text_only = probe[0];
  nlohmann::json& content = text_only.messages[0]["content"];
  content.erase(std::remove_if(content.begin(), content.end(),
                               [](const nlohmann::json& part) { return part["type"] == "image_url"; }),
                content.end());
  FOVEA_ASSIGN_OR_RETURN(int64_t without_images, prompt_tokens_of(client, model, text_only));
  return std::max<int64_t>(0, with_images - without_images);
}

base::Status apply_sweep_value(const SweepSpec& spec, const std::string& value, int64_t image_tokens,
                               BenchOptions& options) {
  switch (spec.parameter) {
    case SweepParameter::kImageSize: {
      if (options.dataset.kind != DatasetKind::kRandomMm) {
        return base::invalid_argument("--sweep image-size needs --dataset-name random-mm");
      }
      FOVEA_ASSIGN_OR_RETURN(ImageSize size, parse_image_size(value));
      options.dataset.image_sizes = {size};
      return base::Status::ok_status();
    }
    case SweepParameter::kImagesPerRequest:
      if (options.dataset.kind != DatasetKind::kRandomMm) {
        return base::invalid_argument("--sweep images-per-request needs --dataset-name random-mm");
      }
      options.dataset.images_per_request = std::stoll(value);
      return base::Status::ok_status();
    case SweepParameter::kConcurrency:
      options.load.max_concurrency = std::stoll(value);
      return base::Status::ok_status();
    case SweepParameter::kRequestRate:
      options.load.request_rate = value == "inf" ? INFINITY : std::stod(value);
      return base::Status::ok_status();
    case SweepParameter::kInputLen:
      options.dataset.input_len_tokens = std::stoll(value);
      return base::Status::ok_status();
    case SweepParameter::kOutputLen:
      options.dataset.output_len_tokens = std::stoll(value);
      return base::Status::ok_status();
    case SweepParameter::kModality:
      if (value == "image") {
        options.dataset.kind = DatasetKind::kRandomMm;
      } else {
        options.dataset.kind = DatasetKind::kRandom;
        options.dataset.input_len_tokens += image_tokens;
      }
      return base::Status::ok_status();
  }
  return base::Status::ok_status();
}

// vLLM's initial single-prompt test run: retried while the server is not reachable or not ready, given up at once
// on an answer that says the request itself is wrong.
base::Status ready_check(const ServerAddress& address, const LoadOptions& load, const std::string& body,
                         double timeout_s) {
  if (timeout_s <= 0.0) return base::Status::ok_status();
  const Clock::time_point deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_s));
  OpenAiClient client(address, load.request_timeout_s);
  while (true) {
    RequestRecord record = client.stream(load.route, body, RequestRecord{});
    if (record.success) return base::Status::ok_status();
    const bool retry = record.http_status == 0 || record.http_status == 503;
    if (!retry || Clock::now() >= deadline) {
      return base::make_error(base::StatusCode::kUnavailable,
                              "the initial test request failed, so the bench did not start: {}", record.error);
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

base::Status write_text_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return base::not_found("cannot write {}; check that its folder exists and is writable", path);
  return base::Status::ok_status();
}

std::string result_path(const BenchOptions& options, const RunInfo& info) {
  std::string name = options.json_path;
  if (name.empty()) {
    if (!options.save_result) return "";
    const std::string rate =
        std::isinf(options.load.request_rate) ? "inf" : fmt::format("{}", options.load.request_rate);
    const std::string concurrency =
        options.load.max_concurrency > 0 ? fmt::format("-concurrency{}", options.load.max_concurrency) : "";
    const std::string base_model = info.model_id.substr(info.model_id.rfind('/') + 1);
    name = fmt::format("{}-{}qps{}-{}-{}.json", info.label, rate, concurrency, base_model, info.date);
  }
  if (!options.result_dir.empty()) {
    std::error_code error;
    std::filesystem::create_directories(options.result_dir, error);
    name = (std::filesystem::path(options.result_dir) / name).string();
  }
  return name;
}

base::Result<nlohmann::ordered_json> run_once(const ServerAddress& address, OpenAiClient& control,
                                              const BenchOptions& options, RunInfo info, const std::string& title) {
  PromptFitter fitter(tokenizer_calls(control, info.model_id), options.dataset.seed);
  FOVEA_ASSIGN_OR_RETURN(std::vector<BenchRequest> dataset, build_dataset(options.dataset, fitter));
  if (dataset.empty()) return base::invalid_argument("--num-prompts must be at least 1");
  nlohmann::json extra_body = nlohmann::json::object();
  if (!options.extra_body_json.empty()) {
    try {
      extra_body = nlohmann::json::parse(options.extra_body_json);
    } catch (const nlohmann::json::exception& error) {
      return base::invalid_argument("--extra-body is not JSON: {}", error.what());
    }
    if (!extra_body.is_object()) return base::invalid_argument("--extra-body must be a JSON object");
  }
  const RequestBodyOptions body_options{info.model_id, options.ignore_eos, extra_body};
  std::vector<RunRequest> requests;
  requests.reserve(dataset.size());
  for (const BenchRequest& request : dataset)
    requests.push_back({chat_request_body(request, body_options), request.num_images});

  FOVEA_RETURN_IF_ERROR(ready_check(address, options.load, requests[0].body, options.ready_check_timeout_s));
  const bool interactive = ProgressBar::stderr_is_terminal();
  if (options.num_warmups > 0) {
    std::vector<RunRequest> warmups(static_cast<size_t>(options.num_warmups), requests[0]);
    LoadOptions warmup_load = options.load;
    warmup_load.request_rate = INFINITY;
    ProgressBar bar("warm-up", options.num_warmups, options.show_progress, interactive);
    run_load(address, warmups, warmup_load, [&](int64_t num_done, int64_t) { bar.update(num_done); });
    bar.finish();
  }
  info.num_prompts = static_cast<int64_t>(requests.size());
  ProgressBar bar(title, info.num_prompts, options.show_progress, interactive);
  LoadResult result =
      run_load(address, requests, options.load, [&](int64_t num_done, int64_t) { bar.update(num_done); });
  bar.finish();
  const BenchMetrics metrics = compute_metrics(result.records, result.duration_s, options.percentiles);
  std::fputs(result_table(metrics, result.records, info).c_str(), stdout);
  std::fflush(stdout);
  return result_json(metrics, result.records, info);
}

// --plot-metrics must name numeric keys of the results; checked before any run so a typo costs no time.
base::Status check_chart_metrics(const BenchOptions& options, const RunInfo& info) {
  const nlohmann::ordered_json keys = result_json(BenchMetrics{}, {}, info);
  for (const std::string& key : options.chart_metrics) {
    if (!keys.contains(key) || !keys[key].is_number()) {
      return base::invalid_argument("--plot-metrics: '{}' is not a numeric key of the results (e.g. mean_ttft_ms)",
                                    key);
    }
  }
  return base::Status::ok_status();
}

base::Status write_chart(const BenchOptions& options, const SweepSpec& spec, const nlohmann::ordered_json& runs,
                         const std::string& json_path) {
  ChartSpec chart;
  chart.title = fmt::format("fovea bench: sweep of {}", spec.name);
  chart.x_label = spec.name;
  chart.x_values = spec.values;
  std::vector<std::string> metrics = options.chart_metrics;
  if (spec.parameter == SweepParameter::kImageSize || spec.parameter == SweepParameter::kImagesPerRequest) {
    if (std::find(metrics.begin(), metrics.end(), "image_throughput") == metrics.end()) {
      metrics.push_back("image_throughput");
    }
  }
  for (const std::string& key : metrics) {
    ChartPanel panel{key, {}};
    for (const auto& run : runs) {
      panel.values.push_back(run.contains(key) && run[key].is_number() ? run[key].get<double>() : NAN);
    }
    chart.panels.push_back(std::move(panel));
  }
  std::string path = options.chart_path;
  if (path.empty()) {
    path = json_path.empty()
               ? fmt::format("fovea-bench-sweep-{}.svg", spec.name)
               : (std::filesystem::path(json_path).replace_extension("").string() + "-" + spec.name + ".svg");
  }
  FOVEA_RETURN_IF_ERROR(write_text_file(path, render_line_chart_svg(chart)));
  fmt::print(stderr, "fovea bench: wrote the sweep chart {}\n", path);
  return base::Status::ok_status();
}

}  // namespace

base::Status run_bench(const BenchOptions& options) {
  std::string api_key = options.api_key;
  if (api_key.empty()) {
    if (const char* env = std::getenv("OPENAI_API_KEY")) api_key = env;
  }
  FOVEA_ASSIGN_OR_RETURN(ServerAddress address, parse_server_address(options.base_url, api_key));
  OpenAiClient control(address, options.load.request_timeout_s);
  RunInfo info;
  info.date = local_date();
  info.model_id = options.model;
  if (info.model_id.empty()) {
    FOVEA_ASSIGN_OR_RETURN(info.model_id, first_model(control));
  }
  info.label = options.label.empty() ? "openai-chat" : options.label;
  info.dataset_name = std::string(dataset_kind_name(options.dataset.kind));
  info.burstiness = options.load.burstiness;
  info.percentile_metrics = options.percentile_metrics;

  if (options.sweep.empty()) {
    info.request_rate = options.load.request_rate;
    info.max_concurrency = options.load.max_concurrency;
    FOVEA_ASSIGN_OR_RETURN(nlohmann::ordered_json result, run_once(address, control, options, info, "bench"));
    const std::string path = result_path(options, info);
    if (!path.empty()) {
      FOVEA_RETURN_IF_ERROR(write_text_file(path, result.dump(2) + "\n"));
      fmt::print(stderr, "fovea bench: wrote the results to {}\n", path);
    }
    return base::Status::ok_status();
  }

  FOVEA_ASSIGN_OR_RETURN(SweepSpec spec, parse_sweep_spec(options.sweep));
  FOVEA_RETURN_IF_ERROR(check_chart_metrics(options, info));
  int64_t image_tokens = 0;
  if (spec.parameter == SweepParameter::kModality) {
    PromptFitter fitter(tokenizer_calls(control, info.model_id), options.dataset.seed);
    FOVEA_ASSIGN_OR_RETURN(image_tokens, measure_image_tokens(control, info.model_id, options, fitter));
    fmt::print(stderr, "fovea bench: the images of one request are {} prompt tokens; text runs add that many\n",
               image_tokens);
  }
  nlohmann::ordered_json runs = nlohmann::ordered_json::array();
  for (size_t run_idx = 0; run_idx < spec.values.size(); ++run_idx) {
    BenchOptions run_options = options;
    run_options.dataset.seed = options.dataset.seed + kRunSeedStride * (run_idx + 1);
    FOVEA_RETURN_IF_ERROR(apply_sweep_value(spec, spec.values[run_idx], image_tokens, run_options));
    RunInfo run_info = info;
    run_info.dataset_name = std::string(dataset_kind_name(run_options.dataset.kind));
    run_info.request_rate = run_options.load.request_rate;
    run_info.max_concurrency = run_options.load.max_concurrency;
    run_info.sweep_parameter = spec.name;
    run_info.sweep_value = spec.values[run_idx];
    const std::string title = fmt::format("{}={}", spec.name, spec.values[run_idx]);
    FOVEA_ASSIGN_OR_RETURN(nlohmann::ordered_json result, run_once(address, control, run_options, run_info, title));
    runs.push_back(std::move(result));
  }
  const std::string path = result_path(options, info);
  if (!path.empty()) {
    nlohmann::ordered_json out;
    out["sweep_parameter"] = spec.name;
    out["sweep_values"] = spec.values;
    out["runs"] = runs;
    FOVEA_RETURN_IF_ERROR(write_text_file(path, out.dump(2) + "\n"));
    fmt::print(stderr, "fovea bench: wrote the sweep results to {}\n", path);
  }
  return write_chart(options, spec, runs, path);
}

}  // namespace fovea::bench
