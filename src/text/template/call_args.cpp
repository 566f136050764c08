// Python-style binding of positional and keyword arguments to parameters.
#include "text/template/call_args.h"

namespace fovea::text::jinja {

base::Result<std::vector<Value>> bind_args(std::string_view what, const CallArgs& args,
                                           std::initializer_list<ParamSpec> params) {
  if (args.positional.size() > params.size()) {
    return base::invalid_argument("{} takes at most {} argument(s) but {} were given", what, params.size(),
                                  args.positional.size());
  }
  std::vector<Value> bound;
  std::vector<bool> given(params.size(), false);
  bound.reserve(params.size());
  for (const ParamSpec& param : params) bound.push_back(param.default_value);
  for (size_t idx = 0; idx < args.positional.size(); ++idx) {
    bound[idx] = args.positional[idx];
    given[idx] = true;
  }
  for (const auto& [name, value] : args.keywords) {
    size_t idx = 0;
    for (const ParamSpec& param : params) {
      if (param.name == name) break;
      ++idx;
    }
    if (idx == params.size()) return base::invalid_argument("{} got an unexpected keyword argument '{}'", what, name);
    if (given[idx]) return base::invalid_argument("{} got multiple values for argument '{}'", what, name);
    bound[idx] = value;
    given[idx] = true;
  }
  size_t idx = 0;
  for (const ParamSpec& param : params) {
    if (param.required && !given[idx]) {
      return base::invalid_argument("{} is missing its required argument '{}'", what, param.name);
    }
    ++idx;
  }
  return bound;
}

}  // namespace fovea::text::jinja
