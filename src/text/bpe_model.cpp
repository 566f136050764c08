// Vocabulary and merge loading with the reference's validation, and the cached per-word encoder.
// Must not contain pre-tokenization or added-token handling.
#include "text/bpe_model.h"

#include <atomic>

#include "text/bpe_merger.h"
#include "text/bpe_word_cache.h"
#include "text/byte_level.h"
#include "text/utf8.h"

namespace fovea::text {
namespace {

constexpr size_t kCacheEntries = 16384;

// Scratch and cache of one thread for the model it last served.
struct ThreadState {
  uint64_t model_uid = 0;
  BpeWordCache cache{kCacheEntries};
  BpeMerger merger{nullptr};
  std::vector<int32_t> symbols;
  std::string spelling;
};

ThreadState& thread_state() {
  thread_local ThreadState state;
  return state;
}

std::atomic<uint64_t> g_next_model_uid{1};

}  // namespace

base::Result<std::unique_ptr<BpeModel>> BpeModel::create(BpeModelConfig config) {
  std::unique_ptr<BpeModel> model(new BpeModel());
  model->uid_ = g_next_model_uid.fetch_add(1);
  model->ignore_merges_ = config.ignore_merges;

  FOVEA_ASSIGN_OR_RETURN(model->vocab_, BpeVocab::create(config.vocab));
  for (int byte = 0; byte < 256; ++byte) {
    std::optional<int32_t> id = model->vocab_.find(ByteLevel::byte_to_token(static_cast<uint8_t>(byte)));
    model->byte_ids_[byte] = id.value_or(-1);
  }

  model->merges_.reset(config.merges.size());
  std::string merged;
  for (size_t rank = 0; rank < config.merges.size(); ++rank) {
    const auto& [left, right] = config.merges[rank];
    std::optional<int32_t> left_id = model->vocab_.find(left);
    std::optional<int32_t> right_id = model->vocab_.find(right);
    merged.assign(left).append(right);
    std::optional<int32_t> merged_id = model->vocab_.find(merged);
    if (!left_id || !right_id || !merged_id) {
      const std::string& missing = !left_id ? left : !right_id ? right : merged;
      return base::data_loss("model.merges[{}]: token {:?} is not in model.vocab", rank, missing);
    }
    model->merges_.insert_or_assign(*left_id, *right_id, {static_cast<uint32_t>(rank), *merged_id});
  }
  return model;
}

void BpeModel::encode_word(std::string_view word, std::vector<int32_t>& ids) const {
  if (word.empty()) return;
  if (word.size() == 1 && !ignore_merges_) {
    int32_t id = byte_ids_[static_cast<uint8_t>(word[0])];
    if (id >= 0) ids.push_back(id);
    return;
  }
  ThreadState& state = thread_state();
  if (state.model_uid != uid_) {
    state.model_uid = uid_;
    state.cache.clear();
    state.merger = BpeMerger(&merges_);
  }
  if (ignore_merges_) {
    state.spelling.clear();
    for (char byte : word) append_utf8(state.spelling, ByteLevel::byte_to_char(static_cast<uint8_t>(byte)));
    if (std::optional<int32_t> id = vocab_.find(state.spelling)) {
      ids.push_back(*id);
      return;
    }
  }
  std::span<const int32_t> cached = state.cache.find(word);
  if (!cached.empty()) {
    ids.insert(ids.end(), cached.begin(), cached.end());
    return;
  }
  // A byte whose spelling is not in the vocabulary is dropped, as the reference does without an unk token.
  state.symbols.clear();
  for (char byte : word) {
    int32_t id = byte_ids_[static_cast<uint8_t>(byte)];
    if (id >= 0) state.symbols.push_back(id);
  }
  state.merger.merge(state.symbols);
  ids.insert(ids.end(), state.symbols.begin(), state.symbols.end());
  if (word.size() <= BpeWordCache::kMaxWordBytes && !state.symbols.empty()) state.cache.insert(word, state.symbols);
}

}  // namespace fovea::text
