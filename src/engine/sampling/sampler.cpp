// The batched host sampler (see sampler.h): per row, vLLM's v1 order — raw logprobs, min_tokens mask, logit_bias,
// penalties, then greedy argmax, or temperature, min_p, top-k/top-p and one inverse-CDF draw from the row's
// SequenceRng at its output position. Must not contain the transforms themselves (logits_processing.cpp).
#include "engine/sampling/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "engine/sampling/logits_processing.h"
#include "engine/sampling/sequence_rng.h"

namespace fovea::engine {
namespace {

constexpr float kMasked = -std::numeric_limits<float>::infinity();

// log(sum(exp(logits))) over the finite entries, in double.
double log_sum_exp(std::span<const float> logits) {
  float max_logit = kMasked;
  for (float logit : logits) max_logit = std::max(max_logit, logit);
  if (max_logit == kMasked) return -std::numeric_limits<double>::infinity();
  double total = 0.0;
  for (float logit : logits) total += std::exp(static_cast<double>(logit) - max_logit);
  return max_logit + std::log(total);
}

// The `num_top` highest logits, highest first, ties by lower id.
std::vector<int32_t> top_ids(std::span<const float> logits, int32_t num_top) {
  size_t count = std::min(static_cast<size_t>(std::max(num_top, 0)), logits.size());
  auto better = [&](int32_t a, int32_t b) {
    float la = logits[static_cast<size_t>(a)];
    float lb = logits[static_cast<size_t>(b)];
    return la != lb ? la > lb : a < b;
  };
  std::vector<int32_t> heap;  // min-heap under `better`: the worst kept id on top
  heap.reserve(count + 1);
  for (size_t idx = 0; idx < logits.size() && count > 0; ++idx) {
    auto id = static_cast<int32_t>(idx);
    if (heap.size() < count) {
      heap.push_back(id);
      std::push_heap(heap.begin(), heap.end(), better);
    } else if (better(id, heap.front())) {
      std::pop_heap(heap.begin(), heap.end(), better);
      heap.back() = id;
      std::push_heap(heap.begin(), heap.end(), better);
    }
  }
  std::sort(heap.begin(), heap.end(), better);
  return heap;
}

void fill_logprobs(std::span<const float> logits, int32_t token_id, int32_t num_top, SampleOutput& out) {
  double lse = log_sum_exp(logits);
  float token_logit = logits[static_cast<size_t>(token_id)];
  out.has_logprobs = true;
  out.logprob = static_cast<float>(token_logit - lse);
  out.rank = std::count_if(logits.begin(), logits.end(), [&](float logit) { return logit >= token_logit; });
  for (int32_t id : top_ids(logits, num_top)) {
    out.top_logprobs.push_back({id, static_cast<float>(logits[static_cast<size_t>(id)] - lse)});
  }
}

int32_t argmax(std::span<const float> logits) {
  return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

// Inverse CDF over `candidates` in their order, at uniform u in [0, 1).
int32_t draw(std::span<const float> logits, std::span<const int32_t> candidates, double u) {
  float max_logit = kMasked;
  for (int32_t id : candidates) max_logit = std::max(max_logit, logits[static_cast<size_t>(id)]);
  double total = 0.0;
  for (int32_t id : candidates) total += std::exp(static_cast<double>(logits[static_cast<size_t>(id)]) - max_logit);
  double target = u * total;
  double running = 0.0;
  for (int32_t id : candidates) {
    running += std::exp(static_cast<double>(logits[static_cast<size_t>(id)]) - max_logit);
    if (running > target) return id;
  }
  return candidates.back();
}

base::Status sample_row(std::span<const float> raw, const SamplerRow& row, int64_t row_idx, LogprobsMode mode,
                        std::vector<float>& work, PenaltyScratch& scratch, SampleOutput& out) {
  const SamplingParams& params = *row.params;
  work.assign(raw.begin(), raw.end());
  std::span<float> logits(work);
  bool any_finite = false;
  for (float& logit : logits) {
    if (std::isnan(logit)) logit = kMasked;
    any_finite = any_finite || std::isfinite(logit);
  }
  if (!any_finite) {
    return base::internal_error("row {} of the logits has no finite value; the model produced NaN or infinities.",
                                row_idx);
  }
  bool wants_logprobs = params.logprobs.has_value();

  if (static_cast<int64_t>(row.output_token_ids.size()) < params.min_tokens) {
    apply_stop_mask(logits, params.all_stop_token_ids);
  }
  apply_logit_bias(logits, params.logit_bias);
  if (params.has_penalties()) {
    apply_penalties(logits, row.prompt_token_ids, row.output_token_ids, params.repetition_penalty,
                    params.frequency_penalty, params.presence_penalty, scratch);
  }

  if (params.is_greedy()) {
    out.token_id = argmax(logits);
  } else {
    apply_temperature(logits, params.temperature);
    apply_min_p(logits, params.min_p);
    std::vector<int32_t> candidates = apply_top_k_top_p(logits, params.top_k, params.top_p);
    if (candidates.empty()) {
      return base::internal_error("row {} of the logits has nothing left to sample after masking.", row_idx);
    }
    SequenceRng rng(row.seed);
    out.token_id = draw(logits, candidates, rng.uniform(row.output_token_ids.size()));
  }

  if (wants_logprobs) {
    if (mode == LogprobsMode::kRawLogprobs) {
      // Raw: the model's row, only NaN sanitized (the work row was overwritten by the transforms).
      work.assign(raw.begin(), raw.end());
      for (float& logit : work) {
        if (std::isnan(logit)) logit = kMasked;
      }
    }
    fill_logprobs(work, out.token_id, *params.logprobs, out);
  }
  return base::Status::ok_status();
}

}  // namespace

base::Result<std::vector<SampleOutput>> Sampler::sample(std::span<const float> logits, int64_t vocab_size,
                                                        std::span<const SamplerRow> rows) const {
  auto num_rows = static_cast<int64_t>(rows.size());
  if (vocab_size <= 0 || static_cast<int64_t>(logits.size()) != num_rows * vocab_size) {
    return base::internal_error(
        "the sampler got {} logits for {} rows of vocabulary {}; the runner must pass "
        "[rows, vocab] logits.",
        logits.size(), num_rows, vocab_size);
  }
  for (int64_t row_idx = 0; row_idx < num_rows; ++row_idx) {
    if (rows[static_cast<size_t>(row_idx)].params == nullptr) {
      return base::internal_error("sampler row {} has no sampling parameters.", row_idx);
    }
  }
  std::vector<SampleOutput> outputs(rows.size());
  std::vector<base::Status> statuses(rows.size());
  auto run_rows = [&](int64_t begin, int64_t end) {
    std::vector<float> work;
    PenaltyScratch scratch;
    for (int64_t row_idx = begin; row_idx < end; ++row_idx) {
      auto raw = logits.subspan(static_cast<size_t>(row_idx * vocab_size), static_cast<size_t>(vocab_size));
      statuses[static_cast<size_t>(row_idx)] =
          sample_row(raw, rows[static_cast<size_t>(row_idx)], row_idx, logprobs_mode_, work, scratch,
                     outputs[static_cast<size_t>(row_idx)]);
    }
  };
  if (pool_ != nullptr && num_rows > 1) {
    pool_->parallel_for(num_rows, run_rows);
  } else {
    run_rows(0, num_rows);
  }
  for (const base::Status& status : statuses) {
    if (!status.ok()) return status;
  }
  return outputs;
}

}  // namespace fovea::engine
