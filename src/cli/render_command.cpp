// `fovea render --model MODEL_DIR --messages FILE.json`: prints the prompt the model folder's chat template makes
// of a conversation, byte for byte what transformers' apply_chat_template(tokenize=False) returns, with no newline
// added. Must not contain template or file-discovery logic (text::ChatTemplate, io::load_chat_template).
#include <cstdio>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "base/file_util.h"
#include "cli/command_registry.h"
#include "io/chat_template_source.h"
#include "text/chat_template.h"

namespace fovea::cli {
namespace {

using nlohmann::ordered_json;

constexpr uint64_t kMaxInputBytes = uint64_t{256} << 20;

base::Result<std::string> read_input(const std::string& path) {
  if (path != "-") return base::read_file(path, kMaxInputBytes);
  std::ios::sync_with_stdio(false);
  return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

// JSON with key order kept: tool schemas print through `tojson` in their original order, as in Python.
base::Result<ordered_json> parse_json(const std::string& text, const std::string& what) {
  try {
    return ordered_json::parse(text);
  } catch (const nlohmann::json::exception& error) {
    return base::invalid_argument("{} is not valid JSON: {}", what, error.what());
  }
}

// The special tokens of tokenizer_config.json, for --chat-template on a folder that has no template of its own.
base::Result<io::ChatTemplateSource> tokens_without_template(const std::string& model_dir) {
  io::ChatTemplateSource source;
  std::string path = model_dir + "/tokenizer_config.json";
  if (!base::file_exists(path)) return source;
  FOVEA_ASSIGN_OR_RETURN(std::string text, base::read_file(path, kMaxInputBytes));
  FOVEA_ASSIGN_OR_RETURN(ordered_json config, parse_json(text, path));
  if (!config.is_object()) return base::invalid_argument("{} must be a JSON object", path);
  for (auto [key, target] : {std::pair{"bos_token", &source.bos_token}, std::pair{"eos_token", &source.eos_token}}) {
    auto found = config.find(key);
    if (found == config.end()) continue;
    if (found->is_string()) {
      *target = found->get<std::string>();
    } else if (found->is_object() && found->contains("content") && (*found)["content"].is_string()) {
      *target = (*found)["content"].get<std::string>();
    }
  }
  return source;
}

class RenderCommand : public Command {
 public:
  void configure(CLI::App& app) override {
    app.add_option("--model", model_dir_, "Model folder (its chat template and bos/eos tokens)")->required();
    app.add_option("--messages", messages_path_,
                   "JSON file with the messages: a list, or a chat request object with \"messages\" and optional "
                   "\"tools\" and \"chat_template_kwargs\"; - reads stdin")
        ->required();
    app.add_flag("--no-generation-prompt", no_generation_prompt_,
                 "Do not end with the assistant header (add_generation_prompt=False)");
    app.add_option("--kwargs", kwargs_json_,
                   "Extra template variables as a JSON object, e.g. '{\"enable_thinking\": false}'");
    app.add_option("--tools", tools_path_, "JSON file with the list of tool definitions");
    app.add_option("--chat-template", template_path_, "Use this Jinja file instead of the model folder's template");
  }

  int run() override {
    auto rendered = render();
    if (!rendered.ok()) return report_error(rendered.status());
    std::fwrite(rendered->data(), 1, rendered->size(), stdout);
    return 0;
  }

 private:
  base::Result<std::string> render() {
    text::ChatRenderRequest request;
    FOVEA_ASSIGN_OR_RETURN(std::string messages_text, read_input(messages_path_));
    FOVEA_ASSIGN_OR_RETURN(ordered_json messages, parse_json(messages_text, messages_path_));
    if (messages.is_object() && messages.contains("messages")) {
      if (messages.contains("tools")) request.tools = messages["tools"];
      if (messages.contains("chat_template_kwargs")) request.extra_kwargs = messages["chat_template_kwargs"];
      request.messages = messages["messages"];
    } else {
      request.messages = std::move(messages);
    }
    if (!tools_path_.empty()) {
      FOVEA_ASSIGN_OR_RETURN(std::string tools_text, base::read_file(tools_path_, kMaxInputBytes));
      FOVEA_ASSIGN_OR_RETURN(request.tools, parse_json(tools_text, tools_path_));
    }
    if (!kwargs_json_.empty()) {
      FOVEA_ASSIGN_OR_RETURN(request.extra_kwargs, parse_json(kwargs_json_, "--kwargs"));
      if (!request.extra_kwargs.is_object()) {
        return base::invalid_argument("--kwargs must be a JSON object, e.g. '{{\"enable_thinking\": false}}'");
      }
    }
    request.add_generation_prompt = !no_generation_prompt_;

    io::ChatTemplateSource source;
    if (template_path_.empty()) {
      FOVEA_ASSIGN_OR_RETURN(source, io::load_chat_template(model_dir_));
    } else {
      auto found = io::load_chat_template(model_dir_);
      if (found.ok()) {
        source = std::move(found).value();
      } else if (found.status().code() == base::StatusCode::kNotFound) {
        FOVEA_ASSIGN_OR_RETURN(source, tokens_without_template(model_dir_));
      } else {
        return found.status();
      }
      FOVEA_ASSIGN_OR_RETURN(source.template_text, base::read_file(template_path_, kMaxInputBytes));
      source.origin = template_path_;
    }
    request.bos_token = source.bos_token;
    request.eos_token = source.eos_token;
    auto chat_template = text::ChatTemplate::create(source.template_text);
    if (!chat_template.ok()) return chat_template.status().with_context(source.origin);
    return chat_template->render(request);
  }

  std::string model_dir_;
  std::string messages_path_;
  bool no_generation_prompt_ = false;
  std::string kwargs_json_;
  std::string tools_path_;
  std::string template_path_;
};

}  // namespace

FOVEA_REGISTER_COMMAND(RenderCommand, "render", "Print the prompt a model's chat template makes of a conversation");

}  // namespace fovea::cli
