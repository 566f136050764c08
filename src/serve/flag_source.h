// FlagSource: the flag values gathered from one source (the command line, or one --config file) before they are
// applied to ServeConfig, so that the command line can override the file. Also the handling shared by both
// sources of names fovea does not implement (vLLM-only flags, typos). Internal to serve.
// Must not contain token walking (serve_config_parser.cpp) or YAML reading (serve_config_yaml.cpp).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "serve/serve_config.h"
#include "serve/serve_flags.h"

namespace fovea::serve {

class FlagSource {
 public:
  // `display` below is how the user wrote the flag, used as the prefix of every message about it:
  // "--max-model-len" on the command line, "serve.yaml: max-model-len" in a file.
  void add_switch(const FlagSpec& spec, bool on, std::string display);
  void add_value(const FlagSpec& spec, std::string text, std::string display);
  // List flags: items accumulate within one source (--api-key a --api-key b gives both).
  void add_list_items(const FlagSpec& spec, const std::vector<std::string>& items, std::string display);
  // JSON flags: the whole value (text is parsed here; the legacy "image=3" form of --limit-mm-per-prompt gets a
  // message showing its JSON equivalent).
  base::Status add_json_text(const FlagSpec& spec, std::string_view text, std::string display);
  void add_json_value(const FlagSpec& spec, nlohmann::json value, std::string display);
  // vLLM's dotted form: --limit-mm-per-prompt.image 3. The value is JSON if it parses, else a human-readable
  // integer (128k), else a string.
  void add_dotted(const FlagSpec& spec, std::vector<std::string> keys, std::string_view value_text,
                  std::string display);
  void add_dotted_json(const FlagSpec& spec, std::vector<std::string> keys, nlohmann::json value, std::string display);

  // Runs each flag's setter in first-seen order; an error is prefixed with the flag's display name.
  base::Status apply(ServeConfig& config, std::vector<std::string>& notes) const;

 private:
  struct Entry {
    const FlagSpec* spec = nullptr;
    FlagValue value;
    bool has_whole_json = false;
    std::vector<std::pair<std::vector<std::string>, nlohmann::json>> dotted;
    std::string display;
  };
  Entry& entry_for(const FlagSpec& spec, std::string display);

  std::vector<Entry> entries_;
};

// How a flag name that is not fovea's is answered, for both sources. `value` is the flag's value when it has one
// ("on"/"off" for switches). An ignorable vLLM flag adds a note and returns ok; a refused one, or an unknown name
// (with the closest fovea flag as a suggestion), returns the one-line error. `prefix` is "--" on the command line,
// "-" for single-dash names, "" in files; `where` is "" or "serve.yaml: ".
base::Status handle_foreign_flag(std::string_view name, bool short_form, std::string_view prefix,
                                 std::string_view where, const std::optional<std::string>& value,
                                 std::vector<std::string>& notes);

// The arity a non-fovea name consumes on the command line (vLLM's, when known; kValue otherwise).
FlagArity foreign_flag_arity(std::string_view name, bool short_form);

// A value for a dotted key: JSON when it parses, a human-readable integer (128k), or the text as a string.
nlohmann::json dotted_value_from_text(std::string_view text);

}  // namespace fovea::serve
