// Template: the engine's entry point. Parses Jinja2 source once (checking syntax and that every filter and test
// exists, as jinja2 does when it compiles) and renders it any number of times, each render sandboxed and
// bounded by TemplateLimits.
// Must not contain chat conventions (message preprocessing, special tokens): those are in text/chat_template.h.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "text/template/ast.h"
#include "text/template/evaluator.h"
#include "text/template/limits.h"
#include "text/template/value.h"

namespace fovea::text::jinja {

struct TemplateOptions {
  TemplateLimits limits;
  Clock clock;  // strftime_now's time; null means the system's local time
};

class Template {
 public:
  // Fails with the line number for syntax errors, invalid UTF-8 and unknown filters or tests.
  static base::Result<Template> parse(std::string_view source, TemplateOptions options = {});

  // Renders with `variables` as the context. Errors name the template line where they happened.
  base::Result<std::string> render(std::vector<std::pair<std::string, Value>> variables) const;

  const TemplateLimits& limits() const { return options_.limits; }

 private:
  Template(std::shared_ptr<const StmtList> body, TemplateOptions options)
      : body_(std::move(body)), options_(std::move(options)) {}

  std::shared_ptr<const StmtList> body_;  // shared: templates are cheap to copy and immutable
  TemplateOptions options_;
};

// The system's local time, the default Clock.
std::tm local_time_now();

}  // namespace fovea::text::jinja
