// UTF-8 decoding and Python-compatible Unicode predicates and case mappings (ICU for the tables).
#include "text/template/unicode_text.h"

#include <unicode/uchar.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#include <algorithm>

namespace fovea::text::jinja {
namespace {

constexpr char32_t kReplacement = 0xFFFD;
constexpr char32_t kCapitalSigma = 0x03A3;

// Full (multi-character) case mapping of one code point through ICU's root locale.
enum class CaseKind { kUpper, kLower, kTitle };

std::string map_one(char32_t c, CaseKind kind) {
  UChar src[2];
  int32_t src_len = 0;
  U16_APPEND_UNSAFE(src, src_len, c);
  UChar dest[16];
  UErrorCode err = U_ZERO_ERROR;
  int32_t len = 0;
  switch (kind) {
    case CaseKind::kUpper:
      len = u_strToUpper(dest, 16, src, src_len, "", &err);
      break;
    case CaseKind::kLower:
      len = u_strToLower(dest, 16, src, src_len, "", &err);
      break;
    case CaseKind::kTitle:
      len = u_strToTitle(dest, 16, src, src_len, nullptr, "", &err);
      break;
  }
  std::string out;
  if (U_FAILURE(err) || len > 16) {
    append_utf8(out, c);
    return out;
  }
  for (int32_t i = 0; i < len;) {
    UChar32 cp = 0;
    U16_NEXT_UNSAFE(dest, i, cp);
    append_utf8(out, static_cast<char32_t>(cp));
  }
  return out;
}

bool is_cased(char32_t c) { return u_hasBinaryProperty(static_cast<UChar32>(c), UCHAR_CASED); }
bool is_case_ignorable(char32_t c) { return u_hasBinaryProperty(static_cast<UChar32>(c), UCHAR_CASE_IGNORABLE); }

// Python's Final_Sigma rule: a capital sigma lowercases to final sigma when a cased letter precedes it and none
// follows it (case-ignorable characters skipped on both sides).
bool is_final_sigma(const std::u32string& text, size_t idx) {
  size_t j = idx;
  bool before = false;
  while (j > 0) {
    --j;
    if (is_case_ignorable(text[j])) continue;
    before = is_cased(text[j]);
    break;
  }
  if (!before) return false;
  for (size_t k = idx + 1; k < text.size(); ++k) {
    if (is_case_ignorable(text[k])) continue;
    return !is_cased(text[k]);
  }
  return true;
}

void append_lower_at(std::string& out, const std::u32string& text, size_t idx) {
  if (text[idx] == kCapitalSigma) {
    append_utf8(out, is_final_sigma(text, idx) ? 0x03C2 : 0x03C3);
    return;
  }
  out += map_one(text[idx], CaseKind::kLower);
}

template <typename Pred>
bool all_of_code_points(std::string_view text, Pred pred) {
  if (text.empty()) return false;
  size_t pos = 0;
  while (pos < text.size()) {
    if (!pred(next_code_point(text, pos))) return false;
  }
  return true;
}

int32_t numeric_type(char32_t c) { return u_getIntPropertyValue(static_cast<UChar32>(c), UCHAR_NUMERIC_TYPE); }

bool is_alpha_char(char32_t c) {
  int8_t type = u_charType(static_cast<UChar32>(c));
  return type == U_UPPERCASE_LETTER || type == U_LOWERCASE_LETTER || type == U_TITLECASE_LETTER ||
         type == U_MODIFIER_LETTER || type == U_OTHER_LETTER;
}
bool is_decimal_char(char32_t c) { return u_charType(static_cast<UChar32>(c)) == U_DECIMAL_DIGIT_NUMBER; }
bool is_digit_char(char32_t c) {
  int32_t type = numeric_type(c);
  return type == U_NT_DECIMAL || type == U_NT_DIGIT;
}
bool is_numeric_char(char32_t c) { return numeric_type(c) != U_NT_NONE; }
bool is_lower_char(char32_t c) { return u_hasBinaryProperty(static_cast<UChar32>(c), UCHAR_LOWERCASE); }
bool is_upper_char(char32_t c) { return u_hasBinaryProperty(static_cast<UChar32>(c), UCHAR_UPPERCASE); }
bool is_title_char(char32_t c) { return u_charType(static_cast<UChar32>(c)) == U_TITLECASE_LETTER; }

std::string map_whole(std::string_view text, CaseKind kind) {
  if (is_ascii(text)) {
    std::string out(text);
    for (char& ch : out) {
      if (kind == CaseKind::kUpper && ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
      if (kind == CaseKind::kLower && ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    }
    return out;
  }
  std::u32string code_points = decode_utf8(text);
  std::string out;
  out.reserve(text.size());
  for (size_t idx = 0; idx < code_points.size(); ++idx) {
    if (kind == CaseKind::kLower) {
      append_lower_at(out, code_points, idx);
    } else {
      out += map_one(code_points[idx], kind);
    }
  }
  return out;
}

}  // namespace

bool is_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char ch) { return static_cast<unsigned char>(ch) < 0x80; });
}

bool is_valid_utf8(std::string_view text) {
  size_t pos = 0;
  const size_t size = text.size();
  while (pos < size) {
    auto byte = static_cast<unsigned char>(text[pos]);
    if (byte < 0x80) {
      ++pos;
      continue;
    }
    int extra = 0;
    char32_t cp = 0;
    char32_t min_cp = 0;
    if ((byte & 0xE0) == 0xC0) {
      extra = 1, cp = byte & 0x1F, min_cp = 0x80;
    } else if ((byte & 0xF0) == 0xE0) {
      extra = 2, cp = byte & 0x0F, min_cp = 0x800;
    } else if ((byte & 0xF8) == 0xF0) {
      extra = 3, cp = byte & 0x07, min_cp = 0x10000;
    } else {
      return false;
    }
    if (pos + static_cast<size_t>(extra) >= size) return false;
    for (int i = 1; i <= extra; ++i) {
      auto cont = static_cast<unsigned char>(text[pos + static_cast<size_t>(i)]);
      if ((cont & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cont & 0x3F);
    }
    if (cp < min_cp || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    pos += static_cast<size_t>(extra) + 1;
  }
  return true;
}

char32_t next_code_point(std::string_view text, size_t& pos) {
  auto byte = static_cast<unsigned char>(text[pos]);
  if (byte < 0x80) {
    ++pos;
    return byte;
  }
  int extra = (byte & 0xE0) == 0xC0 ? 1 : (byte & 0xF0) == 0xE0 ? 2 : (byte & 0xF8) == 0xF0 ? 3 : 0;
  if (extra == 0 || pos + static_cast<size_t>(extra) >= text.size()) {
    ++pos;
    return kReplacement;
  }
  char32_t cp = byte & (0x3F >> extra);
  for (int i = 1; i <= extra; ++i) {
    cp = (cp << 6) | (static_cast<unsigned char>(text[pos + static_cast<size_t>(i)]) & 0x3F);
  }
  pos += static_cast<size_t>(extra) + 1;
  return cp;
}

std::u32string decode_utf8(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) out.push_back(next_code_point(text, pos));
  return out;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string encode_utf8(std::u32string_view code_points) {
  std::string out;
  out.reserve(code_points.size());
  for (char32_t cp : code_points) append_utf8(out, cp);
  return out;
}

size_t count_code_points(std::string_view text) {
  return static_cast<size_t>(
      std::count_if(text.begin(), text.end(), [](char ch) { return (static_cast<unsigned char>(ch) & 0xC0) != 0x80; }));
}

bool is_python_space(char32_t c) {
  if (c <= 0x20) return c == 0x20 || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
  if (c < 0x85) return false;
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
         c == 0x202F || c == 0x205F || c == 0x3000;
}

bool is_word_char(char32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  return is_alpha_char(c) || is_numeric_char(c);
}

std::string to_upper(std::string_view text) { return map_whole(text, CaseKind::kUpper); }
std::string to_lower(std::string_view text) { return map_whole(text, CaseKind::kLower); }

std::string swap_case(std::string_view text) {
  std::u32string code_points = decode_utf8(text);
  std::string out;
  for (size_t idx = 0; idx < code_points.size(); ++idx) {
    char32_t c = code_points[idx];
    if (is_upper_char(c)) {
      append_lower_at(out, code_points, idx);
    } else if (is_lower_char(c)) {
      out += map_one(c, CaseKind::kUpper);
    } else {
      append_utf8(out, c);
    }
  }
  return out;
}

std::string python_capitalize(std::string_view text) {
  std::u32string code_points = decode_utf8(text);
  std::string out;
  for (size_t idx = 0; idx < code_points.size(); ++idx) {
    if (idx == 0) {
      out += map_one(code_points[0], CaseKind::kTitle);
    } else {
      append_lower_at(out, code_points, idx);
    }
  }
  return out;
}

std::string python_title(std::string_view text) {
  std::u32string code_points = decode_utf8(text);
  std::string out;
  bool previous_is_cased = false;
  for (size_t idx = 0; idx < code_points.size(); ++idx) {
    char32_t c = code_points[idx];
    if (previous_is_cased) {
      append_lower_at(out, code_points, idx);
    } else {
      out += map_one(c, CaseKind::kTitle);
    }
    previous_is_cased = is_cased(c);
  }
  return out;
}

bool python_isalpha(std::string_view text) { return all_of_code_points(text, is_alpha_char); }
bool python_isdigit(std::string_view text) { return all_of_code_points(text, is_digit_char); }
bool python_isdecimal(std::string_view text) { return all_of_code_points(text, is_decimal_char); }
bool python_isnumeric(std::string_view text) { return all_of_code_points(text, is_numeric_char); }
bool python_isalnum(std::string_view text) {
  return all_of_code_points(text, [](char32_t c) { return is_alpha_char(c) || is_numeric_char(c); });
}
bool python_isspace(std::string_view text) { return all_of_code_points(text, is_python_space); }

bool python_islower(std::string_view text) {
  bool cased = false;
  size_t pos = 0;
  while (pos < text.size()) {
    char32_t c = next_code_point(text, pos);
    if (is_upper_char(c) || is_title_char(c)) return false;
    if (is_lower_char(c)) cased = true;
  }
  return cased;
}

bool python_isupper(std::string_view text) {
  bool cased = false;
  size_t pos = 0;
  while (pos < text.size()) {
    char32_t c = next_code_point(text, pos);
    if (is_lower_char(c) || is_title_char(c)) return false;
    if (is_upper_char(c)) cased = true;
  }
  return cased;
}

bool python_istitle(std::string_view text) {
  bool cased = false;
  bool previous_is_cased = false;
  size_t pos = 0;
  while (pos < text.size()) {
    char32_t c = next_code_point(text, pos);
    if (is_upper_char(c) || is_title_char(c)) {
      if (previous_is_cased) return false;
      previous_is_cased = true;
      cased = true;
    } else if (is_lower_char(c)) {
      if (!previous_is_cased) return false;
      previous_is_cased = true;
      cased = true;
    } else {
      previous_is_cased = false;
    }
  }
  return cased;
}

bool python_isprintable_char(char32_t c) {
  if (c == ' ') return true;
  int8_t type = u_charType(static_cast<UChar32>(c));
  switch (type) {
    case U_CONTROL_CHAR:
    case U_FORMAT_CHAR:
    case U_SURROGATE:
    case U_PRIVATE_USE_CHAR:
    case U_UNASSIGNED:
    case U_LINE_SEPARATOR:
    case U_PARAGRAPH_SEPARATOR:
    case U_SPACE_SEPARATOR:
      return false;
    default:
      return true;
  }
}

}  // namespace fovea::text::jinja
