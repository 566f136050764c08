// vLLM-compatible parsing of "128k"-style integers, with overflow checks.
// Must not contain flag handling.
#include "serve/human_readable_int.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <string>

#include "serve/json_value.h"

namespace fovea::serve {
namespace {

constexpr const char* kExpectedForms =
    "expected an integer such as 131072, or a suffixed form such as 128k (=128000) or 128K (=131072)";

bool all_digits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (std::isdigit(static_cast<unsigned char>(c)) == 0) return false;
  }
  return true;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) text.remove_suffix(1);
  return text;
}

base::Result<int64_t> parse_plain(std::string_view text) {
  std::string_view digits = text;
  if (!digits.empty() && (digits.front() == '-' || digits.front() == '+')) digits.remove_prefix(1);
  if (!all_digits(digits))
    return base::invalid_argument("{} is not a number; {}", quoted_excerpt(text), kExpectedForms);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    return base::invalid_argument("{} is too large", quoted_excerpt(text));
  }
  return value;
}

}  // namespace

base::Result<int64_t> parse_human_readable_int(std::string_view text) {
  text = trim(text);
  if (text.empty()) return base::invalid_argument("an empty value is not a number; {}", kExpectedForms);
  const char suffix = text.back();
  int exponent = 0;
  bool binary = false;
  switch (suffix) {
    case 'k':
      exponent = 1;
      break;
    case 'm':
      exponent = 2;
      break;
    case 'g':
      exponent = 3;
      break;
    case 't':
      exponent = 4;
      break;
    case 'K':
      exponent = 1;
      binary = true;
      break;
    case 'M':
      exponent = 2;
      binary = true;
      break;
    case 'G':
      exponent = 3;
      binary = true;
      break;
    case 'T':
      exponent = 4;
      binary = true;
      break;
    default:
      return parse_plain(text);
  }
  const std::string_view number = text.substr(0, text.size() - 1);
  const size_t dot = number.find('.');
  const std::string_view whole = number.substr(0, dot);
  const std::string_view fraction = dot == std::string_view::npos ? std::string_view() : number.substr(dot + 1);
  if (!all_digits(whole) || (dot != std::string_view::npos && !all_digits(fraction))) {
    return base::invalid_argument("{} is not a number; {}", quoted_excerpt(text), kExpectedForms);
  }
  if (binary && dot != std::string_view::npos) {
    return base::invalid_argument("decimals are not allowed with binary suffixes such as {}; did you mean {}{}?",
                                  suffix, number, static_cast<char>(std::tolower(static_cast<unsigned char>(suffix))));
  }
  const double multiplier = binary ? std::ldexp(1.0, 10 * exponent) : std::pow(1000.0, exponent);
  double mantissa = 0.0;
  if (std::from_chars(number.data(), number.data() + number.size(), mantissa).ec != std::errc()) {
    return base::invalid_argument("{} is too large", quoted_excerpt(text));
  }
  const double value = mantissa * multiplier;
  if (!(value < 9.2e18)) return base::invalid_argument("{} is too large", quoted_excerpt(text));
  if (binary) {
    // Exact integer arithmetic for binary suffixes (the double above only guards the range).
    int64_t whole_value = 0;
    std::from_chars(whole.data(), whole.data() + whole.size(), whole_value);
    return whole_value << (10 * exponent);
  }
  // vLLM truncates like int(float(number) * multiplier); round first to undo binary-fraction noise (25.6k).
  return static_cast<int64_t>(std::floor(value + 1e-6));
}

}  // namespace fovea::serve
