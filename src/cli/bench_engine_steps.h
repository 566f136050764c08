// The host arrays of one `fovea bench-engine` decoder step (token ids, positions, slots, block tables) and the
// synthetic text steps the timings and the greedy check feed the decoder. No device work and no timing here.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "model/model.h"

namespace fovea::cli::bench_engine {

// The host arrays of one decoder step; the spans of the DecoderStep point into them.
struct StepArrays {
  std::vector<int32_t> token_ids;
  std::vector<int32_t> positions;
  std::vector<int32_t> slot_mapping;
  std::vector<int32_t> query_start_loc{0};
  std::vector<int32_t> seq_lens;
  std::vector<int32_t> block_tables;
  std::vector<int32_t> logits_rows;
  int64_t blocks_per_seq = 1;
  int max_query_len = 0;
  int max_seq_len = 0;

  model::DecoderStep step() const;
};

// `num_seqs` text sequences with `num_cached` tokens each already in the cache and `num_new` new ones; sequence b
// owns cache blocks [b * blocks_per_seq, (b + 1) * blocks_per_seq). Logits of every sequence's last token. Text
// positions are the token index on every rotary axis (mrope of text without images).
StepArrays make_step(int64_t num_seqs, int64_t num_cached, int64_t num_new, int64_t blocks_per_seq, int64_t block_size,
                     bool mrope, int64_t vocab_size, std::mt19937& rng);

}  // namespace fovea::cli::bench_engine
