// vLLM flags that fovea does not implement, so that they get "not supported by fovea" (or "accepted, no effect")
// instead of "unknown flag". A curated set carries a reason and, for the accepted ones, the values fovea can
// honestly ignore; every other vLLM 0.33 flag name (and a few removed ones older profiles still carry) is refused
// with a generic line. Must not contain flags fovea implements (serve_flags.h).
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "serve/serve_flags.h"

namespace fovea::serve {

enum class ForeignFlagHandling {
  kIgnored,  // accepted with a note: it has no effect in fovea
  kRefused,  // an error line: fovea does not support it
};

struct ForeignFlag {
  std::string_view name;  // without dashes
  FlagArity arity;        // how many tokens it consumes (so an ignored one is skipped cleanly)
  ForeignFlagHandling handling;
  std::string_view reason;
  // For kIgnored flags that fovea can only ignore for some values: those values ("1", "mp"); for switches "on" or
  // "off". Empty: every value is fine. Another value is refused with `reason`.
  std::vector<std::string_view> ignorable_values;
};

// The curated entry, or a generic kRefused entry for any other known vLLM flag name; nullopt if vLLM has no such
// flag either. Short names (single dash, e.g. "pp", "O") are looked up with `short_form`.
std::optional<ForeignFlag> find_vllm_flag(std::string_view name, bool short_form);

// All names of the catalog (for "did you mean" suggestions after fovea's own flags).
std::vector<std::string_view> vllm_flag_names();

}  // namespace fovea::serve
