// Parser: tokens to the syntax tree, following jinja2/parser.py (operator precedence, tuples, filters and tests,
// statements). Tags transformers enables are included: loop controls and `generation`.
// Must not contain evaluation or knowledge of which filters exist (template.cpp checks names).
#pragma once

#include <vector>

#include "base/status.h"
#include "text/template/ast.h"
#include "text/template/lexer.h"

namespace fovea::text::jinja {

// Parses a token stream ending in kEof. `max_nesting_depth` bounds expression and block nesting so that a
// hostile template cannot exhaust the stack. Errors carry the line number.
base::Result<StmtList> parse_template(const std::vector<Token>& tokens, uint32_t max_nesting_depth);

}  // namespace fovea::text::jinja
