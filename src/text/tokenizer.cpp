// Building a Tokenizer from a spec (with the reference's rules for added-token ids) and the encode pipeline.
// Must not contain JSON parsing (tokenizer_json.cpp) or chat templates.
#include "text/tokenizer.h"

#include <map>
#include <set>
#include <utility>

#include "base/file_util.h"
#include "base/log.h"
#include "text/byte_level.h"
#include "text/tokenizer_json.h"
#include "text/utf8.h"

namespace fovea::text {
namespace {

bool same_flags(const AddedToken& a, const AddedToken& b) {
  return a.content == b.content && a.single_word == b.single_word && a.lstrip == b.lstrip && a.rstrip == b.rstrip &&
         a.normalized == b.normalized && a.special == b.special;
}

}  // namespace

base::Result<std::unique_ptr<Tokenizer>> Tokenizer::load_file(const std::string& tokenizer_json_path) {
  FOVEA_ASSIGN_OR_RETURN(std::string json_text, base::read_file(tokenizer_json_path, kMaxFileBytes));
  auto tokenizer = from_json(json_text);
  if (!tokenizer.ok()) return tokenizer.status().with_context(tokenizer_json_path);
  return tokenizer;
}

base::Result<std::unique_ptr<Tokenizer>> Tokenizer::from_json(std::string_view json_text) {
  FOVEA_ASSIGN_OR_RETURN(TokenizerSpec spec, parse_tokenizer_json(json_text));
  return from_spec(std::move(spec));
}

base::Result<std::unique_ptr<Tokenizer>> Tokenizer::from_spec(TokenizerSpec spec) {
  std::unique_ptr<Tokenizer> tokenizer(new Tokenizer());
  FOVEA_ASSIGN_OR_RETURN(tokenizer->normalizer_, Normalizer::create(spec.normalizer));
  FOVEA_ASSIGN_OR_RETURN(tokenizer->model_, BpeModel::create(std::move(spec.model)));
  const BpeModel& model = *tokenizer->model_;
  if (spec.unk_token) {
    for (int byte = 0; byte < 256; ++byte) {
      if (!model.vocab().find(ByteLevel::byte_to_token(static_cast<uint8_t>(byte)))) {
        return base::unsupported(
            "tokenizer.json: model.unk_token is set and byte {} is not in model.vocab; fovea "
            "implements byte-level BPE where every byte has a token",
            byte);
      }
    }
  }

  // Ids of added tokens follow the reference's add_tokens, not the file: an existing token keeps its id, a new
  // one takes the next id after the model vocabulary's size.
  std::map<int32_t, AddedToken> added_by_id;
  std::set<std::string> special_contents;
  auto next_id = static_cast<int64_t>(model.vocab().size());
  for (AddedToken& token : spec.added_tokens) {
    if (token.content.empty()) continue;
    auto existing = tokenizer->added_ids_.find(token.content);
    if (existing != tokenizer->added_ids_.end() && same_flags(added_by_id[existing->second], token)) continue;
    int64_t id = 0;
    if (existing != tokenizer->added_ids_.end()) {
      id = existing->second;
    } else if (std::optional<int32_t> model_id = model.vocab().find(token.content)) {
      id = *model_id;
    } else {
      id = next_id++;
    }
    if (id > BpeModel::kMaxId) return base::data_loss("tokenizer.json: too many added tokens");
    if (id != token.id) {
      FOVEA_LOG_WARN("tokenizer.json: added token {:?} is written with id {} but gets id {}, as in Hugging Face",
                     token.content, token.id, id);
    }
    token.id = static_cast<int32_t>(id);
    tokenizer->added_ids_[token.content] = token.id;
    if (token.special) special_contents.insert(token.content);
    added_by_id[token.id] = token;
  }

  std::vector<AddedToken> raw_tokens;
  std::vector<AddedToken> normalized_tokens;
  int32_t id_limit = model.vocab().id_limit();
  for (auto& [id, token] : added_by_id) {
    tokenizer->added_tokens_.push_back(token);
    id_limit = std::max(id_limit, id + 1);
    if (!token.normalized) {
      raw_tokens.push_back(token);
      continue;
    }
    // A normalized token is looked for (and decoded) in its normalized form.
    AddedToken normalized = token;
    normalized.content.clear();
    tokenizer->normalizer_.normalize(token.content, normalized.content);
    normalized_tokens.push_back(std::move(normalized));
  }
  tokenizer->raw_matcher_ = AddedTokenMatcher(raw_tokens);
  tokenizer->normalized_matcher_ = AddedTokenMatcher(normalized_tokens);

  std::vector<Detokenizer::Entry> entries(static_cast<size_t>(id_limit));
  const BpeVocab& vocab = model.vocab();
  for (int32_t id = 0; id < vocab.id_limit(); ++id) {
    if (vocab.has_id(id)) entries[id] = {true, false, std::string(vocab.token(id))};
  }
  for (const AddedToken& token : normalized_tokens) entries[token.id] = {true, false, token.content};
  for (const AddedToken& token : raw_tokens) entries[token.id] = {true, false, token.content};
  for (Detokenizer::Entry& entry : entries) {
    if (!entry.present) continue;
    // The reference skips by token text, so any id whose text is a special token's is skipped.
    entry.special = special_contents.count(entry.bytes) != 0;
    entry.bytes = ByteLevel::token_to_bytes(entry.bytes);
  }
  tokenizer->detokenizer_ = Detokenizer(entries);

  size_t num_overlapping = 0;
  for (const auto& [content, id] : tokenizer->added_ids_) num_overlapping += model.vocab().find(content) ? 1 : 0;
  tokenizer->vocab_size_ = model.vocab().size() + tokenizer->added_ids_.size() - num_overlapping;
  for (const PostProcessor::TemplateItem& item : spec.single_template) {
    for (int32_t id : item.special_ids) {
      if (!tokenizer->detokenizer_.has_token(id)) {
        return base::data_loss("tokenizer.json: the post_processor template adds token id {}, which no token has", id);
      }
    }
  }
  tokenizer->post_processor_ = PostProcessor(std::move(spec.single_template));
  return tokenizer;
}

base::Status Tokenizer::validate_input(std::string_view text) const {
  if (text.size() > kMaxInputBytes) {
    return base::out_of_range("text of {} bytes is longer than the {} bytes the tokenizer accepts", text.size(),
                              kMaxInputBytes);
  }
  size_t invalid_idx = find_invalid_utf8(text);
  if (invalid_idx != kNoInvalidByte) {
    return base::invalid_argument("text is not valid UTF-8 (byte {} of {}); send UTF-8 encoded text", invalid_idx,
                                  text.size());
  }
  return base::Status::ok_status();
}

template <typename OnText, typename OnToken>
void Tokenizer::for_each_segment(std::string_view text, OnText&& on_text, OnToken&& on_token) const {
  std::vector<AddedTokenMatcher::Segment> raw_segments;
  std::vector<AddedTokenMatcher::Segment> normalized_segments;
  std::string normalized;
  auto visit_plain = [&](std::string_view piece) {
    normalized.clear();
    normalizer_.normalize(piece, normalized);
    if (normalized_matcher_.empty()) {
      on_text(std::string_view(normalized));
      return;
    }
    normalized_segments.clear();
    normalized_matcher_.split(normalized, normalized_segments);
    for (const auto& segment : normalized_segments) {
      if (segment.token_id >= 0) {
        on_token(segment.token_id);
      } else {
        on_text(std::string_view(normalized).substr(segment.offset, segment.num_bytes));
      }
    }
  };
  if (raw_matcher_.empty()) {
    visit_plain(text);
    return;
  }
  raw_matcher_.split(text, raw_segments);
  for (const auto& segment : raw_segments) {
    if (segment.token_id >= 0) {
      on_token(segment.token_id);
    } else {
      visit_plain(text.substr(segment.offset, segment.num_bytes));
    }
  }
}

base::Result<std::vector<int32_t>> Tokenizer::encode(std::string_view text, bool add_special_tokens) const {
  FOVEA_RETURN_IF_ERROR(validate_input(text));
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  std::vector<std::string_view> words;
  for_each_segment(
      text,
      [&](std::string_view plain) {
        words.clear();
        pre_tokenizer_.split(plain, words);
        for (std::string_view word : words) model_->encode_word(word, ids);
      },
      [&](int32_t id) { ids.push_back(id); });
  if (add_special_tokens) post_processor_.apply(ids);
  return ids;
}

base::Result<std::string> Tokenizer::normalize(std::string_view text) const {
  FOVEA_RETURN_IF_ERROR(validate_input(text));
  std::string bytes;
  bytes.reserve(text.size());
  for_each_segment(
      text, [&](std::string_view plain) { bytes.append(plain); },
      [&](int32_t id) { bytes.append(detokenizer_.token_bytes(id, false)); });
  if (find_invalid_utf8(bytes) == kNoInvalidByte) return bytes;
  std::string out;
  append_utf8_lossy(out, bytes);
  return out;
}

base::Result<std::string> Tokenizer::decode(std::span<const int32_t> ids, bool skip_special_tokens) const {
  return detokenizer_.decode(ids, skip_special_tokens);
}

std::optional<int32_t> Tokenizer::token_to_id(std::string_view token) const {
  auto it = added_ids_.find(std::string(token));
  if (it != added_ids_.end()) return it->second;
  return model_->vocab().find(token);
}

std::optional<std::string> Tokenizer::id_to_token(int32_t id) const {
  auto added = std::lower_bound(added_tokens_.begin(), added_tokens_.end(), id,
                                [](const AddedToken& token, int32_t wanted) { return token.id < wanted; });
  if (added != added_tokens_.end() && added->id == id) return added->content;
  if (!model_->vocab().has_id(id)) return std::nullopt;
  return std::string(model_->vocab().token(id));
}

}  // namespace fovea::text
