// The jsonl dataset: one OpenAI chat request per line ({"messages": [...], "max_completion_tokens" or
// "max_tokens"}). image_url parts may hold http(s) or data: URLs, which go to the server unchanged, or a local
// path (absolute, relative to the jsonl file, or file://), which is read and sent as a data: URL.
// Must not contain HTTP.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "bench/bench_request.h"

namespace fovea::bench {

// `default_output_len_tokens` is used for lines without a max token field (0: leave it to the server). Errors name
// the file and line.
base::Result<std::vector<BenchRequest>> load_jsonl_dataset(const std::string& path, int64_t default_output_len_tokens);

// One line's request (exposed for tests); `base_dir` resolves relative image paths.
base::Result<BenchRequest> parse_jsonl_request(std::string_view line, const std::string& base_dir,
                                               int64_t default_output_len_tokens);

}  // namespace fovea::bench
