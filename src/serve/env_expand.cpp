// ${NAME} expansion for config-file values.
// Must not contain config-key knowledge.
#include "serve/env_expand.h"

#include <cctype>
#include <cstdlib>

#include "serve/json_value.h"

namespace fovea::serve {
namespace {

bool is_name_char(char c, bool first) {
  const auto uc = static_cast<unsigned char>(c);
  return std::isalpha(uc) != 0 || c == '_' || (!first && std::isdigit(uc) != 0);
}

}  // namespace

EnvLookup process_env_lookup() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

base::Result<ExpandedText> expand_env_vars(std::string_view text, const EnvLookup& env) {
  ExpandedText out;
  size_t pos = 0;
  while (pos < text.size()) {
    const char c = text[pos];
    if (c != '$' || pos + 1 >= text.size() || (text[pos + 1] != '{' && text[pos + 1] != '$')) {
      out.text += c;
      ++pos;
      continue;
    }
    if (text[pos + 1] == '$') {
      out.text += '$';
      pos += 2;
      continue;
    }
    const size_t close = text.find('}', pos + 2);
    if (close == std::string_view::npos) {
      return base::invalid_argument("unterminated ${{ in {}; write ${{NAME}} or $$ for a literal $",
                                    quoted_excerpt(text));
    }
    const std::string_view inside = text.substr(pos + 2, close - pos - 2);
    const size_t default_pos = inside.find(":-");
    const std::string_view name = inside.substr(0, default_pos);
    bool valid_name = !name.empty();
    for (size_t idx = 0; idx < name.size() && valid_name; ++idx) valid_name = is_name_char(name[idx], idx == 0);
    if (!valid_name) {
      return base::invalid_argument(
          "${{{}}} is not a valid environment variable reference; use ${{NAME}} or "
          "${{NAME:-default}}",
          inside.substr(0, 40));
    }
    std::optional<std::string> value = env ? env(name) : std::nullopt;
    if (default_pos != std::string_view::npos && (!value || value->empty())) {
      value = std::string(inside.substr(default_pos + 2));
    }
    if (!value) {
      return base::invalid_argument("environment variable {} is not set (referenced as ${{{}}})", name, name);
    }
    out.text += *value;
    out.used_variables = true;
    pos = close + 1;
  }
  return out;
}

}  // namespace fovea::serve
