// Parses a Hugging Face tokenizer.json into a TokenizerSpec, accepting only what fovea implements exactly
// (NFC normalizer, the Qwen2 Split + ByteLevel pre-tokenizer, byte-level BPE, ByteLevel decoder, ByteLevel or
// TemplateProcessing post-processor) and naming any other feature in a clear error. Must not contain encoding.
#pragma once

#include <string_view>

#include "base/status.h"
#include "text/tokenizer_spec.h"

namespace fovea::text {

// `json_text` is the whole file; errors name the JSON field at fault.
base::Result<TokenizerSpec> parse_tokenizer_json(std::string_view json_text);

}  // namespace fovea::text
