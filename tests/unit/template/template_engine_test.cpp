// The engine's API: where errors are reported (parse vs render, with line numbers), template reuse, the clock
// hook, thread safety. Jinja semantics themselves are checked against jinja2 in tests/golden/template.
#include <gtest/gtest.h>

#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "text/template/template.h"

namespace fovea::text::jinja {
namespace {

base::Result<std::string> render(const std::string& source, std::vector<std::pair<std::string, Value>> variables = {}) {
  auto parsed = Template::parse(source);
  if (!parsed.ok()) return parsed.status();
  return parsed->render(std::move(variables));
}

std::string error_of(const std::string& source) {
  auto result = render(source);
  EXPECT_FALSE(result.ok()) << source;
  return result.ok() ? "" : result.status().message();
}

TEST(TemplateEngine, SyntaxErrorsNameTheLine) {
  Template::parse("a\nb\n{% if x %}\nc").status();
  auto parsed = Template::parse("a\nb\n{{ x + }}\n");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), base::StatusCode::kInvalidArgument);
  EXPECT_NE(parsed.status().message().find("syntax error at line 3"), std::string::npos) << parsed.status().message();
  EXPECT_NE(error_of("one\n{% for x in y %}\n{% endif %}").find("line 3"), std::string::npos);
}

TEST(TemplateEngine, UnknownFiltersAndTestsFailAtParseTime) {
  auto parsed = Template::parse("\n{{ x|frobnicate }}");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("line 2: No filter named 'frobnicate'"), std::string::npos)
      << parsed.status().message();
  parsed = Template::parse("{% if x is frobnicated %}{% endif %}");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("No test named 'frobnicated'"), std::string::npos);
  parsed = Template::parse("{{ x|urlize }}");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), base::StatusCode::kUnsupported);
}

TEST(TemplateEngine, RuntimeErrorsNameTheLine) {
  std::string message = error_of("ok\n{% set x = 1 %}\n{{ x.y.z }}");
  EXPECT_NE(message.find("line 3:"), std::string::npos) << message;
  EXPECT_NE(message.find("'int object' has no attribute 'y'"), std::string::npos) << message;
  message = error_of("{% macro m() %}\n\n{{ raise_exception('bad input') }}{% endmacro %}\n{{ m() }}");
  EXPECT_NE(message.find("line 3: the template raised an error: bad input"), std::string::npos) << message;
}

TEST(TemplateEngine, TypeErrorsAndUndefinedValuesAreClearErrors) {
  EXPECT_NE(error_of("{{ 'a' + 1 }}").find("line 1: can only concatenate str (not \"int\") to str"),
            std::string::npos)
      << error_of("{{ 'a' + 1 }}");
  EXPECT_NE(error_of("{{ 1 + [1] }}").find("unsupported operand type(s) for +: 'int' and 'list'"), std::string::npos)
      << error_of("{{ 1 + [1] }}");
  EXPECT_NE(error_of("{{ (1).upper() }}").find("'int object' has no attribute 'upper'"), std::string::npos)
      << error_of("{{ (1).upper() }}");
  EXPECT_NE(error_of("\n{{ missing + 1 }}").find("line 2: 'missing' is undefined"), std::string::npos)
      << error_of("\n{{ missing + 1 }}");
  EXPECT_NE(error_of("{{ missing.field }}").find("'missing' is undefined"), std::string::npos)
      << error_of("{{ missing.field }}");
  EXPECT_NE(error_of("{{ {}['key'].x }}").find("'dict object' has no attribute 'key'"), std::string::npos)
      << error_of("{{ {}['key'].x }}");
  // As in jinja2, printing or testing an undefined value is not an error; using it is.
  auto printed = render("[{{ missing }}]{{ missing is defined }}");
  ASSERT_TRUE(printed.ok()) << printed.status().message();
  EXPECT_EQ(*printed, "[]False");
}

TEST(TemplateEngine, InvalidUtf8IsRefused) {
  auto parsed = Template::parse("abc\xff\xfe");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("UTF-8"), std::string::npos);
  EXPECT_FALSE(Template::parse("{{ '\\ud800' }}").ok());
}

TEST(TemplateEngine, RendersAreIndependentAndRepeatable) {
  auto parsed = Template::parse(
      "{% set ns = namespace(n=0) %}{% for x in items %}{% set ns.n = ns.n + x %}{% endfor %}{{ ns.n }}");
  ASSERT_TRUE(parsed.ok());
  std::vector<Value> items = {Value::integer(1), Value::integer(2), Value::integer(3)};
  for (int round = 0; round < 3; ++round) {
    auto result = parsed->render({{"items", Value::sequence(items)}});
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(*result, "6");
  }
}

TEST(TemplateEngine, ConcurrentRendersAgree) {
  auto parsed = Template::parse("{% for i in range(200) %}{{ i|string|center(5) }}{% endfor %}{{ name|upper }}");
  ASSERT_TRUE(parsed.ok());
  auto expected = parsed->render({{"name", Value::string("x")}});
  ASSERT_TRUE(expected.ok());
  std::vector<std::thread> threads;
  std::vector<std::string> outputs(4);
  for (size_t idx = 0; idx < outputs.size(); ++idx) {
    threads.emplace_back([&, idx] {
      for (int round = 0; round < 20; ++round) {
        auto result = parsed->render({{"name", Value::string("x")}});
        outputs[idx] = result.ok() ? *result : result.status().message();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (const std::string& output : outputs) EXPECT_EQ(output, *expected);
}

TEST(TemplateEngine, StrftimeNowUsesTheInjectedClock) {
  TemplateOptions options;
  options.clock = [] {
    std::tm when{};
    when.tm_year = 124;
    when.tm_mon = 1;
    when.tm_mday = 29;
    when.tm_wday = 4;
    return when;
  };
  auto parsed = Template::parse("{{ strftime_now('%Y-%m-%d %A') }}", options);
  ASSERT_TRUE(parsed.ok());
  auto result = parsed->render({});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(*result, "2024-02-29 Thursday");
  auto with_system_clock = render("{{ strftime_now('%Y')|int > 2000 }}");
  ASSERT_TRUE(with_system_clock.ok());
  EXPECT_EQ(*with_system_clock, "True");
}

TEST(TemplateEngine, IntegersBeyond64BitsAreAClearError) {
  EXPECT_NE(error_of("{{ 9223372036854775807 + 1 }}").find("64-bit"), std::string::npos);
  EXPECT_NE(error_of("{{ 2 ** 64 }}").find("64-bit"), std::string::npos);
  EXPECT_NE(error_of("{{ 99999999999999999999 }}").find("64 bits"), std::string::npos);
}

TEST(TemplateEngine, VariablesShadowGlobals) {
  auto result = render("{{ range }}", {{"range", Value::string("mine")}});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(*result, "mine");
}

}  // namespace
}  // namespace fovea::text::jinja
