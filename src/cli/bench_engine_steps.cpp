// The synthetic decoder steps of `fovea bench-engine` (see bench_engine_steps.h). Host arrays only: no device work,
// no timing.
#include "cli/bench_engine_steps.h"

namespace fovea::cli::bench_engine {

model::DecoderStep StepArrays::step() const {
  model::DecoderStep step;
  step.token_ids = token_ids;
  step.positions = positions;
  step.slot_mapping = slot_mapping;
  step.query_start_loc = query_start_loc;
  step.seq_lens = seq_lens;
  step.block_tables = block_tables;
  step.blocks_per_seq = blocks_per_seq;
  step.max_query_len = max_query_len;
  step.max_seq_len = max_seq_len;
  step.logits_rows = logits_rows;
  return step;
}

StepArrays make_step(int64_t num_seqs, int64_t num_cached, int64_t num_new, int64_t blocks_per_seq, int64_t block_size,
                     bool mrope, int64_t vocab_size, std::mt19937& rng) {
  StepArrays arrays;
  arrays.blocks_per_seq = blocks_per_seq;
  std::uniform_int_distribution<int32_t> token(0, static_cast<int32_t>(vocab_size - 1));
  std::vector<int32_t> text_positions;
  for (int64_t seq = 0; seq < num_seqs; ++seq) {
    for (int64_t pos = num_cached; pos < num_cached + num_new; ++pos) {
      arrays.token_ids.push_back(token(rng));
      text_positions.push_back(static_cast<int32_t>(pos));
      const int64_t block = seq * blocks_per_seq + pos / block_size;
      arrays.slot_mapping.push_back(static_cast<int32_t>(block * block_size + pos % block_size));
    }
    arrays.query_start_loc.push_back(static_cast<int32_t>(arrays.token_ids.size()));
    arrays.seq_lens.push_back(static_cast<int32_t>(num_cached + num_new));
    arrays.logits_rows.push_back(static_cast<int32_t>(arrays.token_ids.size() - 1));
    for (int64_t col = 0; col < blocks_per_seq; ++col) {
      arrays.block_tables.push_back(static_cast<int32_t>(seq * blocks_per_seq + col));
    }
  }
  for (int axis = 0; axis < (mrope ? 3 : 1); ++axis) {
    arrays.positions.insert(arrays.positions.end(), text_positions.begin(), text_positions.end());
  }
  arrays.max_query_len = static_cast<int>(num_new);
  arrays.max_seq_len = static_cast<int>(num_cached + num_new);
  return arrays;
}

}  // namespace fovea::cli::bench_engine
