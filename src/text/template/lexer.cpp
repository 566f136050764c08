// Tokenizer following jinja2/lexer.py: the same rule order, whitespace control and string unescaping.
#include "text/template/lexer.h"

#include <unicode/uchar.h>

#include <cstdlib>
#include <optional>

#include "text/template/unicode_text.h"

namespace fovea::text::jinja {
namespace {

bool starts_with(std::string_view text, size_t pos, std::string_view prefix) {
  return text.size() >= pos + prefix.size() && text.compare(pos, prefix.size(), prefix) == 0;
}

bool is_digit(char ch) { return ch >= '0' && ch <= '9'; }
bool is_hex(char ch) { return is_digit(ch) || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F'); }

// Length in bytes of the Unicode whitespace run at `pos` (Python's `\s*`).
size_t whitespace_run(std::string_view text, size_t pos) {
  size_t end = pos;
  while (end < text.size()) {
    size_t next = end;
    if (!is_python_space(next_code_point(text, next))) break;
    end = next;
  }
  return end - pos;
}

std::string_view rstrip_whitespace(std::string_view text) {
  std::u32string code_points = decode_utf8(text);
  size_t keep = code_points.size();
  while (keep > 0 && is_python_space(code_points[keep - 1])) --keep;
  size_t bytes = 0;
  for (size_t idx = 0; idx < keep; ++idx) {
    char32_t c = code_points[idx];
    bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  return text.substr(0, bytes);
}

bool all_whitespace(std::string_view text) { return !text.empty() && whitespace_run(text, 0) == text.size(); }

int count_newlines(std::string_view text) {
  int count = 0;
  for (char ch : text) count += ch == '\n';
  return count;
}

// Jinja normalizes \r\n and \r to \n and drops one trailing newline (keep_trailing_newline=False).
std::string normalize_source(std::string_view source) {
  std::string out;
  out.reserve(source.size());
  for (size_t idx = 0; idx < source.size(); ++idx) {
    if (source[idx] == '\r') {
      out += '\n';
      if (idx + 1 < source.size() && source[idx + 1] == '\n') ++idx;
    } else {
      out += source[idx];
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

base::Status syntax_error(int line, std::string message) {
  return base::invalid_argument("syntax error at line {}: {}", line, message);
}

// Python's "unicode-escape" decoding of a string literal body, after non-ASCII characters were turned into
// backslash escapes (which is why a backslash before a non-ASCII character yields the escape text).
base::Result<std::string> unescape(std::string_view body, int line) {
  std::string out;
  size_t pos = 0;
  auto read_hex = [&](size_t digits, const char* what) -> base::Result<char32_t> {
    if (pos + digits > body.size()) return syntax_error(line, what);
    char32_t value = 0;
    for (size_t idx = 0; idx < digits; ++idx) {
      char ch = body[pos + idx];
      if (!is_hex(ch)) return syntax_error(line, what);
      value = value * 16 + static_cast<char32_t>(is_digit(ch) ? ch - '0' : (ch | 0x20) - 'a' + 10);
    }
    pos += digits;
    return value;
  };
  auto emit = [&](char32_t cp) -> base::Status {
    if (cp > 0x10FFFF) return syntax_error(line, "illegal Unicode character");
    if (cp >= 0xD800 && cp <= 0xDFFF) {
      return syntax_error(line, "a string escape makes a lone surrogate, which fovea cannot represent in UTF-8");
    }
    append_utf8(out, cp);
    return base::Status();
  };
  while (pos < body.size()) {
    char ch = body[pos];
    if (ch != '\\') {
      out += ch;
      ++pos;
      continue;
    }
    if (pos + 1 >= body.size()) return syntax_error(line, "\\ at end of string");
    char esc = body[pos + 1];
    pos += 2;
    switch (esc) {
      case '\n':
        break;
      case '\\':
      case '\'':
      case '"':
        out += esc;
        break;
      case 'a':
        out += '\a';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case 'x': {
        FOVEA_ASSIGN_OR_RETURN(char32_t cp, read_hex(2, "truncated \\xXX escape"));
        FOVEA_RETURN_IF_ERROR(emit(cp));
        break;
      }
      case 'u': {
        FOVEA_ASSIGN_OR_RETURN(char32_t cp, read_hex(4, "truncated \\uXXXX escape"));
        FOVEA_RETURN_IF_ERROR(emit(cp));
        break;
      }
      case 'U': {
        FOVEA_ASSIGN_OR_RETURN(char32_t cp, read_hex(8, "truncated \\UXXXXXXXX escape"));
        FOVEA_RETURN_IF_ERROR(emit(cp));
        break;
      }
      case 'N': {
        size_t close = body.find('}', pos);
        if (pos >= body.size() || body[pos] != '{' || close == std::string_view::npos) {
          return syntax_error(line, "malformed \\N character escape");
        }
        std::string name(body.substr(pos + 1, close - pos - 1));
        UErrorCode err = U_ZERO_ERROR;
        UChar32 cp = u_charFromName(U_UNICODE_CHAR_NAME, name.c_str(), &err);
        if (U_FAILURE(err) || cp < 0) {
          err = U_ZERO_ERROR;
          cp = u_charFromName(U_CHAR_NAME_ALIAS, name.c_str(), &err);
        }
        if (U_FAILURE(err) || cp < 0) return syntax_error(line, "unknown Unicode character name");
        FOVEA_RETURN_IF_ERROR(emit(static_cast<char32_t>(cp)));
        pos = close + 1;
        break;
      }
      default:
        if (esc >= '0' && esc <= '7') {
          char32_t value = static_cast<char32_t>(esc - '0');
          for (int idx = 0; idx < 2 && pos < body.size() && body[pos] >= '0' && body[pos] <= '7'; ++idx) {
            value = value * 8 + static_cast<char32_t>(body[pos++] - '0');
          }
          FOVEA_RETURN_IF_ERROR(emit(value));
        } else if (static_cast<unsigned char>(esc) >= 0x80) {
          size_t char_pos = pos - 1;
          char32_t cp = next_code_point(body, char_pos);
          char buf[16];
          std::snprintf(buf, sizeof(buf),
                        cp <= 0xFF     ? "\\x%02x"
                        : cp <= 0xFFFF ? "\\u%04x"
                                       : "\\U%08x",
                        static_cast<unsigned>(cp));
          out += buf;
          pos = char_pos;
        } else {
          out += '\\';
          out += esc;
        }
    }
  }
  return out;
}

class Lexer {
 public:
  Lexer(std::string source, const LexerOptions& options) : src_(std::move(source)), options_(options) {}

  base::Result<std::vector<Token>> run() {
    while (pos_ < src_.size()) FOVEA_RETURN_IF_ERROR(lex_root());
    push(TokenKind::kEof, "");
    return std::move(tokens_);
  }

 private:
  enum class TagKind { kVariable, kBlock, kComment };

  void push(TokenKind kind, std::string text) {
    Token token;
    token.kind = kind;
    token.text = std::move(text);
    token.line = line_;
    tokens_.push_back(std::move(token));
  }

  // Consumes `count` bytes, tracking line numbers and whether the consumed text ended a line.
  void advance(size_t count) {
    line_ += count_newlines(std::string_view(src_).substr(pos_, count));
    if (count > 0) line_starting_ = src_[pos_ + count - 1] == '\n';
    pos_ += count;
  }

  // Text before a tag, with `-` stripping or lstrip_blocks applied.
  void emit_text_before_tag(size_t tag_pos, char sign, bool lstrip_applies) {
    std::string_view text = std::string_view(src_).substr(pos_, tag_pos - pos_);
    std::string_view kept = text;
    if (sign == '-') {
      kept = rstrip_whitespace(text);
    } else if (sign != '+' && options_.lstrip_blocks && lstrip_applies) {
      size_t newline = text.rfind('\n');
      size_t l_pos = newline == std::string_view::npos ? 0 : newline + 1;
      if ((l_pos > 0 || line_starting_) && all_whitespace(text.substr(l_pos))) kept = text.substr(0, l_pos);
    }
    if (!kept.empty()) push(TokenKind::kData, std::string(kept));
    advance(text.size());
  }

  // The raw-block opener `{%(-|+|)\s*raw\s*(-%}\s*|%})` at `pos`, or nullopt.
  std::optional<size_t> match_raw_begin(size_t pos) const {
    size_t cur = pos + 2;
    if (cur < src_.size() && (src_[cur] == '-' || src_[cur] == '+')) ++cur;
    cur += whitespace_run(src_, cur);
    if (!starts_with(src_, cur, "raw")) return std::nullopt;
    cur += 3;
    cur += whitespace_run(src_, cur);
    if (starts_with(src_, cur, "-%}")) return cur + 3 + whitespace_run(src_, cur + 3) - pos;
    if (starts_with(src_, cur, "%}")) return cur + 2 - pos;
    return std::nullopt;
  }

  base::Status lex_root() {
    size_t tag_pos = src_.find('{', pos_);
    while (tag_pos != std::string::npos && tag_pos + 1 < src_.size()) {
      char next = src_[tag_pos + 1];
      if (next == '{' || next == '%' || next == '#') break;
      tag_pos = src_.find('{', tag_pos + 1);
    }
    if (tag_pos == std::string::npos || tag_pos + 1 >= src_.size()) {
      push(TokenKind::kData, src_.substr(pos_));
      advance(src_.size() - pos_);
      return base::Status();
    }
    char opener = src_[tag_pos + 1];
    char sign =
        tag_pos + 2 < src_.size() && (src_[tag_pos + 2] == '-' || src_[tag_pos + 2] == '+') ? src_[tag_pos + 2] : '\0';
    if (opener == '%') {
      if (auto raw_length = match_raw_begin(tag_pos)) {
        emit_text_before_tag(tag_pos, sign, true);
        advance(*raw_length);
        return lex_raw_body();
      }
    }
    TagKind kind = opener == '{' ? TagKind::kVariable : opener == '%' ? TagKind::kBlock : TagKind::kComment;
    emit_text_before_tag(tag_pos, sign, kind != TagKind::kVariable);
    advance(2 + (sign != '\0' ? 1 : 0));
    if (kind == TagKind::kComment) return lex_comment();
    push(kind == TagKind::kVariable ? TokenKind::kVariableBegin : TokenKind::kBlockBegin, "");
    return lex_tag(kind);
  }

  base::Status lex_comment() {
    int start_line = line_;
    size_t end = src_.find("#}", pos_);
    if (end == std::string::npos) return syntax_error(start_line, "Missing end of comment tag");
    size_t after = end + 2;
    if (end > pos_ && src_[end - 1] == '-') {
      after += whitespace_run(src_, after);
    } else if (!(end > pos_ && src_[end - 1] == '+') && options_.trim_blocks && after < src_.size() &&
               src_[after] == '\n') {
      ++after;
    }
    advance(after - pos_);
    return base::Status();
  }

  base::Status lex_raw_body() {
    int start_line = line_;
    size_t search = pos_;
    while (true) {
      size_t tag_pos = src_.find("{%", search);
      if (tag_pos == std::string::npos) return syntax_error(start_line, "Missing end of raw directive");
      size_t cur = tag_pos + 2;
      char sign = cur < src_.size() && (src_[cur] == '-' || src_[cur] == '+') ? src_[cur] : '\0';
      if (sign != '\0') ++cur;
      cur += whitespace_run(src_, cur);
      if (starts_with(src_, cur, "endraw")) {
        cur += 6;
        cur += whitespace_run(src_, cur);
        size_t end = 0;
        if (starts_with(src_, cur, "+%}")) {
          end = cur + 3;
        } else if (starts_with(src_, cur, "-%}")) {
          end = cur + 3 + whitespace_run(src_, cur + 3);
        } else if (starts_with(src_, cur, "%}")) {
          end = cur + 2;
          if (options_.trim_blocks && end < src_.size() && src_[end] == '\n') ++end;
        }
        if (end != 0) {
          emit_text_before_tag(tag_pos, sign, true);
          advance(end - pos_);
          return base::Status();
        }
      }
      search = tag_pos + 2;
    }
  }

  // Matches the end of the current tag at pos_; returns its length including stripped whitespace, or 0.
  size_t match_tag_end(TagKind kind) const {
    if (kind == TagKind::kBlock) {
      if (starts_with(src_, pos_, "+%}")) return 3;
      if (starts_with(src_, pos_, "-%}")) return 3 + whitespace_run(src_, pos_ + 3);
      if (starts_with(src_, pos_, "%}")) {
        return options_.trim_blocks && pos_ + 2 < src_.size() && src_[pos_ + 2] == '\n' ? 3 : 2;
      }
      return 0;
    }
    if (starts_with(src_, pos_, "-}}")) return 3 + whitespace_run(src_, pos_ + 3);
    if (starts_with(src_, pos_, "}}")) return 2;
    return 0;
  }

  base::Status lex_tag(TagKind kind) {
    std::vector<char> brackets;
    while (pos_ < src_.size()) {
      if (brackets.empty()) {
        if (size_t end = match_tag_end(kind); end != 0) {
          push(kind == TagKind::kBlock ? TokenKind::kBlockEnd : TokenKind::kVariableEnd, "");
          advance(end);
          return base::Status();
        }
      }
      if (size_t spaces = whitespace_run(src_, pos_); spaces > 0) {
        advance(spaces);
        continue;
      }
      if (size_t length = match_float(); length > 0) {
        std::string text;
        for (char ch : src_.substr(pos_, length)) {
          if (ch != '_') text += ch;
        }
        push(TokenKind::kFloat, text);
        tokens_.back().float_value = std::strtod(text.c_str(), nullptr);
        advance(length);
        continue;
      }
      if (size_t length = match_integer(); length > 0) {
        FOVEA_RETURN_IF_ERROR(push_integer(src_.substr(pos_, length)));
        advance(length);
        continue;
      }
      if (size_t length = match_name(); length > 0) {
        push(TokenKind::kName, src_.substr(pos_, length));
        advance(length);
        continue;
      }
      char ch = src_[pos_];
      if (ch == '\'' || ch == '"') {
        size_t close = find_string_end(ch);
        if (close != std::string::npos) {
          FOVEA_ASSIGN_OR_RETURN(std::string value,
                                 unescape(std::string_view(src_).substr(pos_ + 1, close - pos_ - 1), line_));
          push(TokenKind::kString, std::move(value));
          advance(close + 1 - pos_);
          continue;
        }
      }
      FOVEA_RETURN_IF_ERROR(lex_operator(brackets));
    }
    return base::Status();
  }

  size_t find_string_end(char quote) const {
    for (size_t idx = pos_ + 1; idx < src_.size(); ++idx) {
      if (src_[idx] == '\\') {
        ++idx;
      } else if (src_[idx] == quote) {
        return idx;
      }
    }
    return std::string::npos;
  }

  // (\d+_)*\d+ at `pos`; returns the end or `pos` when nothing matched.
  size_t match_digits(size_t pos) const {
    size_t end = pos;
    while (true) {
      size_t run = end;
      while (run < src_.size() && is_digit(src_[run])) ++run;
      if (run == end) return end == pos ? pos : end;
      end = run;
      if (end + 1 < src_.size() && src_[end] == '_' && is_digit(src_[end + 1])) {
        ++end;
        continue;
      }
      return end;
    }
  }

  size_t match_float() const {
    if (pos_ > 0 && src_[pos_ - 1] == '.') return 0;
    size_t end = match_digits(pos_);
    if (end == pos_) return 0;
    size_t fraction_end = end;
    if (end < src_.size() && src_[end] == '.') {
      size_t digits_end = match_digits(end + 1);
      if (digits_end > end + 1) fraction_end = digits_end;
    }
    if (fraction_end < src_.size() && (src_[fraction_end] == 'e' || src_[fraction_end] == 'E')) {
      size_t exp = fraction_end + 1;
      if (exp < src_.size() && (src_[exp] == '+' || src_[exp] == '-')) ++exp;
      size_t exp_end = match_digits(exp);
      if (exp_end > exp) return exp_end - pos_;
    }
    return fraction_end > end ? fraction_end - pos_ : 0;
  }

  size_t match_integer() const {
    if (!is_digit(src_[pos_])) return 0;
    if (src_[pos_] == '0' && pos_ + 1 < src_.size()) {
      char prefix = static_cast<char>(src_[pos_ + 1] | 0x20);
      auto valid = [prefix](char ch) {
        if (prefix == 'b') return ch == '0' || ch == '1';
        if (prefix == 'o') return ch >= '0' && ch <= '7';
        return is_hex(ch);
      };
      if (prefix == 'b' || prefix == 'o' || prefix == 'x') {
        size_t end = pos_ + 2;
        size_t last = end;
        while (true) {
          size_t cur = end;
          if (cur < src_.size() && src_[cur] == '_') ++cur;
          if (cur < src_.size() && valid(src_[cur])) {
            end = cur + 1;
            last = end;
          } else {
            break;
          }
        }
        if (last > pos_ + 2) return last - pos_;
      }
    }
    if (src_[pos_] == '0') {
      size_t end = pos_ + 1;
      while (true) {
        size_t cur = end;
        if (cur < src_.size() && src_[cur] == '_') ++cur;
        if (cur < src_.size() && src_[cur] == '0') {
          end = cur + 1;
        } else {
          break;
        }
      }
      return end - pos_;
    }
    size_t end = pos_ + 1;
    while (true) {
      size_t cur = end;
      if (cur < src_.size() && src_[cur] == '_') ++cur;
      if (cur < src_.size() && is_digit(src_[cur])) {
        end = cur + 1;
      } else {
        break;
      }
    }
    return end - pos_;
  }

  base::Status push_integer(std::string_view text) {
    std::string digits;
    for (char ch : text) {
      if (ch != '_') digits += ch;
    }
    int radix = 10;
    size_t start = 0;
    if (digits.size() > 1 && digits[0] == '0') {
      char prefix = static_cast<char>(digits[1] | 0x20);
      radix = prefix == 'b' ? 2 : prefix == 'o' ? 8 : prefix == 'x' ? 16 : 10;
      if (radix != 10) start = 2;
    }
    errno = 0;
    unsigned long long value = std::strtoull(digits.c_str() + start, nullptr, radix);
    if (errno == ERANGE || value > static_cast<unsigned long long>(INT64_MAX)) {
      return syntax_error(line_, "integer literal " + digits + " does not fit in 64 bits");
    }
    push(TokenKind::kInteger, digits);
    tokens_.back().int_value = static_cast<int64_t>(value);
    return base::Status();
  }

  size_t match_name() const {
    size_t end = pos_;
    while (end < src_.size()) {
      size_t next = end;
      if (!is_word_char(next_code_point(src_, next))) break;
      end = next;
    }
    return end - pos_;
  }

  base::Status lex_operator(std::vector<char>& brackets) {
    static constexpr std::string_view kTwoChar[] = {"**", "//", "==", "!=", ">=", "<="};
    for (std::string_view op : kTwoChar) {
      if (starts_with(src_, pos_, op)) {
        push(TokenKind::kOperator, std::string(op));
        advance(2);
        return base::Status();
      }
    }
    char ch = src_[pos_];
    if (std::string_view("+-/*%~[](){}><=.:|,;").find(ch) == std::string_view::npos) {
      size_t next = pos_;
      std::string shown;
      append_utf8(shown, next_code_point(src_, next));
      return syntax_error(line_, "unexpected char '" + shown + "' at " + std::to_string(pos_));
    }
    if (ch == '(' || ch == '[' || ch == '{') {
      brackets.push_back(ch == '(' ? ')' : ch == '[' ? ']' : '}');
    } else if (ch == ')' || ch == ']' || ch == '}') {
      if (brackets.empty()) return syntax_error(line_, std::string("unexpected '") + ch + "'");
      char expected = brackets.back();
      brackets.pop_back();
      if (expected != ch) {
        return syntax_error(line_, std::string("unexpected '") + ch + "', expected '" + expected + "'");
      }
    }
    push(TokenKind::kOperator, std::string(1, ch));
    advance(1);
    return base::Status();
  }

  std::string src_;
  LexerOptions options_;
  size_t pos_ = 0;
  int line_ = 1;
  bool line_starting_ = true;
  std::vector<Token> tokens_;
};

}  // namespace

base::Result<std::vector<Token>> tokenize(std::string_view source, const LexerOptions& options) {
  Lexer lexer(normalize_source(source), options);
  return lexer.run();
}

}  // namespace fovea::text::jinja
