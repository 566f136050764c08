// Fixture reading for the tokenizer golden tests.
// Must not contain assertions.
#include "golden_cases.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace fovea::text::golden {

std::string shared_tokenizer_path() { return std::string(FOVEA_SHARED_ASSETS) + "/qwen3-tokenizer/tokenizer.json"; }

std::string fixture_path(const std::string& name) {
  return std::string(FOVEA_SOURCE_DIR) + "/tests/golden/tokenizer/" + name;
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

Fixture load_fixture(const std::string& name) {
  std::ifstream in(fixture_path(name), std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + fixture_path(name));
  Fixture fixture;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    nlohmann::json value = nlohmann::json::parse(line);
    if (value.contains("meta")) {
      fixture.meta = value["meta"];
    } else {
      fixture.lines.push_back(std::move(value));
    }
  }
  return fixture;
}

std::vector<EncodeCase> load_encode_cases(const std::string& name) {
  std::vector<EncodeCase> cases;
  for (const nlohmann::json& line : load_fixture(name).lines) {
    EncodeCase c;
    c.text = line.at("text").get<std::string>();
    c.ids = line.at("ids").get<std::vector<int32_t>>();
    c.ids_with_special =
        line.contains("ids_with_special") ? line["ids_with_special"].get<std::vector<int32_t>>() : c.ids;
    c.decoded = line.contains("decoded") ? line["decoded"].get<std::string>() : c.text;
    c.decoded_skip = line.contains("decoded_skip") ? line["decoded_skip"].get<std::string>() : c.decoded;
    cases.push_back(std::move(c));
  }
  return cases;
}

}  // namespace fovea::text::golden
