// Chat template lookup: the files transformers reads, in its order of preference (processing_utils.py,
// tokenization_utils_base.py of transformers 5).
#include "io/chat_template_source.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <vector>

#include "base/file_util.h"
#include "io/json_reader.h"

namespace fovea::io {
namespace {

using nlohmann::json;

constexpr uint64_t kMaxTemplateBytes = uint64_t{16} << 20;
constexpr std::string_view kDefaultName = "default";

struct NamedTemplate {
  std::string text;
  std::string origin;
};

// One source's templates by name ("default" for the unnamed one).
using TemplateSet = std::map<std::string, NamedTemplate, std::less<>>;

std::string join_names(const TemplateSet& templates) {
  std::string names;
  for (const auto& [name, entry] : templates) names += (names.empty() ? "" : ", ") + name;
  return names;
}

// A special token as tokenizer_config.json writes it: a string or an AddedToken dict {"content": ...}.
std::string token_text(const json& object, std::string_view key) {
  auto it = object.find(key);
  if (it == object.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object()) {
    auto content = it->find("content");
    if (content != it->end() && content->is_string()) return content->get<std::string>();
  }
  return "";
}

// A chat_template value: a string, or a list of {"name", "template"} (tokenizer_config.json's multi-template form).
base::Status add_template_value(const json& value, std::string_view origin, std::string_view label,
                                TemplateSet& templates) {
  if (value.is_string()) {
    templates[std::string(kDefaultName)] = {value.get<std::string>(), std::string(origin)};
    return base::Status::ok_status();
  }
  if (value.is_array()) {
    for (const json& entry : value) {
      auto name = entry.is_object() ? entry.find("name") : entry.end();
      auto text = entry.is_object() ? entry.find("template") : entry.end();
      if (!entry.is_object() || name == entry.end() || text == entry.end() || !name->is_string() ||
          !text->is_string()) {
        return base::invalid_argument("{}: chat_template list entries must be {{\"name\": ..., \"template\": ...}}",
                                      label);
      }
      templates[name->get<std::string>()] = {text->get<std::string>(), std::string(origin)};
    }
    return base::Status::ok_status();
  }
  return base::invalid_argument("{}: chat_template must be a string or a list of named templates but is {}", label,
                                json_type_phrase(value));
}

// chat_template.jinja as "default" plus additional_chat_templates/<name>.jinja.
base::Result<TemplateSet> read_template_files(const std::string& model_dir) {
  TemplateSet templates;
  std::string default_path = model_dir + "/chat_template.jinja";
  if (base::file_exists(default_path)) {
    FOVEA_ASSIGN_OR_RETURN(std::string text, base::read_file(default_path, kMaxTemplateBytes));
    templates[std::string(kDefaultName)] = {std::move(text), "chat_template.jinja"};
  }
  // A missing folder (or an unreadable one) just means no named template files; error codes keep it noexcept.
  std::error_code error;
  std::vector<std::filesystem::path> files;
  for (std::filesystem::directory_iterator it(model_dir + "/additional_chat_templates", error), end;
       !error && it != end; it.increment(error)) {
    std::error_code type_error;
    if (it->path().extension() == ".jinja" && it->is_regular_file(type_error)) files.push_back(it->path());
  }
  for (const std::filesystem::path& path : files) {
    FOVEA_ASSIGN_OR_RETURN(std::string text, base::read_file(path.string(), kMaxTemplateBytes));
    std::string file_name = path.filename().string();
    templates[path.stem().string()] = {std::move(text), "additional_chat_templates/" + file_name};
  }
  return templates;
}

base::Result<TemplateSet> read_legacy_processor_template(const std::string& model_dir) {
  TemplateSet templates;
  std::string path = model_dir + "/chat_template.json";
  if (!base::file_exists(path)) return templates;
  FOVEA_ASSIGN_OR_RETURN(json object, read_json_file(model_dir, "chat_template.json"));
  if (!object.is_object() || !object.contains("chat_template")) {
    return base::invalid_argument("{} must be an object with a \"chat_template\" key", path);
  }
  FOVEA_RETURN_IF_ERROR(add_template_value(object.at("chat_template"), "chat_template.json", path, templates));
  return templates;
}

// Picks `name` (or the default) from the first source that has templates, as transformers would.
base::Result<NamedTemplate> choose(const std::vector<const TemplateSet*>& sources, const std::string& name,
                                   const std::string& model_dir) {
  if (name.empty() || name == kDefaultName) {
    for (const TemplateSet* templates : sources) {
      if (templates->empty()) continue;
      auto it = templates->find(kDefaultName);
      if (it != templates->end()) return it->second;
      return base::invalid_argument("{} has several chat templates but none named \"default\"; choose one of: {}",
                                    model_dir, join_names(*templates));
    }
    return base::not_found(
        "{} has no chat template (no chat_template.jinja, chat_template.json, or chat_template in "
        "tokenizer_config.json); pass a template file with --chat-template",
        model_dir);
  }
  TemplateSet all_names;
  for (const TemplateSet* templates : sources) {
    auto it = templates->find(name);
    if (it != templates->end()) return it->second;
    all_names.insert(templates->begin(), templates->end());
  }
  return base::not_found("{} has no chat template named \"{}\"; it has: {}", model_dir, name,
                         all_names.empty() ? std::string("none") : join_names(all_names));
}

}  // namespace

base::Result<ChatTemplateSource> load_chat_template(const std::string& model_dir, const std::string& name) {
  ChatTemplateSource source;
  TemplateSet tokenizer_config_templates;
  std::string tokenizer_config_path = model_dir + "/tokenizer_config.json";
  if (base::file_exists(tokenizer_config_path)) {
    FOVEA_ASSIGN_OR_RETURN(json object, read_json_file(model_dir, "tokenizer_config.json"));
    if (!object.is_object()) {
      return base::invalid_argument("{} must be a JSON object but is {}", tokenizer_config_path,
                                    json_type_phrase(object));
    }
    source.bos_token = token_text(object, "bos_token");
    source.eos_token = token_text(object, "eos_token");
    if (object.contains("chat_template") && !object.at("chat_template").is_null()) {
      FOVEA_RETURN_IF_ERROR(add_template_value(object.at("chat_template"), "tokenizer_config.json",
                                               tokenizer_config_path, tokenizer_config_templates));
    }
  }
  FOVEA_ASSIGN_OR_RETURN(TemplateSet processor_templates, read_legacy_processor_template(model_dir));
  FOVEA_ASSIGN_OR_RETURN(TemplateSet file_templates, read_template_files(model_dir));
  // The tokenizer uses tokenizer_config.json's templates only when there are no template files at all.
  TemplateSet no_templates;
  const TemplateSet* tokenizer_templates = file_templates.empty() ? &tokenizer_config_templates : &no_templates;
  FOVEA_ASSIGN_OR_RETURN(NamedTemplate chosen,
                         choose({&processor_templates, &file_templates, tokenizer_templates}, name, model_dir));
  source.template_text = std::move(chosen.text);
  source.origin = std::move(chosen.origin);
  return source;
}

}  // namespace fovea::io
