// `fovea run --model DIR (--messages FILE.json | --prompt TEXT [--image FILE]...) [--tools FILE.json]
// [--kwargs JSON] [--max-tokens N] [--temperature T] [--seed S] [--device D] [--load-format dummy]
// [--max-model-len N|auto] [--chat-template T] [--json]`: one chat request through the whole engine
// (template, tokenizer, images, scheduler, model, sampler); prints the answer, or with --json one line
// {"text", "token_ids", "prompt_tokens", "timings"}. Must not contain engine logic (engine::Engine does it all).
#include <chrono>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/file_util.h"
#include "cli/command_registry.h"
#include "engine/runtime/engine.h"
#include "serve/engine_options.h"
#include "serve/human_readable_int.h"

namespace fovea::cli {
namespace {

using nlohmann::ordered_json;

constexpr uint64_t kMaxInputBytes = uint64_t{256} << 20;

base::Result<std::string> read_input(const std::string& path) {
  if (path != "-") return base::read_file(path, kMaxInputBytes);
  return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

base::Result<ordered_json> parse_json(const std::string& text, const std::string& what) {
  try {
    return ordered_json::parse(text);
  } catch (const nlohmann::json::exception& error) {
    return base::invalid_argument("{} is not valid JSON: {}", what, error.what());
  }
}

class RunCommand : public Command {
 public:
  void configure(CLI::App& app) override {
    app.add_option("--model", model_dir_, "Model folder")->required();
    auto* messages = app.add_option("--messages", messages_path_,
                                    "JSON file with the messages (a list, or an object with \"messages\" and optional "
                                    "\"tools\" and \"chat_template_kwargs\"); - reads stdin");
    auto* prompt = app.add_option("--prompt", prompt_, "The user message text");
    messages->excludes(prompt);
    app.add_option("--image", images_, "Image for --prompt (a path, file:// or data: URL); repeatable")
        ->needs(prompt);
    app.add_option("--tools", tools_path_, "JSON file with the list of tool definitions");
    app.add_option("--kwargs", kwargs_json_, "Extra template variables as a JSON object");
    app.add_option_function<int64_t>("--max-tokens", [this](const int64_t& value) { max_tokens_ = value; },
                                      "Most tokens to generate");
    app.add_option_function<double>("--temperature", [this](const double& value) { temperature_ = value; },
                                     "Sampling temperature (0: greedy; default: the model's generation config)");
    app.add_option_function<int64_t>("--seed", [this](const int64_t& value) { seed_ = value; }, "Sampling seed");
    app.add_option("--dtype", dtype_, "Activation dtype: auto, bfloat16, float16 or float32")->capture_default_str();
    app.add_option("--device", device_, "auto, cpu, cuda or cuda:N (auto: cuda when there is one)")
        ->capture_default_str();
    app.add_option("--load-format", load_format_, "auto, safetensors or dummy (seeded random weights)")
        ->capture_default_str();
    app.add_option("--max-model-len", max_model_len_text_,
                   "Context length: tokens (also 128k), or auto for the longest that fits (default: the model's)");
    app.add_option("--gpu-memory-utilization", memory_utilization_,
                   "Share of the GPU's memory (on the CPU: of half the free memory) fovea may use")
        ->capture_default_str()
        ->check(CLI::Range(0.01, 1.0));
    app.add_option("--chat-template", chat_template_, "Chat template file, or the template itself (vLLM's rule)");
    app.add_option("--threads", num_threads_, "CPU threads (0: all cores)")->capture_default_str();
    app.add_flag("--ignore-eos", ignore_eos_, "Keep generating past the end-of-sequence token");
    app.add_flag("--enforce-eager", enforce_eager_, "Run decode steps op by op, without CUDA graphs (as vLLM's)");
    app.add_flag("--json", json_, "Print one JSON line: text, token_ids, prompt_tokens, timings");
  }

  int run() override {
    auto status = execute();
    return status.ok() ? 0 : report_error(status);
  }

 private:
  base::Result<text::ChatRenderRequest> chat_request() const {
    text::ChatRenderRequest request;
    if (!messages_path_.empty()) {
      FOVEA_ASSIGN_OR_RETURN(std::string text, read_input(messages_path_));
      FOVEA_ASSIGN_OR_RETURN(ordered_json messages, parse_json(text, messages_path_));
      if (messages.is_object() && messages.contains("messages")) {
        if (messages.contains("tools")) request.tools = messages["tools"];
        if (messages.contains("chat_template_kwargs")) request.extra_kwargs = messages["chat_template_kwargs"];
        request.messages = messages["messages"];
      } else {
        request.messages = std::move(messages);
      }
    } else if (!prompt_.empty() || !images_.empty()) {
      // Text-only templates (Qwen3) take string content; images need content parts.
      ordered_json content = prompt_;
      if (!images_.empty()) {
        content = ordered_json::array();
        for (const std::string& image : images_) {
          content.push_back({{"type", "image_url"}, {"image_url", {{"url", image}}}});
        }
        content.push_back({{"type", "text"}, {"text", prompt_}});
      }
      request.messages = ordered_json::array({{{"role", "user"}, {"content", content}}});
    } else {
      return base::invalid_argument("give --messages FILE.json or --prompt TEXT");
    }
    if (!tools_path_.empty()) {
      FOVEA_ASSIGN_OR_RETURN(std::string tools_text, base::read_file(tools_path_, kMaxInputBytes));
      FOVEA_ASSIGN_OR_RETURN(request.tools, parse_json(tools_text, tools_path_));
    }
    if (!kwargs_json_.empty()) {
      FOVEA_ASSIGN_OR_RETURN(request.extra_kwargs, parse_json(kwargs_json_, "--kwargs"));
      if (!request.extra_kwargs.is_object()) return base::invalid_argument("--kwargs must be a JSON object");
    }
    return request;
  }

  // --max-model-len: a token count (vLLM's forms: 131072, 128k, 128K) or auto / -1.
  base::Status set_max_model_len(engine::EngineConfig& config) const {
    if (max_model_len_text_.empty()) return base::Status();
    if (max_model_len_text_ == "auto" || max_model_len_text_ == "-1") {
      config.max_model_len_auto_fit = true;
      return base::Status();
    }
    base::Result<int64_t> tokens = serve::parse_human_readable_int(max_model_len_text_);
    if (!tokens.ok()) return base::invalid_argument("--max-model-len: {}", tokens.status().message());
    config.max_model_len = *tokens;
    return base::Status();
  }

  base::Status execute() {
    FOVEA_ASSIGN_OR_RETURN(text::ChatRenderRequest chat, chat_request());
    engine::EngineConfig config;
    config.model_dir = model_dir_;
    config.device = device_;
    config.dtype = dtype_;
    config.load_format = load_format_;
    FOVEA_RETURN_IF_ERROR(set_max_model_len(config));
    config.memory_utilization = memory_utilization_;
    config.kv_cache_sizer = serve::size_engine_kv_cache;
    if (!chat_template_.empty()) {
      FOVEA_ASSIGN_OR_RETURN(config.chat_template, serve::read_chat_template_flag(chat_template_));
    }
    if (seed_) config.seed = static_cast<uint64_t>(*seed_);
    config.num_threads = num_threads_;
    config.enforce_eager = enforce_eager_;
    config.max_num_seqs = 1;
    // The user's own files: any local image is allowed.
    config.media.allowed_local_media_path = "/";
    FOVEA_ASSIGN_OR_RETURN(std::unique_ptr<engine::Engine> engine, engine::Engine::start(config));

    engine::GenerateRequest request;
    request.request_id = "run-0";
    request.prompt.chat = std::move(chat);
    request.sampling.max_tokens = max_tokens_;
    request.sampling.temperature = temperature_;
    request.sampling.seed = seed_;
    request.sampling.ignore_eos = ignore_eos_;
    request.output.return_token_ids = true;
    FOVEA_ASSIGN_OR_RETURN(std::unique_ptr<engine::RequestStream> stream, engine->submit(std::move(request)));

    std::string text;
    std::vector<int32_t> token_ids;
    engine::RequestUpdate last;
    while (true) {
      std::optional<engine::RequestUpdate> update = stream->next(std::chrono::milliseconds(1000));
      if (!update) continue;
      for (const engine::ChoiceUpdate& choice : update->choices) {
        text += choice.content_delta;
        token_ids.insert(token_ids.end(), choice.token_ids.begin(), choice.token_ids.end());
        if (!json_) std::fwrite(choice.content_delta.data(), 1, choice.content_delta.size(), stdout);
      }
      if (!json_) std::fflush(stdout);
      if (update->finished) {
        last = std::move(*update);
        break;
      }
    }
    engine->shutdown(std::chrono::milliseconds(0));
    if (last.error_message) return base::internal_error("{}", *last.error_message);
    if (!json_) {
      std::fputc('\n', stdout);
      return base::Status();
    }
    const engine::RequestTimings& timings = last.timings;
    const double decode_s = timings.end_to_end_s - timings.first_token_s;
    const int64_t num_generated = last.usage.completion_tokens;
    ordered_json out = {
        {"text", text},
        {"token_ids", token_ids},
        {"prompt_tokens", last.usage.prompt_tokens},
        {"timings",
         {{"load_s", engine->info().load_time_s},
          {"first_token_s", timings.first_token_s},
          {"vision_encoder_s", timings.vision_encoder_s},
          {"total_s", timings.end_to_end_s},
          {"decode_tokens_per_s", num_generated > 1 && decode_s > 0 ? (num_generated - 1) / decode_s : 0.0}}},
    };
    const std::string line = out.dump(-1, ' ', false, ordered_json::error_handler_t::replace) + "\n";
    std::fwrite(line.data(), 1, line.size(), stdout);
    return base::Status();
  }

  std::string model_dir_;
  std::string messages_path_;
  std::string prompt_;
  std::vector<std::string> images_;
  std::string tools_path_;
  std::string kwargs_json_;
  std::optional<int64_t> max_tokens_;
  std::optional<double> temperature_;
  std::optional<int64_t> seed_;
  std::string dtype_ = "auto";
  std::string device_ = "auto";
  std::string load_format_ = "auto";
  std::string max_model_len_text_;
  double memory_utilization_ = 0.92;
  std::string chat_template_;
  int num_threads_ = 0;
  bool ignore_eos_ = false;
  bool enforce_eager_ = false;
  bool json_ = false;
};

}  // namespace

FOVEA_REGISTER_COMMAND(RunCommand, "run", "Generate an answer to one prompt (text and images) with a model folder");

}  // namespace fovea::cli
