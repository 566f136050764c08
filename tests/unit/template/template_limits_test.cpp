// Hostile templates fail with a clear Status instead of hanging, crashing or exhausting memory, and every limit
// is configurable.
#include <gtest/gtest.h>

#include <string>

#include "text/template/template.h"

namespace fovea::text::jinja {
namespace {

base::Status render_status(const std::string& source, TemplateLimits limits = {}) {
  TemplateOptions options;
  options.limits = limits;
  auto parsed = Template::parse(source, options);
  if (!parsed.ok()) return parsed.status();
  return parsed->render({}).status();
}

void expect_failure(const std::string& source, base::StatusCode code, const std::string& message_part,
                    TemplateLimits limits = {}) {
  base::Status status = render_status(source, limits);
  ASSERT_FALSE(status.ok()) << source;
  EXPECT_EQ(status.code(), code) << source << " -> " << status.message();
  EXPECT_NE(status.message().find(message_part), std::string::npos) << source << " -> " << status.message();
}

TEST(TemplateLimits, HugeRangeIsRefusedLikeTheSandbox) {
  expect_failure("{% for i in range(10**9) %}x{% endfor %}", base::StatusCode::kOutOfRange, "MAX_RANGE (100000)");
}

TEST(TemplateLimits, NestedLoopsRunOutOfSteps) {
  TemplateLimits limits;
  limits.max_steps = 200000;
  expect_failure("{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}",
                 base::StatusCode::kOutOfRange, "evaluation steps", limits);
}

TEST(TemplateLimits, EndlessMacroRecursionStops) {
  expect_failure("{% macro r(n) %}{{ r(n + 1) }}{% endmacro %}{{ r(0) }}", base::StatusCode::kOutOfRange,
                 "macro calls nest more than 100");
  TemplateLimits limits;
  limits.max_call_depth = 5;
  expect_failure("{% macro r(n) %}{% if n < 10 %}{{ r(n + 1) }}{% endif %}{% endmacro %}{{ r(0) }}",
                 base::StatusCode::kOutOfRange, "nest more than 5", limits);
  EXPECT_TRUE(
      render_status("{% macro r(n) %}{% if n < 4 %}{{ r(n + 1) }}{% endif %}{% endmacro %}{{ r(0) }}", limits).ok());
}

TEST(TemplateLimits, RecursiveLoopDepthIsBounded) {
  expect_failure("{% for x in range(10) recursive %}{{ loop([x]) }}{% endfor %}", base::StatusCode::kOutOfRange,
                 "recursive loops nest");
}

TEST(TemplateLimits, ExponentialStringGrowthStopsAtTheStringLimit) {
  expect_failure("{% set ns = namespace(s='a') %}{% for i in range(100) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
                 base::StatusCode::kOutOfRange, "more than the limit of 33554432");
  TemplateLimits limits;
  limits.max_string_bytes = 1000;
  expect_failure("{{ 'ab' * 501 }}", base::StatusCode::kOutOfRange, "limit of 1000", limits);
  EXPECT_TRUE(render_status("{{ 'ab' * 500 }}", limits).ok());
}

TEST(TemplateLimits, RepetitionIsCheckedBeforeAllocating) {
  expect_failure("{{ 'a' * 10**12 }}", base::StatusCode::kOutOfRange, "1000000000000 bytes");
  expect_failure("{{ [1, 2] * 10**12 }}", base::StatusCode::kOutOfRange, "items");
  expect_failure("{{ 'x'.center(10**10) }}", base::StatusCode::kOutOfRange, "str.center()");
  expect_failure("{{ '{:>1000000000}'.format('x') }}", base::StatusCode::kOutOfRange, "format width");
  expect_failure("{{ '%*d'|format(1000000000, 1) }}", base::StatusCode::kOutOfRange, "format width");
  expect_failure("{{ 'x'|indent(10**9) }}", base::StatusCode::kOutOfRange, "indent");
}

TEST(TemplateLimits, OutputSizeIsBounded) {
  TemplateLimits limits;
  limits.max_output_bytes = 5000;
  expect_failure("{% for i in range(100) %}{{ 'x' * 100 }}{% endfor %}", base::StatusCode::kOutOfRange,
                 "rendered text is larger than the 5000 byte limit", limits);
  EXPECT_TRUE(render_status("{% for i in range(49) %}{{ 'x' * 100 }}{% endfor %}", limits).ok());
}

TEST(TemplateLimits, TotalAllocationIsBounded) {
  TemplateLimits limits;
  limits.max_allocated_bytes = 10 << 20;
  expect_failure(
      "{% set ns = namespace(l=[]) %}{% for i in range(100000) %}{% set ns.l = ns.l + ['x' * 1000] %}"
      "{% endfor %}",
      base::StatusCode::kResourceExhausted, "bytes of strings and lists", limits);
}

TEST(TemplateLimits, DeepValuesAndSelfContainingNamespacesFailCleanly) {
  expect_failure("{% set ns = namespace(l=[]) %}{% for i in range(100000) %}{% set ns.l = [ns.l] %}{% endfor %}",
                 base::StatusCode::kOutOfRange, "nested more than 200 levels");
  expect_failure("{% set ns = namespace() %}{% set ns.x = ns %}{{ ns }}", base::StatusCode::kOutOfRange,
                 "namespace contain itself");
}

TEST(TemplateLimits, DeepSourceNestingIsASyntaxError) {
  for (const std::string& source :
       {"{{ " + std::string(5000, '(') + "1" + std::string(5000, ')') + " }}",
        "{{ " + std::string(5000, '[') + std::string(5000, ']') + " }}", "{{ x" + std::string(20000, '.') + " }}",
        [] {
          std::string chain = "{{ 1";
          for (int i = 0; i < 20000; ++i) chain += " + 1";
          return chain + " }}";
        }(),
        [] {
          std::string ifs;
          for (int i = 0; i < 3000; ++i) ifs += "{% if true %}";
          return ifs;
        }(),
        "{{ " + std::string(10000, '-') + "1 }}"}) {
    base::Status status = render_status(source);
    EXPECT_FALSE(status.ok()) << source.substr(0, 40);
  }
  expect_failure("{{ " + std::string(300, '(') + "1" + std::string(300, ')') + " }}", base::StatusCode::kOutOfRange,
                 "more than 200 levels");
}

TEST(TemplateLimits, ScanningBigStringsCountsAsWork) {
  TemplateLimits limits;
  limits.max_steps = 1000000;
  expect_failure("{% set s = 'x' * 1000000 %}{% for i in range(100000) %}{% if 'y' in s %}{% endif %}{% endfor %}",
                 base::StatusCode::kOutOfRange, "evaluation steps", limits);
}

}  // namespace
}  // namespace fovea::text::jinja
