// Loading tokenizer.json: the tiny tokenizer loads and round-trips; every unsupported feature and malformed field
// is a clear error that names it, never a crash.
#include <gtest/gtest.h>

#include <string>

#include "text/tokenizer.h"
#include "tiny_tokenizer.h"

namespace fovea::text {
namespace {

using testing::tiny_id;
using testing::tiny_tokenizer_json;

base::Status load_status(const nlohmann::json& config) { return Tokenizer::from_json(config.dump()).status(); }

void expect_error(const nlohmann::json& config, const std::string& mentions) {
  base::Status status = load_status(config);
  ASSERT_FALSE(status.ok()) << "expected an error mentioning " << mentions;
  EXPECT_NE(status.message().find(mentions), std::string::npos) << status.message();
  EXPECT_EQ(status.message().find('\n'), std::string::npos) << status.message();
}

TEST(TokenizerJsonTest, TinyTokenizerEncodesAndDecodes) {
  auto tokenizer = Tokenizer::from_json(tiny_tokenizer_json().dump());
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().message();
  auto ids = (*tokenizer)->encode("hello world<|end|>", false);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, (std::vector<int32_t>{tiny_id("hello"), tiny_id("Ġworld"), tiny_id("<|end|>")}));
  EXPECT_EQ(*(*tokenizer)->decode(*ids, false), "hello world<|end|>");
  EXPECT_EQ(*(*tokenizer)->decode(*ids, true), "hello world");
  EXPECT_EQ((*tokenizer)->vocab_size(), 256u + 9u + 2u);
  EXPECT_EQ((*tokenizer)->token_to_id("<think>"), tiny_id("<think>"));
  EXPECT_FALSE((*tokenizer)->is_special(tiny_id("<think>")));
}

TEST(TokenizerJsonTest, InvalidUtf8TextIsAnError) {
  auto tokenizer = Tokenizer::from_json(tiny_tokenizer_json().dump());
  ASSERT_TRUE(tokenizer.ok());
  auto ids = (*tokenizer)->encode("ab\xFF", false);
  ASSERT_FALSE(ids.ok());
  EXPECT_EQ(ids.status().code(), base::StatusCode::kInvalidArgument);
  EXPECT_NE(ids.status().message().find("UTF-8"), std::string::npos);
}

TEST(TokenizerJsonTest, UnsupportedFeaturesAreNamed) {
  auto with = [](const std::function<void(nlohmann::json&)>& edit) {
    nlohmann::json config = tiny_tokenizer_json();
    edit(config);
    return config;
  };
  expect_error(with([](auto& c) { c["normalizer"] = {{"type", "NFKC"}}; }), "NFKC");
  expect_error(with([](auto& c) { c["normalizer"] = {{"type", "Lowercase"}}; }), "Lowercase");
  expect_error(with([](auto& c) { c["pre_tokenizer"] = {{"type", "Whitespace"}}; }), "pre_tokenizer");
  expect_error(with([](auto& c) { c["pre_tokenizer"] = nullptr; }), "pre_tokenizer");
  expect_error(with([](auto& c) { c["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "\\s+"; }),
               "split pattern");
  expect_error(with([](auto& c) { c["pre_tokenizer"]["pretokenizers"][0]["behavior"] = "Removed"; }), "Removed");
  expect_error(with([](auto& c) { c["pre_tokenizer"]["pretokenizers"][1]["add_prefix_space"] = true; }),
               "add_prefix_space");
  expect_error(with([](auto& c) { c["model"]["type"] = "WordPiece"; }), "WordPiece");
  expect_error(with([](auto& c) { c["model"]["byte_fallback"] = true; }), "byte_fallback");
  expect_error(with([](auto& c) { c["model"]["dropout"] = 0.1; }), "dropout");
  expect_error(with([](auto& c) { c["model"]["continuing_subword_prefix"] = "##"; }), "continuing_subword_prefix");
  expect_error(with([](auto& c) { c["model"]["end_of_word_suffix"] = "</w>"; }), "end_of_word_suffix");
  expect_error(with([](auto& c) { c["decoder"] = {{"type", "Metaspace"}}; }), "Metaspace");
  expect_error(with([](auto& c) { c["decoder"] = nullptr; }), "decoder");
  expect_error(with([](auto& c) { c["post_processor"] = {{"type", "BertProcessing"}}; }), "BertProcessing");
  expect_error(with([](auto& c) { c["truncation"] = {{"max_length", 8}}; }), "truncation");
  expect_error(with([](auto& c) { c["padding"] = {{"strategy", "BatchLongest"}}; }), "padding");
  expect_error(with([](auto& c) { c["version"] = "2.0"; }), "version");
  // unk_token is accepted only while every byte has a token (then it can never be used).
  EXPECT_TRUE(load_status(with([](auto& c) { c["model"]["unk_token"] = "a"; })).ok());
  expect_error(with([](auto& c) {
                 c["model"]["unk_token"] = "a";
                 c["model"]["vocab"].erase("Ġ");
                 c["model"]["merges"] = nlohmann::json::array();
               }),
               "unk_token");
}

TEST(TokenizerJsonTest, MalformedFieldsAreNamed) {
  auto with = [](const std::function<void(nlohmann::json&)>& edit) {
    nlohmann::json config = tiny_tokenizer_json();
    edit(config);
    return config;
  };
  expect_error(with([](auto& c) { c["model"]["merges"][0] = "h e x"; }), "model.merges[0]");
  expect_error(with([](auto& c) { c["model"]["merges"][1] = {"l"}; }), "model.merges[1]");
  expect_error(with([](auto& c) { c["model"]["merges"][2] = 5; }), "model.merges[2]");
  expect_error(with([](auto& c) { c["model"]["merges"][0] = {"h", "zz"}; }), "zz");
  expect_error(with([](auto& c) { c["model"]["vocab"]["h"] = "seven"; }), "model.vocab");
  expect_error(with([](auto& c) { c["model"]["vocab"]["h"] = -3; }), "model.vocab");
  expect_error(with([](auto& c) { c["model"]["vocab"]["h"] = 1ull << 40; }), "model.vocab");
  expect_error(with([](auto& c) { c["model"]["vocab"]["hx"] = 0; }), "id 0");
  expect_error(with([](auto& c) { c["model"]["vocab"] = nlohmann::json::array(); }), "model.vocab");
  expect_error(with([](auto& c) { c["model"].erase("merges"); }), "model.merges");
  expect_error(with([](auto& c) { c["model"].erase("vocab"); }), "model.vocab");
  expect_error(with([](auto& c) { c["added_tokens"][0]["content"] = 3; }), "added_tokens[0].content");
  expect_error(with([](auto& c) { c["added_tokens"][0].erase("id"); }), "added_tokens[0].id");
  expect_error(with([](auto& c) { c["added_tokens"] = "x"; }), "added_tokens");
  expect_error(with([](auto& c) {
                 c["post_processor"] = {{"type", "TemplateProcessing"},
                                        {"single", {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}}}},
                                        {"special_tokens", nlohmann::json::object()}};
               }),
               "<s>");
  nlohmann::json deep = {{"type", "NFC"}};
  for (int i = 0; i < 100; ++i) deep = {{"type", "Sequence"}, {"normalizers", {deep}}};
  expect_error(with([&](auto& c) { c["normalizer"] = deep; }), "deeply");
  for (const std::string& text : {std::string(""), std::string("{"), std::string("[]"), std::string("null"),
                                  std::string("{\"model\": 5}"), std::string(100000, '[')}) {
    EXPECT_FALSE(Tokenizer::from_json(text).ok()) << text.substr(0, 20);
  }
}

TEST(TokenizerJsonTest, TemplateProcessingAddsSpecialTokens) {
  nlohmann::json config = tiny_tokenizer_json();
  std::string processor = R"({
    "type": "Sequence",
    "processors": [
      {"type": "ByteLevel"},
      {"type": "TemplateProcessing",
       "single": [{"SpecialToken": {"id": "<|end|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
       "special_tokens": {"<|end|>": {"id": "<|end|>", "ids": [ID], "tokens": ["<|end|>"]}}}
    ]})";
  processor.replace(processor.find("ID"), 2, std::to_string(tiny_id("<|end|>")));
  config["post_processor"] = nlohmann::json::parse(processor);
  auto tokenizer = Tokenizer::from_json(config.dump());
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().message();
  EXPECT_EQ(*(*tokenizer)->encode("hello", true), (std::vector<int32_t>{tiny_id("<|end|>"), tiny_id("hello")}));
  EXPECT_EQ(*(*tokenizer)->encode("hello", false), (std::vector<int32_t>{tiny_id("hello")}));
}

TEST(TokenizerJsonTest, MissingFileIsANotFoundError) {
  auto tokenizer = Tokenizer::load_file("/nonexistent/tokenizer.json");
  ASSERT_FALSE(tokenizer.ok());
  EXPECT_NE(tokenizer.status().message().find("/nonexistent/tokenizer.json"), std::string::npos);
}

}  // namespace
}  // namespace fovea::text
