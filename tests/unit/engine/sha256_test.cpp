// base::Sha256 and hash_block against hashlib's vectors (tools/golden/make_engine_core_golden.py), one-shot and streamed.
#include "base/sha256.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "engine/core/block_hash.h"

namespace fovea::engine {
namespace {

std::vector<uint8_t> from_hex(const std::string& hex) {
  std::vector<uint8_t> out;
  if (hex == "-") return out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

base::Sha256Digest digest_from_hex(const std::string& hex) {
  const std::vector<uint8_t> bytes = from_hex(hex);
  base::Sha256Digest out{};
  EXPECT_EQ(bytes.size(), out.size()) << hex;
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> out;
  std::stringstream stream(text);
  for (std::string part; std::getline(stream, part, separator);) out.push_back(part);
  return out;
}

std::vector<std::string> read_lines(const std::string& name) {
  std::ifstream file(std::string(FOVEA_SOURCE_DIR) + "/tests/unit/engine/data/" + name);
  EXPECT_TRUE(file.good()) << "missing fixture " << name << "; run tools/golden/make_engine_core_golden.py";
  std::vector<std::string> lines;
  for (std::string line; std::getline(file, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

TEST(Sha256Test, MatchesHashlibOneShotAndStreamed) {
  const std::vector<std::string> lines = read_lines("sha256_vectors.txt");
  ASSERT_GE(lines.size(), 10u);
  std::mt19937 rng(7);
  for (const std::string& line : lines) {
    const std::vector<std::string> fields = split(line, ' ');
    ASSERT_EQ(fields.size(), 2u) << line;
    const std::vector<uint8_t> input = from_hex(fields[0]);
    EXPECT_EQ(to_hex(base::Sha256::digest(input)), fields[1]) << "input of " << input.size() << " bytes";
    // The same bytes in random pieces must give the same digest.
    base::Sha256 streamed;
    size_t offset = 0;
    while (offset < input.size()) {
      const size_t piece = std::min<size_t>(input.size() - offset, rng() % 70);
      streamed.update(std::span<const uint8_t>(input).subspan(offset, piece));
      offset += piece;
    }
    EXPECT_EQ(to_hex(streamed.finish()), fields[1]) << "streamed input of " << input.size() << " bytes";
  }
}

TEST(BlockHashTest, MatchesTheDocumentedSerialization) {
  const std::vector<std::string> lines = read_lines("block_hash_vectors.txt");
  ASSERT_GE(lines.size(), 5u);
  EXPECT_EQ(to_hex(root_block_hash()), split(lines[0], ' ')[0]);
  for (const std::string& line : lines) {
    const std::vector<std::string> fields = split(line, ' ');
    ASSERT_EQ(fields.size(), 5u) << line;
    std::vector<int32_t> tokens;
    for (const std::string& token : split(fields[1], ',')) tokens.push_back(std::stoi(token));
    std::vector<BlockImageKey> images;
    if (fields[2] != "-") {
      for (const std::string& image : split(fields[2], ',')) {
        const std::vector<std::string> parts = split(image, '@');
        images.push_back({digest_from_hex(parts[0]), std::stoll(parts[1])});
      }
    }
    const std::vector<uint8_t> salt = from_hex(fields[3]);
    const BlockHash hash = hash_block(digest_from_hex(fields[0]), tokens, images,
                                      std::string_view(reinterpret_cast<const char*>(salt.data()), salt.size()));
    EXPECT_EQ(to_hex(hash), fields[4]) << line.substr(0, 80);
  }
}

TEST(BlockHashTest, EveryFieldChangesTheHash) {
  const BlockHash parent = root_block_hash();
  const std::vector<int32_t> tokens = {1, 2, 3, 4};
  const ContentHash image_a = base::Sha256::digest(std::vector<uint8_t>{1});
  const ContentHash image_b = base::Sha256::digest(std::vector<uint8_t>{2});
  const std::vector<BlockImageKey> with_a = {{image_a, 0}};
  const BlockHash base = hash_block(parent, tokens, with_a, "");
  EXPECT_NE(base, hash_block(parent, tokens, {}, ""));
  EXPECT_NE(base, hash_block(parent, tokens, std::vector<BlockImageKey>{{image_b, 0}}, ""));
  EXPECT_NE(base, hash_block(parent, tokens, std::vector<BlockImageKey>{{image_a, -1}}, ""));
  EXPECT_NE(base, hash_block(parent, tokens, with_a, "salt"));
  EXPECT_NE(base, hash_block(base, tokens, with_a, ""));
  EXPECT_NE(base, hash_block(parent, std::vector<int32_t>{1, 2, 3, 5}, with_a, ""));
  EXPECT_EQ(base, hash_block(parent, tokens, with_a, ""));
}

}  // namespace
}  // namespace fovea::engine
