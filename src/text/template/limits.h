// Limits that make a hostile chat template fail with a clear error instead of hanging or exhausting memory:
// evaluation steps, output and value sizes, total bytes built, recursion and nesting depth.
// Must not contain anything but the limit values.
#pragma once

#include <cstdint>

namespace fovea::text::jinja {

struct TemplateLimits {
  // Work units: one per expression, statement and loop iteration, plus one per item or 64 bytes that a filter,
  // method or operator walks over.
  uint64_t max_steps = 20'000'000;
  uint64_t max_output_bytes = uint64_t{32} << 20;  // the rendered text
  uint64_t max_string_bytes = uint64_t{32} << 20;  // any one string a template builds
  uint64_t max_items = uint64_t{1} << 20;          // any one list, dict or range a template builds
  // All strings and list items built during one render, added up: bounds memory even when each is small.
  uint64_t max_allocated_bytes = uint64_t{1} << 30;
  uint32_t max_call_depth = 100;  // nested macro calls, caller() and recursive loops
  // Nesting of containers in values (input JSON included) and of expressions and blocks in the source.
  uint32_t max_nesting_depth = 200;
};

}  // namespace fovea::text::jinja
