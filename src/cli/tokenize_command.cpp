// `fovea tokenize --model MODEL_DIR`: text on stdin to token ids (one JSON array), or with --decode a JSON array of
// ids on stdin to text (printed exactly, no newline added), with the model folder's tokenizer.json.
// Must not contain tokenizer logic.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/command_registry.h"
#include "text/tokenizer.h"

namespace fovea::cli {
namespace {

std::string read_stdin() {
  std::ios::sync_with_stdio(false);
  return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

base::Result<std::vector<int32_t>> parse_ids(const std::string& input) {
  nlohmann::json ids;
  try {
    ids = nlohmann::json::parse(input);
  } catch (const nlohmann::json::exception& error) {
    return base::invalid_argument("--decode reads a JSON array of token ids on stdin, but it is not JSON: {}",
                                  error.what());
  }
  if (!ids.is_array()) return base::invalid_argument("--decode reads a JSON array of token ids on stdin");
  std::vector<int32_t> out;
  out.reserve(ids.size());
  for (size_t idx = 0; idx < ids.size(); ++idx) {
    const nlohmann::json& id = ids[idx];
    bool in_range =
        (id.is_number_unsigned() && id.get<uint64_t>() <= std::numeric_limits<int32_t>::max()) ||
        (id.is_number_integer() && id.get<int64_t>() >= 0 && id.get<int64_t>() <= std::numeric_limits<int32_t>::max());
    if (!in_range) {
      return base::invalid_argument("element {} of the id array is {}, not a token id (a non-negative integer)", idx,
                                    id.dump());
    }
    out.push_back(static_cast<int32_t>(id.get<int64_t>()));
  }
  return out;
}

class TokenizeCommand : public Command {
 public:
  void configure(CLI::App& app) override {
    app.add_option("--model", model_dir_, "Model folder with tokenizer.json")->required();
    app.add_flag("--add-special-tokens", add_special_tokens_,
                 "Apply the tokenizer's post-processor (special tokens around the text; Qwen3 adds none)");
    CLI::Option* decode = app.add_flag("--decode", decode_, "Read a JSON array of ids on stdin and print the text");
    app.add_flag("--skip-special-tokens", skip_special_tokens_, "With --decode: leave out special tokens")
        ->needs(decode);
  }

  int run() override {
    auto tokenizer = text::Tokenizer::load_file(model_dir_ + "/tokenizer.json");
    if (!tokenizer.ok()) return report_error(tokenizer.status());
    std::string input = read_stdin();
    if (decode_) {
      auto ids = parse_ids(input);
      if (!ids.ok()) return report_error(ids.status());
      auto decoded = (*tokenizer)->decode(*ids, skip_special_tokens_);
      if (!decoded.ok()) return report_error(decoded.status());
      std::fwrite(decoded->data(), 1, decoded->size(), stdout);
      return 0;
    }
    auto ids = (*tokenizer)->encode(input, add_special_tokens_);
    if (!ids.ok()) return report_error(ids.status());
    std::string out = "[";
    for (size_t idx = 0; idx < ids->size(); ++idx) {
      if (idx > 0) out += ',';
      out += std::to_string((*ids)[idx]);
    }
    out += "]\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
  }

 private:
  std::string model_dir_;
  bool add_special_tokens_ = false;
  bool decode_ = false;
  bool skip_special_tokens_ = false;
};

}  // namespace

FOVEA_REGISTER_COMMAND(TokenizeCommand, "tokenize", "token ids of text on stdin, or the text of ids (--decode)");

}  // namespace fovea::cli
