// FlagSource bookkeeping (per-source values, dotted JSON keys) and the answers for flags fovea does not implement.
// Must not contain token walking or YAML reading.
#include "serve/flag_source.h"

#include <fmt/format.h>

#include <algorithm>

#include "serve/closest_match.h"
#include "serve/human_readable_int.h"
#include "serve/json_value.h"
#include "serve/vllm_flag_catalog.h"

namespace fovea::serve {
namespace {

// Sets value at keys inside `object` (creating objects along the way; a non-object in the way is replaced).
void set_nested(nlohmann::json& object, const std::vector<std::string>& keys, const nlohmann::json& value) {
  nlohmann::json* node = &object;
  for (size_t key_idx = 0; key_idx < keys.size(); ++key_idx) {
    if (!node->is_object()) *node = nlohmann::json::object();
    node = &(*node)[keys[key_idx]];
  }
  *node = value;
}

std::string suggestion_for(std::string_view name, std::string_view prefix) {
  std::vector<std::string_view> candidates;
  for (const FlagSpec& spec : serve_flag_specs()) candidates.push_back(spec.name);
  std::optional<std::string> near = closest_match(name, candidates);
  if (!near) {
    // A typo of a vLLM-only flag still deserves a pointer to the real name.
    near = closest_match(name, vllm_flag_names());
  }
  if (!near) return "; `fovea serve --help` lists the flags";
  // Suggestions are long names: a mistyped single-dash flag gets the double-dash form.
  return fmt::format("; did you mean {}{}?", prefix == "-" ? "--" : prefix, *near);
}

}  // namespace

FlagSource::Entry& FlagSource::entry_for(const FlagSpec& spec, std::string display) {
  for (Entry& entry : entries_) {
    if (entry.spec == &spec) {
      entry.display = std::move(display);
      return entry;
    }
  }
  Entry& entry = entries_.emplace_back();
  entry.spec = &spec;
  entry.display = std::move(display);
  return entry;
}

void FlagSource::add_switch(const FlagSpec& spec, bool on, std::string display) {
  entry_for(spec, std::move(display)).value.switch_on = on;
}

void FlagSource::add_value(const FlagSpec& spec, std::string text, std::string display) {
  entry_for(spec, std::move(display)).value.text = std::move(text);
}

void FlagSource::add_list_items(const FlagSpec& spec, const std::vector<std::string>& items, std::string display) {
  std::vector<std::string>& target = entry_for(spec, std::move(display)).value.items;
  target.insert(target.end(), items.begin(), items.end());
}

base::Status FlagSource::add_json_text(const FlagSpec& spec, std::string_view text, std::string display) {
  JsonParseOutcome parsed = parse_untrusted_json(text);
  if (!parsed.value) {
    if (spec.name == "limit-mm-per-prompt" && text.find('=') != std::string_view::npos) {
      // The replacement in the form of the source: a flag on the command line, a YAML value in a file.
      const bool on_command_line = display.rfind("--", 0) == 0;
      return base::invalid_argument(
          "{}: the key=value form {} is no longer accepted (vLLM moved to JSON); write {}{}{}{}", display,
          quoted_excerpt(text), on_command_line ? display : std::string(spec.name), on_command_line ? " '" : ": ",
          legacy_mm_limit_as_json(text), on_command_line ? "'" : "");
    }
    return base::invalid_argument("{}: expected JSON such as '{}' ({})", display,
                                  spec.name == "limit-mm-per-prompt" ? "{\"image\": 3, \"video\": 0}" : "{\"key\": 1}",
                                  parsed.error);
  }
  add_json_value(spec, std::move(*parsed.value), std::move(display));
  return base::Status::ok_status();
}

void FlagSource::add_json_value(const FlagSpec& spec, nlohmann::json value, std::string display) {
  Entry& entry = entry_for(spec, std::move(display));
  entry.value.json = std::move(value);
  entry.has_whole_json = true;
  // A whole value replaces dotted keys given before it, as a later flag overrides an earlier one.
  entry.dotted.clear();
}

void FlagSource::add_dotted(const FlagSpec& spec, std::vector<std::string> keys, std::string_view value_text,
                            std::string display) {
  add_dotted_json(spec, std::move(keys), dotted_value_from_text(value_text), std::move(display));
}

void FlagSource::add_dotted_json(const FlagSpec& spec, std::vector<std::string> keys, nlohmann::json value,
                                 std::string display) {
  entry_for(spec, std::move(display)).dotted.emplace_back(std::move(keys), std::move(value));
}

base::Status FlagSource::apply(ServeConfig& config, std::vector<std::string>& notes) const {
  for (const Entry& entry : entries_) {
    FlagValue value = entry.value;
    if (entry.spec->arity == FlagArity::kJson) {
      if (!entry.has_whole_json) value.json = nlohmann::json::object();
      for (const auto& [keys, dotted_value] : entry.dotted) set_nested(value.json, keys, dotted_value);
    }
    const base::Status status = entry.spec->set(config, value, notes);
    if (!status.ok()) return base::Status(status.code(), fmt::format("{}: {}", entry.display, status.message()));
  }
  return base::Status::ok_status();
}

base::Status handle_foreign_flag(std::string_view name, bool short_form, std::string_view prefix,
                                 std::string_view where, const std::optional<std::string>& value,
                                 std::vector<std::string>& notes) {
  const std::optional<ForeignFlag> foreign = find_vllm_flag(name, short_form);
  if (!foreign) {
    const char* what = prefix.empty() ? "key" : "flag";
    return base::invalid_argument("{}unknown {} {}{}{}", where, what, prefix, name, suggestion_for(name, prefix));
  }
  // A switch turned off is shown as the user wrote it: --no-enable-lora, or "enable-lora: false" in a file.
  const bool is_switch = foreign->arity == FlagArity::kSwitch;
  const bool switched_off = is_switch && value == "off";
  const std::string shown = fmt::format("{}{}{}{}{}", where, prefix, switched_off && !prefix.empty() ? "no-" : "", name,
                                        switched_off && prefix.empty() ? ": false" : "");
  if (foreign->handling == ForeignFlagHandling::kIgnored) {
    const bool value_ok = foreign->ignorable_values.empty() ||
                          (value && std::find(foreign->ignorable_values.begin(), foreign->ignorable_values.end(),
                                              *value) != foreign->ignorable_values.end());
    if (value_ok) {
      notes.push_back(fmt::format("{} has no effect in fovea: {}", shown, foreign->reason));
      return base::Status::ok_status();
    }
    return base::unsupported("{}{} is not supported by fovea: {}", shown,
                             !is_switch && value ? fmt::format(" {}", quoted_excerpt(*value)) : std::string(),
                             foreign->reason);
  }
  return base::unsupported("{} is a vLLM flag that fovea does not support: {}", shown, foreign->reason);
}

FlagArity foreign_flag_arity(std::string_view name, bool short_form) {
  const std::optional<ForeignFlag> foreign = find_vllm_flag(name, short_form);
  return foreign ? foreign->arity : FlagArity::kValue;
}

nlohmann::json dotted_value_from_text(std::string_view text) {
  JsonParseOutcome parsed = parse_untrusted_json(text);
  if (parsed.value) return std::move(*parsed.value);
  base::Result<int64_t> number = parse_human_readable_int(text);
  if (number.ok()) return *number;
  return std::string(text);
}

}  // namespace fovea::serve
