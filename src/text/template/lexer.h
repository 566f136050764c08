// Lexer: template source to tokens, with jinja2 3.1's rules as transformers configures them (trim_blocks and
// lstrip_blocks on, `{%-`/`-%}`/`{%+`/`+%}` whitespace control, comments, raw blocks, Python string escapes).
// Must not contain parsing (parser.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace fovea::text::jinja {

enum class TokenKind {
  kData,           // literal text between tags
  kVariableBegin,  // {{
  kVariableEnd,    // }}
  kBlockBegin,     // {%
  kBlockEnd,       // %}
  kName,
  kString,
  kInteger,
  kFloat,
  kOperator,
  kEof,
};

struct Token {
  TokenKind kind = TokenKind::kEof;
  std::string text;  // data, name, unescaped string value, or operator symbol
  int64_t int_value = 0;
  double float_value = 0.0;
  int line = 1;
};

struct LexerOptions {
  bool trim_blocks = true;
  bool lstrip_blocks = true;
};

// Tokenizes `source` (valid UTF-8). Errors carry the line number.
base::Result<std::vector<Token>> tokenize(std::string_view source, const LexerOptions& options = {});

}  // namespace fovea::text::jinja
