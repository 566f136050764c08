// Command-line walking for `fovea serve` (vLLM's forms), the --config merge order (file, then command line) and
// the API-key environment fallback. Must not contain the flags' own checks.
#include "serve/serve_config_parser.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <filesystem>

#include "base/file_util.h"
#include "serve/flag_source.h"
#include "serve/json_value.h"
#include "serve/serve_config_yaml.h"
#include "serve/serve_flags.h"
#include "serve/vllm_flag_catalog.h"

namespace fovea::serve {
namespace {

constexpr uint64_t kMaxConfigFileBytes = 1 << 20;

// `fovea serve` with no model folder serves the demo model when run from the repository root (`make serve`).
constexpr const char* kDemoModelDir = "models/fovea-demo-vl";

// "-1", "-0.5", "-1e3": values, not flags.
bool is_negative_number(std::string_view token) {
  if (token.size() < 2 || token[0] != '-') return false;
  double value = 0.0;
  const auto [end, error] = std::from_chars(token.data(), token.data() + token.size(), value);
  return error == std::errc() && end == token.data() + token.size();
}

bool looks_like_flag(std::string_view token) {
  return token.size() > 1 && token[0] == '-' && !is_negative_number(token);
}

// vLLM accepts underscores for dashes in names, up to the first '.' (keys after it are JSON keys).
std::string normalize_name(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    if (c == '.') break;
    if (c == '_') c = '-';
  }
  return out;
}

std::vector<std::string> split_dotted(std::string_view text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t dot = text.find('.', start);
    parts.emplace_back(text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts;
}

class CommandLineWalker {
 public:
  CommandLineWalker(const std::vector<std::string>& tokens, FlagSource& source, std::vector<std::string>& notes)
      : tokens_(tokens), source_(source), notes_(notes) {}

  base::Status walk() {
    while (idx_ < tokens_.size()) {
      const std::string& token = tokens_[idx_++];
      if (token == "--") {
        only_positionals_ = true;
        continue;
      }
      if (!only_positionals_ && (token == "--help" || token == "-h" || token.rfind("--help=", 0) == 0)) {
        help_requested_ = true;
        continue;
      }
      if (!only_positionals_ && looks_like_flag(token)) {
        const bool short_form = token.rfind("--", 0) != 0;
        FOVEA_RETURN_IF_ERROR(handle_flag(std::string_view(token).substr(short_form ? 1 : 2), short_form));
        continue;
      }
      FOVEA_RETURN_IF_ERROR(handle_positional(token));
    }
    return base::Status::ok_status();
  }

  bool help_requested() const { return help_requested_; }
  const std::string& config_path() const { return config_path_; }

 private:
  base::Status handle_positional(const std::string& token) {
    if (!model_seen_) {
      model_seen_ = true;
      source_.add_value(*find_serve_flag("model"), token, "model");
      return base::Status::ok_status();
    }
    std::string hint;
    if (token == "true" || token == "false") {
      hint = fmt::format("; switches take no value: write --{0} or --no-{0}",
                         last_switch_.empty() ? std::string("FLAG") : last_switch_);
    }
    return base::invalid_argument("unexpected argument {} (the model folder was already given){}",
                                  quoted_excerpt(token), hint);
  }

  // The value after a flag: inline (--flag=VALUE) or the next token, which must not look like a flag.
  base::Result<std::string> take_value(std::string_view display, const std::optional<std::string>& inline_value,
                                       std::string_view metavar) {
    if (inline_value) return *inline_value;
    if (idx_ >= tokens_.size() || looks_like_flag(tokens_[idx_])) {
      return base::invalid_argument("{} needs a value ({})", display, metavar.empty() ? "VALUE" : metavar);
    }
    return tokens_[idx_++];
  }

  std::vector<std::string> take_list(const std::optional<std::string>& inline_value) {
    if (inline_value) return {*inline_value};
    std::vector<std::string> items;
    while (idx_ < tokens_.size() && !looks_like_flag(tokens_[idx_])) items.push_back(tokens_[idx_++]);
    return items;
  }

  base::Status handle_flag(std::string_view body, bool short_form) {
    std::optional<std::string> inline_value;
    std::string_view raw_name = body;
    if (const size_t equals = body.find('='); equals != std::string_view::npos) {
      raw_name = body.substr(0, equals);
      inline_value = std::string(body.substr(equals + 1));
    }
    // -O3 / -Odecode: vLLM's optimization level glued to the flag.
    if (short_form && raw_name.size() > 1 && raw_name[0] == 'O' && !find_serve_short_flag(raw_name)) {
      inline_value = std::string(raw_name.substr(1));
      raw_name = "O";
    }
    const std::string name = normalize_name(raw_name);
    const std::string dash = short_form ? "-" : "--";
    if (!short_form && name == "config") {
      FOVEA_ASSIGN_OR_RETURN(std::string path, take_value("--config", inline_value, "FILE.yaml"));
      if (!config_path_.empty()) return base::invalid_argument("--config is given twice; pass one config file");
      config_path_ = std::move(path);
      return base::Status::ok_status();
    }
    const size_t dot = name.find('.');
    const std::string base_name = name.substr(0, dot);
    const FlagSpec* spec = short_form ? find_serve_short_flag(base_name) : find_serve_flag(base_name);
    const std::string display = dash + base_name;
    if (spec != nullptr && dot != std::string::npos) {
      if (spec->arity != FlagArity::kJson) {
        return base::invalid_argument("{} takes no .key parts (only JSON flags such as --limit-mm-per-prompt do)",
                                      display);
      }
      FOVEA_ASSIGN_OR_RETURN(std::string value, take_value(dash + name, inline_value, "VALUE"));
      source_.add_dotted(*spec, split_dotted(std::string_view(name).substr(dot + 1)), value, display);
      return base::Status::ok_status();
    }
    if (spec != nullptr) return handle_fovea_flag(*spec, display, inline_value);
    if (!short_form && base_name.rfind("no-", 0) == 0) {
      const FlagSpec* positive = find_serve_flag(base_name.substr(3));
      if (positive != nullptr && positive->arity == FlagArity::kSwitch) {
        if (inline_value) return base::invalid_argument("{} takes no value", display);
        last_switch_ = positive->name;
        source_.add_switch(*positive, false, display);
        return base::Status::ok_status();
      }
    }
    return handle_foreign(base_name, short_form, dash, inline_value);
  }

  base::Status handle_fovea_flag(const FlagSpec& spec, const std::string& display,
                                 const std::optional<std::string>& inline_value) {
    switch (spec.arity) {
      case FlagArity::kSwitch:
        if (inline_value) {
          return base::invalid_argument("{} takes no value; write --{} or --no-{}", display, spec.name, spec.name);
        }
        last_switch_ = spec.name;
        source_.add_switch(spec, true, display);
        return base::Status::ok_status();
      case FlagArity::kValue: {
        FOVEA_ASSIGN_OR_RETURN(std::string value, take_value(display, inline_value, spec.metavar));
        if (spec.name == "model" && model_seen_) {
          return base::invalid_argument("the model folder is given twice (positionally and as --model); keep one");
        }
        if (spec.name == "model") model_seen_ = true;
        source_.add_value(spec, std::move(value), display);
        return base::Status::ok_status();
      }
      case FlagArity::kList: {
        std::vector<std::string> items = take_list(inline_value);
        if (items.empty()) return base::invalid_argument("{} needs at least one value ({})", display, spec.metavar);
        source_.add_list_items(spec, items, display);
        return base::Status::ok_status();
      }
      case FlagArity::kJson: {
        FOVEA_ASSIGN_OR_RETURN(std::string value, take_value(display, inline_value, spec.metavar));
        return source_.add_json_text(spec, value, display);
      }
    }
    return base::Status::ok_status();
  }

  // A name fovea does not implement: consume its value(s) the way vLLM would, then answer per the catalog.
  base::Status handle_foreign(const std::string& base_name, bool short_form, const std::string& dash,
                              const std::optional<std::string>& inline_value) {
    std::string lookup_name = base_name;
    std::optional<std::string> value;
    bool negated = false;
    if (!short_form && base_name.rfind("no-", 0) == 0 && find_vllm_flag(base_name.substr(3), false) &&
        foreign_flag_arity(base_name.substr(3), false) == FlagArity::kSwitch) {
      lookup_name = base_name.substr(3);
      negated = true;
    }
    if (!find_vllm_flag(lookup_name, short_form)) {
      return handle_foreign_flag(base_name, short_form, dash, "", std::nullopt, notes_);
    }
    switch (foreign_flag_arity(lookup_name, short_form)) {
      case FlagArity::kSwitch:
        value = negated ? "off" : "on";
        break;
      case FlagArity::kValue:
      case FlagArity::kJson:
        if (inline_value) {
          value = inline_value;
        } else if (idx_ < tokens_.size() && !looks_like_flag(tokens_[idx_])) {
          value = tokens_[idx_++];
        }
        break;
      case FlagArity::kList: {
        std::vector<std::string> items = take_list(inline_value);
        if (!items.empty()) value = items.front();
        break;
      }
    }
    return handle_foreign_flag(lookup_name, short_form, dash, "", value, notes_);
  }

  const std::vector<std::string>& tokens_;
  FlagSource& source_;
  std::vector<std::string>& notes_;
  size_t idx_ = 0;
  bool only_positionals_ = false;
  bool help_requested_ = false;
  bool model_seen_ = false;
  std::string last_switch_;
  std::string config_path_;
};

// FOVEA_API_KEY (or vLLM's VLLM_API_KEY) when no source gave --api-key; several keys are comma-separated.
void apply_env_api_keys(ServeConfig& config, const EnvLookup& env, std::vector<std::string>& notes) {
  if (!config.api_keys.empty()) return;
  for (const char* variable : {"FOVEA_API_KEY", "VLLM_API_KEY"}) {
    const std::optional<std::string> value = env(variable);
    if (!value || value->empty()) continue;
    size_t start = 0;
    while (start <= value->size()) {
      size_t comma = value->find(',', start);
      if (comma == std::string::npos) comma = value->size();
      if (comma > start) config.api_keys.push_back(value->substr(start, comma - start));
      start = comma + 1;
    }
    notes.push_back(fmt::format("API key(s) taken from the environment variable {}", variable));
    return;
  }
}

// vLLM's VLLM_IMAGE_FETCH_TIMEOUT (seconds), or fovea's FOVEA_IMAGE_FETCH_TIMEOUT before it, when no source gave
// --media-fetch-timeout.
base::Status apply_env_media_fetch_timeout(ServeConfig& config, const EnvLookup& env, std::vector<std::string>& notes) {
  if (config.media_fetch_timeout_s) return base::Status::ok_status();
  for (const char* variable : {"FOVEA_IMAGE_FETCH_TIMEOUT", "VLLM_IMAGE_FETCH_TIMEOUT"}) {
    const std::optional<std::string> value = env(variable);
    if (!value || value->empty()) continue;
    const FlagSpec* spec = find_serve_flag("media-fetch-timeout");
    FlagValue flag_value;
    flag_value.text = *value;
    const base::Status status = spec->set(config, flag_value, notes);
    if (!status.ok()) return base::invalid_argument("environment variable {}: {}", variable, status.message());
    notes.push_back(fmt::format("media fetch timeout {} s taken from the environment variable {}",
                                *config.media_fetch_timeout_s, variable));
    return base::Status::ok_status();
  }
  return base::Status::ok_status();
}

// Errors are printed as one line ("fovea: error: ..."): a line break typed into a flag name or value must not
// split it.
base::Status one_line(const base::Status& status) {
  std::string message;
  for (char c : status.message()) {
    if (c == '\n') {
      message += "\\n";
    } else if (c == '\r') {
      message += "\\r";
    } else {
      message += c;
    }
  }
  return base::Status(status.code(), std::move(message));
}

EnvLookup env_or_process(const ServeParseContext& context) { return context.env ? context.env : process_env_lookup(); }

base::Result<ParsedServeArgs> parse_serve_args_impl(const std::vector<std::string>& tokens,
                                                    const ServeParseContext& context) {
  ParsedServeArgs parsed;
  FlagSource command_line;
  CommandLineWalker walker(tokens, command_line, parsed.notes);
  FOVEA_RETURN_IF_ERROR(walker.walk());
  if (walker.help_requested()) {
    parsed.help_requested = true;
    return parsed;
  }
  const EnvLookup env = env_or_process(context);
  if (!walker.config_path().empty()) {
    const std::string& path = walker.config_path();
    if (!path.ends_with(".yaml") && !path.ends_with(".yml")) {
      return base::invalid_argument("--config {} must be a .yaml or .yml file, as in vLLM", path);
    }
    base::Result<std::string> text =
        context.read_file ? context.read_file(path) : base::read_file(path, kMaxConfigFileBytes);
    if (!text.ok()) return text.status().with_context(fmt::format("--config {}", path));
    FlagSource file;
    FOVEA_RETURN_IF_ERROR(collect_yaml_flags(*text, path, env, file, parsed.notes));
    FOVEA_RETURN_IF_ERROR(file.apply(parsed.config, parsed.notes));
    parsed.config.config_file = path;
  }
  FOVEA_RETURN_IF_ERROR(command_line.apply(parsed.config, parsed.notes));
  apply_env_api_keys(parsed.config, env, parsed.notes);
  FOVEA_RETURN_IF_ERROR(apply_env_media_fetch_timeout(parsed.config, env, parsed.notes));
  std::error_code error;
  if (parsed.config.model.empty() && std::filesystem::is_directory(kDemoModelDir, error)) {
    parsed.config.model = kDemoModelDir;
    parsed.notes.push_back(fmt::format("no model folder given: serving the demo model {} (see its README.md)",
                                       kDemoModelDir));
  }
  FOVEA_RETURN_IF_ERROR(validate_serve_config(parsed.config));
  return parsed;
}

base::Result<ParsedServeArgs> parse_serve_config_yaml_impl(std::string_view yaml_text, std::string_view file_label,
                                                           const ServeParseContext& context) {
  ParsedServeArgs parsed;
  const EnvLookup env = env_or_process(context);
  FlagSource file;
  FOVEA_RETURN_IF_ERROR(collect_yaml_flags(yaml_text, file_label, env, file, parsed.notes));
  FOVEA_RETURN_IF_ERROR(file.apply(parsed.config, parsed.notes));
  parsed.config.config_file = std::string(file_label);
  apply_env_api_keys(parsed.config, env, parsed.notes);
  FOVEA_RETURN_IF_ERROR(apply_env_media_fetch_timeout(parsed.config, env, parsed.notes));
  FOVEA_RETURN_IF_ERROR(validate_serve_config(parsed.config));
  return parsed;
}

}  // namespace

base::Result<ParsedServeArgs> parse_serve_args(const std::vector<std::string>& tokens,
                                               const ServeParseContext& context) {
  base::Result<ParsedServeArgs> parsed = parse_serve_args_impl(tokens, context);
  if (!parsed.ok()) return one_line(parsed.status());
  return parsed;
}

base::Result<ParsedServeArgs> parse_serve_config_yaml(std::string_view yaml_text, std::string_view file_label,
                                                      const ServeParseContext& context) {
  base::Result<ParsedServeArgs> parsed = parse_serve_config_yaml_impl(yaml_text, file_label, context);
  if (!parsed.ok()) return one_line(parsed.status());
  return parsed;
}

}  // namespace fovea::serve
