// UTF-8 helpers with Python's str semantics for the template engine: code points, whitespace as str.isspace sees
// it, case mapping (full Unicode mappings through ICU) and the str.is*() predicates.
// Must not contain anything that knows about template values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fovea::text::jinja {

// True when every byte is ASCII (then byte offsets are code point offsets).
bool is_ascii(std::string_view text);

// True when `text` is well-formed UTF-8 without surrogates or overlong forms.
bool is_valid_utf8(std::string_view text);

// Decodes well-formed UTF-8 (the engine only holds valid UTF-8) into code points.
std::u32string decode_utf8(std::string_view text);
void append_utf8(std::string& out, char32_t code_point);
std::string encode_utf8(std::u32string_view code_points);

// Number of code points (Python's len(str)).
size_t count_code_points(std::string_view text);

// Decodes the code point starting at byte `pos` and advances `pos` past it.
char32_t next_code_point(std::string_view text, size_t& pos);

// Python's str.isspace() for one code point (also what `\s` matches in Python's re).
bool is_python_space(char32_t code_point);
// Python's `\w` for one code point: alphanumeric or underscore.
bool is_word_char(char32_t code_point);

std::string to_upper(std::string_view text);
std::string to_lower(std::string_view text);
std::string swap_case(std::string_view text);
std::string python_capitalize(std::string_view text);  // str.capitalize()
std::string python_title(std::string_view text);       // str.title()

// str.isalpha() etc.; all are false for the empty string except where Python says otherwise.
bool python_isalpha(std::string_view text);
bool python_isdigit(std::string_view text);
bool python_isdecimal(std::string_view text);
bool python_isnumeric(std::string_view text);
bool python_isalnum(std::string_view text);
bool python_isspace(std::string_view text);
bool python_islower(std::string_view text);
bool python_isupper(std::string_view text);
bool python_istitle(std::string_view text);
bool python_isprintable_char(char32_t code_point);

}  // namespace fovea::text::jinja
