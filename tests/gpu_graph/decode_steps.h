// Test-local helpers of the decode graph tests: the host arrays of a varlen step over B sequences laid out as
// ModelRunner lays them out (sequence b owns cache blocks [b * kMaxBlocksPerSeq, ...)), a forward that returns
// the logits on the host (expecting the calls to succeed), and the relative error. Must not contain assertions on
// the logits.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "model/decoder_step.h"
#include "model/kv_cache.h"
#include "model/text_decoder.h"

namespace fovea::model::testing {

inline std::string source_dir() {
  const char* env = std::getenv("FOVEA_SOURCE_DIR");
  return env != nullptr && *env != '\0' ? env : FOVEA_SOURCE_DIR;
}

inline constexpr int64_t kBlockSize = 4;       // small, so a few decode steps cross block-table width buckets
inline constexpr int64_t kMaxBlocksPerSeq = 16;
inline constexpr int64_t kMaxSeqs = 64;
inline constexpr int kNumDecodeSteps = 10;

// Host arrays of one step over B sequences; sequence b owns blocks [b * kMaxBlocksPerSeq, ...).
struct HostStep {
  std::vector<int32_t> token_ids, positions, slot_mapping, query_start_loc, seq_lens, block_tables, logits_rows;
  DecoderStep step;
};

// Tokens [begin_b, begin_b + new_tokens_b) of every sequence; the block table is as wide as the longest needs.
inline HostStep make_step(const std::vector<std::vector<int32_t>>& tokens, const std::vector<int64_t>& begins,
                          bool mrope) {
  HostStep h;
  const size_t num_seqs = tokens.size();
  int64_t width = 1;
  int max_query_len = 0;
  int max_seq_len = 0;
  int64_t num_tokens = 0;
  for (size_t b = 0; b < num_seqs; ++b) {
    const auto end = static_cast<int64_t>(tokens[b].size());
    width = std::max(width, (end + kBlockSize - 1) / kBlockSize);
    max_query_len = std::max(max_query_len, static_cast<int>(end - begins[b]));
    max_seq_len = std::max(max_seq_len, static_cast<int>(end));
    num_tokens += end - begins[b];
  }
  h.positions.assign(static_cast<size_t>((mrope ? 3 : 1) * num_tokens), 0);
  h.query_start_loc.push_back(0);
  h.block_tables.assign(num_seqs * static_cast<size_t>(width), 0);
  for (size_t b = 0; b < num_seqs; ++b) {
    const auto end = static_cast<int64_t>(tokens[b].size());
    for (int64_t t = begins[b]; t < end; ++t) {
      const auto row = static_cast<int64_t>(h.token_ids.size());
      h.token_ids.push_back(tokens[b][static_cast<size_t>(t)]);
      for (int64_t axis = 0; axis < (mrope ? 3 : 1); ++axis) {
        h.positions[static_cast<size_t>(axis * num_tokens + row)] = static_cast<int32_t>(t);
      }
      const int64_t block = static_cast<int64_t>(b) * kMaxBlocksPerSeq + t / kBlockSize;
      h.slot_mapping.push_back(static_cast<int32_t>(block * kBlockSize + t % kBlockSize));
    }
    h.query_start_loc.push_back(static_cast<int32_t>(h.token_ids.size()));
    h.seq_lens.push_back(static_cast<int32_t>(end));
    for (int64_t j = 0; j < width; ++j) {
      h.block_tables[b * static_cast<size_t>(width) + static_cast<size_t>(j)] =
          static_cast<int32_t>(static_cast<int64_t>(b) * kMaxBlocksPerSeq + j);
    }
    h.logits_rows.push_back(static_cast<int32_t>(h.token_ids.size() - 1));
  }
  h.step.token_ids = h.token_ids;
  h.step.positions = h.positions;
  h.step.slot_mapping = h.slot_mapping;
  h.step.query_start_loc = h.query_start_loc;
  h.step.seq_lens = h.seq_lens;
  h.step.block_tables = h.block_tables;
  h.step.blocks_per_seq = width;
  h.step.max_query_len = max_query_len;
  h.step.max_seq_len = max_seq_len;
  h.step.logits_rows = h.logits_rows;
  return h;
}

inline std::vector<float> run(backend::Backend& backend, TextDecoder& decoder, DecodeGraphMode mode,
                              const HostStep& h, const KvCache& cache) {
  decoder.set_decode_graph_mode(mode);
  auto logits = decoder.forward(h.step, cache);
  EXPECT_TRUE(logits.ok()) << logits.status().to_string();
  if (!logits.ok()) return {};
  std::vector<float> host(static_cast<size_t>(logits->numel()));
  EXPECT_TRUE(backend.copy_to_host(backend.default_stream(), *logits, host.data()).ok());
  EXPECT_TRUE(backend.synchronize(backend.default_stream()).ok());
  return host;
}

// num_seqs random prompts of 3-14 token ids below vocab.
inline std::vector<std::vector<int32_t>> random_prompts(std::mt19937& rng, int64_t num_seqs, int32_t vocab) {
  std::vector<std::vector<int32_t>> tokens(static_cast<size_t>(num_seqs));
  for (auto& seq : tokens) {
    seq.resize(std::uniform_int_distribution<size_t>(3, 14)(rng));
    for (int32_t& id : seq) id = std::uniform_int_distribution<int32_t>(0, vocab - 1)(rng);
  }
  return tokens;
}

inline double relative_error(const std::vector<float>& actual, const std::vector<float>& expected) {
  double max_diff = 0.0;
  double max_ref = 0.0;
  for (size_t idx = 0; idx < expected.size(); ++idx) {
    max_diff = std::max(max_diff, std::fabs(static_cast<double>(actual[idx]) - expected[idx]));
    max_ref = std::max(max_ref, std::fabs(static_cast<double>(expected[idx])));
  }
  return max_ref == 0.0 ? max_diff : max_diff / max_ref;
}

}  // namespace fovea::model::testing
