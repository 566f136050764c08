// YAML --config files: the only place that touches yaml-cpp (and catches its exceptions).
// Must not contain the flags' own checks.
#include "serve/serve_config_yaml.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "serve/json_value.h"
#include "serve/vllm_flag_catalog.h"

namespace fovea::serve {
namespace {

constexpr int kMaxYamlDepth = 32;
constexpr int64_t kMaxYamlNodes = 100000;  // aliases can multiply nodes; a config needs a few hundred

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

// Scalars keep their text; quoted ones (tag "!") are never typed.
bool is_quoted(const YAML::Node& node) { return node.Tag() == "!"; }

bool is_null_scalar(const YAML::Node& node) {
  if (node.IsNull()) return true;
  if (!node.IsScalar() || is_quoted(node)) return false;
  const std::string& text = node.Scalar();
  return text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL";
}

nlohmann::json plain_scalar_to_json(const std::string& text) {
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  int64_t integer = 0;
  const char* begin = text.data() + (!text.empty() && text[0] == '+' ? 1 : 0);
  const char* end = text.data() + text.size();
  if (auto [ptr, error] = std::from_chars(begin, end, integer); error == std::errc() && ptr == end && begin != end) {
    return integer;
  }
  double number = 0.0;
  if (auto [ptr, error] = std::from_chars(begin, end, number); error == std::errc() && ptr == end && begin != end) {
    return number;
  }
  return text;
}

class YamlReader {
 public:
  YamlReader(std::string_view file_label, const EnvLookup& env, FlagSource& source, std::vector<std::string>& notes)
      : where_(fmt::format("{}: ", file_label)), env_(env), source_(source), notes_(notes) {}

  base::Status read(std::string_view yaml_text) {
    try {
      return read_document(YAML::Load(std::string(yaml_text)));
    } catch (const YAML::Exception& error) {
      return base::invalid_argument("{}line {}, column {}: {}", where_, error.mark.line + 1, error.mark.column + 1,
                                    error.msg);
    }
  }

 private:
  base::Status read_document(const YAML::Node& root) {
    if (!root || root.IsNull()) return base::Status::ok_status();
    if (!root.IsMap()) {
      return base::invalid_argument("{}expected a mapping of flag names to values, such as 'max-model-len: 131072'",
                                    where_);
    }
    for (const auto& pair : root) {
      if (!pair.first.IsScalar()) return base::invalid_argument("{}keys must be flag names", where_);
      FOVEA_RETURN_IF_ERROR(read_key(pair.first.Scalar(), pair.second));
    }
    return base::Status::ok_status();
  }

  // A scalar's text with ${VAR} expanded.
  base::Result<ExpandedText> scalar_text(const YAML::Node& node, const std::string& key) {
    base::Result<ExpandedText> expanded = expand_env_vars(node.Scalar(), env_);
    if (!expanded.ok()) return base::invalid_argument("{}{}: {}", where_, key, expanded.status().message());
    return expanded;
  }

  base::Result<nlohmann::json> to_json(const YAML::Node& node, const std::string& key, int depth) {
    if (depth > kMaxYamlDepth) return base::invalid_argument("{}{}: nested too deeply", where_, key);
    if (++num_nodes_ > kMaxYamlNodes) return base::invalid_argument("{}{}: too many values", where_, key);
    if (node.IsMap()) {
      nlohmann::json object = nlohmann::json::object();
      for (const auto& pair : node) {
        if (!pair.first.IsScalar()) return base::invalid_argument("{}{}: mapping keys must be strings", where_, key);
        FOVEA_ASSIGN_OR_RETURN(object[pair.first.Scalar()], to_json(pair.second, key, depth + 1));
      }
      return object;
    }
    if (node.IsSequence()) {
      nlohmann::json array = nlohmann::json::array();
      for (const auto& item : node) {
        FOVEA_ASSIGN_OR_RETURN(nlohmann::json value, to_json(item, key, depth + 1));
        array.push_back(std::move(value));
      }
      return array;
    }
    if (is_null_scalar(node)) return nlohmann::json(nullptr);
    FOVEA_ASSIGN_OR_RETURN(ExpandedText text, scalar_text(node, key));
    if (is_quoted(node)) return nlohmann::json(std::move(text.text));
    return plain_scalar_to_json(text.text);
  }

  base::Result<bool> switch_value(const YAML::Node& node, const std::string& key) {
    if (node.IsScalar()) {
      FOVEA_ASSIGN_OR_RETURN(ExpandedText text, scalar_text(node, key));
      const std::string value = lower(text.text);
      if (value == "true" || value == "yes" || value == "on") return true;
      if (value == "false" || value == "no" || value == "off") return false;
    }
    return base::invalid_argument("{}{}: expected true or false", where_, key);
  }

  base::Status read_key(const std::string& raw_key, const YAML::Node& value) {
    std::string key = raw_key.rfind("--", 0) == 0 ? raw_key.substr(2) : raw_key;
    for (char& c : key) {
      if (c == '.') break;
      if (c == '_') c = '-';
    }
    if (key == "config") return base::invalid_argument("{}config: a config file cannot name another one", where_);
    if (is_null_scalar(value)) return base::Status::ok_status();  // `key:` or `key: null` keeps the default
    const size_t dot = key.find('.');
    const std::string base_name = key.substr(0, dot);
    const FlagSpec* spec = find_serve_flag(base_name);
    const std::string display = where_ + base_name;
    if (spec == nullptr) return read_foreign(base_name, value);
    if (dot != std::string::npos) {
      if (spec->arity != FlagArity::kJson) {
        return base::invalid_argument("{}: takes no .key parts (only JSON flags do)", display);
      }
      std::vector<std::string> keys;
      size_t start = dot + 1;
      while (true) {
        const size_t next = key.find('.', start);
        keys.push_back(key.substr(start, next == std::string::npos ? std::string::npos : next - start));
        if (next == std::string::npos) break;
        start = next + 1;
      }
      FOVEA_ASSIGN_OR_RETURN(nlohmann::json json_value, to_json(value, key, 0));
      source_.add_dotted_json(*spec, std::move(keys), std::move(json_value), display);
      return base::Status::ok_status();
    }
    switch (spec->arity) {
      case FlagArity::kSwitch: {
        FOVEA_ASSIGN_OR_RETURN(const bool on, switch_value(value, base_name));
        source_.add_switch(*spec, on, display);
        return base::Status::ok_status();
      }
      case FlagArity::kValue: {
        if (!value.IsScalar())
          return base::invalid_argument("{}: expects a single value, not a list or mapping", display);
        FOVEA_ASSIGN_OR_RETURN(ExpandedText text, scalar_text(value, base_name));
        source_.add_value(*spec, std::move(text.text), display);
        return base::Status::ok_status();
      }
      case FlagArity::kList:
        return read_list(*spec, value, display);
      case FlagArity::kJson: {
        if (value.IsScalar()) {
          FOVEA_ASSIGN_OR_RETURN(ExpandedText text, scalar_text(value, base_name));
          return source_.add_json_text(*spec, text.text, display);
        }
        FOVEA_ASSIGN_OR_RETURN(nlohmann::json json_value, to_json(value, base_name, 0));
        source_.add_json_value(*spec, std::move(json_value), display);
        return base::Status::ok_status();
      }
    }
    return base::Status::ok_status();
  }

  base::Status read_list(const FlagSpec& spec, const YAML::Node& value, const std::string& display) {
    std::vector<YAML::Node> nodes;
    if (value.IsScalar()) {
      nodes.push_back(value);
    } else if (value.IsSequence()) {
      for (const auto& item : value) nodes.push_back(item);
    } else {
      return base::invalid_argument("{}: expects a value or a list of values", display);
    }
    std::vector<std::string> items;
    bool literal_secret = false;
    for (const YAML::Node& node : nodes) {
      if (!node.IsScalar()) return base::invalid_argument("{}: list items must be plain values", display);
      FOVEA_ASSIGN_OR_RETURN(ExpandedText text, scalar_text(node, std::string(spec.name)));
      literal_secret = literal_secret || !text.used_variables;
      items.push_back(std::move(text.text));
    }
    if (spec.name == "api-key" && literal_secret) {
      notes_.push_back(
          fmt::format("{}api-key holds a literal key; keep secrets out of config files: write "
                      "api-key: ${{FOVEA_API_KEY}} and set the variable",
                      where_));
    }
    if (!items.empty()) source_.add_list_items(spec, items, display);
    return base::Status::ok_status();
  }

  base::Status read_foreign(const std::string& name, const YAML::Node& value) {
    std::optional<std::string> text;
    if (foreign_flag_arity(name, false) == FlagArity::kSwitch && value.IsScalar()) {
      base::Result<bool> on = switch_value(value, name);
      if (on.ok()) text = *on ? "on" : "off";
    } else if (value.IsScalar()) {
      FOVEA_ASSIGN_OR_RETURN(ExpandedText expanded, scalar_text(value, name));
      text = std::move(expanded.text);
    } else if (value.IsSequence() && value.size() > 0 && value[0].IsScalar()) {
      text = value[0].Scalar();
    }
    return handle_foreign_flag(name, false, "", where_, text, notes_);
  }

  std::string where_;
  const EnvLookup& env_;
  FlagSource& source_;
  std::vector<std::string>& notes_;
  int64_t num_nodes_ = 0;
};

}  // namespace

base::Status collect_yaml_flags(std::string_view yaml_text, std::string_view file_label, const EnvLookup& env,
                                FlagSource& source, std::vector<std::string>& notes) {
  YamlReader reader(file_label, env, source, notes);
  return reader.read(yaml_text);
}

}  // namespace fovea::serve
