// Properties of the split scanner (the golden tests compare its output with Hugging Face): the pieces tile the
// text, and adversarial inputs that make backtracking engines quadratic stay linear.
#include "text/pre_tokenizer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <string>

#include "text/utf8.h"

namespace fovea::text {
namespace {

void expect_tiling(const std::string& text) {
  std::vector<std::string_view> words;
  PreTokenizer().split(text, words);
  size_t pos = 0;
  for (std::string_view word : words) {
    ASSERT_FALSE(word.empty());
    ASSERT_EQ(word.data(), text.data() + pos);
    ASSERT_EQ(find_invalid_utf8(word), kNoInvalidByte);
    pos += word.size();
  }
  EXPECT_EQ(pos, text.size());
}

TEST(PreTokenizerTest, PiecesTileRandomText) {
  std::mt19937 rng(7);
  const char32_t alphabet[] = {U'a',      U'Z',      U'1',          U' ',      U'\t',     U'\n',
                               U'\r',     U'\'',     U's',          U'!',      U'\u00A0', U'\u3000',
                               U'\u4E2D', U'\u0301', U'\U0001F600', U'\u017F', U'\u2028', U'\u0663'};
  for (int iteration = 0; iteration < 2000; ++iteration) {
    std::string text;
    int length = static_cast<int>(rng() % 40);
    for (int i = 0; i < length; ++i) append_utf8(text, alphabet[rng() % std::size(alphabet)]);
    expect_tiling(text);
  }
}

TEST(PreTokenizerTest, AdversarialInputsStayLinear) {
  constexpr size_t kBytes = 1 << 20;
  std::vector<std::string> inputs = {std::string(kBytes, ' ') + "x", std::string(kBytes, ' '),
                                     std::string(kBytes, '!') + "a", std::string(kBytes, '\''),
                                     std::string(kBytes, 'a')};
  std::string mixed;
  while (mixed.size() < kBytes) mixed += " \t\r\n\xC2\xA0";
  inputs.push_back(mixed + "x");
  for (const std::string& text : inputs) {
    auto start = std::chrono::steady_clock::now();
    expect_tiling(text);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    // Linear work is milliseconds; quadratic would be hours. The bound allows for sanitizer builds.
    EXPECT_LT(seconds, 5.0);
  }
}

}  // namespace
}  // namespace fovea::text
