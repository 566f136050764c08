// tokenizer.json interpretation over the reader's DOM. Every access checks the JSON type first, so nlohmann never
// throws; a catch-all at the end still turns any library exception into a Status.
#include "text/tokenizer_json.h"

#include <nlohmann/json.hpp>

#include "text/pre_tokenizer.h"
#include "text/tokenizer_json_reader.h"

namespace fovea::text {
namespace {

using Json = nlohmann::json;
using base::Result;
using base::Status;

const char* type_name(const Json& value) { return value.type_name(); }

Status wrong_type(std::string_view path, std::string_view wanted, const Json& value) {
  return base::data_loss("tokenizer.json: {} should be {} but is {}", path, wanted, type_name(value));
}

// The member `key` of `object`, or nullptr when absent or null.
const Json* member(const Json& object, std::string_view key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

Result<std::string> string_member(const Json& object, std::string_view key, std::string_view path) {
  const Json* value = member(object, key);
  if (value == nullptr) return base::data_loss("tokenizer.json: {}.{} is missing", path, key);
  if (!value->is_string()) return wrong_type(fmt::format("{}.{}", path, key), "a string", *value);
  return value->get_ref<const std::string&>();
}

Result<bool> bool_member(const Json& object, std::string_view key, std::string_view path, bool default_value) {
  const Json* value = member(object, key);
  if (value == nullptr) return default_value;
  if (!value->is_boolean()) return wrong_type(fmt::format("{}.{}", path, key), "true or false", *value);
  return value->get<bool>();
}

Result<int64_t> id_value(const Json& value, std::string_view path) {
  if (value.is_number_unsigned()) {
    uint64_t id = value.get<uint64_t>();
    if (id <= static_cast<uint64_t>(BpeModel::kMaxId)) return static_cast<int64_t>(id);
  }
  if (value.is_number_integer() || value.is_number_unsigned()) {
    return base::data_loss("tokenizer.json: {} is {}, outside the token ids 0..{}", path, value.dump(),
                           BpeModel::kMaxId);
  }
  return wrong_type(path, "a token id", value);
}

Status unsupported_type(std::string_view path, std::string_view type, std::string_view supported) {
  return base::unsupported("tokenizer.json: {} of type {:?} is not supported by fovea (it implements {})", path, type,
                           supported);
}

// Nested Sequences deeper than this are refused (real files nest one level).
constexpr int kMaxSequenceDepth = 8;

Result<Normalizer::Kind> parse_normalizer(const Json* normalizer, std::string_view path, int depth) {
  if (normalizer == nullptr) return Normalizer::Kind::kNone;
  if (depth > kMaxSequenceDepth) return base::unsupported("tokenizer.json: {} nests Sequences too deeply", path);
  if (!normalizer->is_object()) return wrong_type(path, "an object", *normalizer);
  FOVEA_ASSIGN_OR_RETURN(std::string type, string_member(*normalizer, "type", path));
  if (type == "NFC") return Normalizer::Kind::kNfc;
  if (type == "Sequence") {
    const Json* members = member(*normalizer, "normalizers");
    if (members == nullptr || !members->is_array()) {
      return base::data_loss("tokenizer.json: {}.normalizers should be an array", path);
    }
    Normalizer::Kind kind = Normalizer::Kind::kNone;
    for (size_t idx = 0; idx < members->size(); ++idx) {
      FOVEA_ASSIGN_OR_RETURN(
          Normalizer::Kind member_kind,
          parse_normalizer(&(*members)[idx], fmt::format("{}.normalizers[{}]", path, idx), depth + 1));
      if (member_kind == Normalizer::Kind::kNfc) kind = Normalizer::Kind::kNfc;
    }
    return kind;
  }
  return unsupported_type(path, type, "NFC, or no normalizer");
}

Status parse_pre_tokenizer(const Json* pre_tokenizer) {
  constexpr std::string_view kSupported =
      "the Qwen2 pre-tokenizer: Sequence[Split(Qwen2 pattern, Isolated), ByteLevel(add_prefix_space=false, "
      "use_regex=false)]";
  if (pre_tokenizer == nullptr) {
    return base::unsupported("tokenizer.json: pre_tokenizer is null; fovea implements only {}", kSupported);
  }
  if (!pre_tokenizer->is_object()) return wrong_type("pre_tokenizer", "an object", *pre_tokenizer);
  FOVEA_ASSIGN_OR_RETURN(std::string type, string_member(*pre_tokenizer, "type", "pre_tokenizer"));
  const Json* steps = member(*pre_tokenizer, "pretokenizers");
  if (type != "Sequence" || steps == nullptr || !steps->is_array() || steps->size() != 2 || !(*steps)[0].is_object() ||
      !(*steps)[1].is_object()) {
    return base::unsupported("tokenizer.json: this pre_tokenizer is not supported; fovea implements only {}",
                             kSupported);
  }
  const Json& split = (*steps)[0];
  FOVEA_ASSIGN_OR_RETURN(std::string split_type, string_member(split, "type", "pre_tokenizer.pretokenizers[0]"));
  if (split_type != "Split") return unsupported_type("pre_tokenizer.pretokenizers[0]", split_type, kSupported);
  const Json* pattern = member(split, "pattern");
  const Json* regex = pattern != nullptr && pattern->is_object() ? member(*pattern, "Regex") : nullptr;
  if (regex == nullptr || !regex->is_string()) {
    return base::unsupported(
        "tokenizer.json: pre_tokenizer.pretokenizers[0].pattern must be a Regex; fovea "
        "implements only {}",
        kSupported);
  }
  if (regex->get_ref<const std::string&>() != PreTokenizer::kQwen2Pattern) {
    return base::unsupported("tokenizer.json: the split pattern {:?} is not supported; fovea implements only {:?}",
                             regex->get_ref<const std::string&>(), PreTokenizer::kQwen2Pattern);
  }
  FOVEA_ASSIGN_OR_RETURN(std::string behavior, string_member(split, "behavior", "pre_tokenizer.pretokenizers[0]"));
  FOVEA_ASSIGN_OR_RETURN(bool invert, bool_member(split, "invert", "pre_tokenizer.pretokenizers[0]", false));
  if (behavior != "Isolated" || invert) {
    return base::unsupported("tokenizer.json: Split behavior {:?}{} is not supported; fovea implements Isolated",
                             behavior, invert ? " with invert" : "");
  }
  const Json& byte_level = (*steps)[1];
  FOVEA_ASSIGN_OR_RETURN(std::string byte_type, string_member(byte_level, "type", "pre_tokenizer.pretokenizers[1]"));
  if (byte_type != "ByteLevel") return unsupported_type("pre_tokenizer.pretokenizers[1]", byte_type, kSupported);
  FOVEA_ASSIGN_OR_RETURN(bool prefix_space,
                         bool_member(byte_level, "add_prefix_space", "pre_tokenizer.pretokenizers[1]", true));
  FOVEA_ASSIGN_OR_RETURN(bool use_regex, bool_member(byte_level, "use_regex", "pre_tokenizer.pretokenizers[1]", true));
  if (prefix_space || use_regex) {
    return base::unsupported(
        "tokenizer.json: ByteLevel pre-tokenizer with add_prefix_space={} use_regex={} is not "
        "supported; fovea implements add_prefix_space=false use_regex=false",
        prefix_space, use_regex);
  }
  return Status::ok_status();
}

Status parse_model(const Json* model, TokenizerJsonDocument& document, TokenizerSpec& spec) {
  if (model == nullptr || !model->is_object()) return base::data_loss("tokenizer.json: model is missing");
  const Json* type = member(*model, "type");
  if (type != nullptr && (!type->is_string() || type->get_ref<const std::string&>() != "BPE")) {
    return unsupported_type("model", type->is_string() ? type->get_ref<const std::string&>() : type->dump(), "BPE");
  }
  const Json* dropout = member(*model, "dropout");
  if (dropout != nullptr && !(dropout->is_number() && dropout->get<double>() == 0.0)) {
    return base::unsupported("tokenizer.json: model.dropout is {}; fovea implements BPE without dropout (null)",
                             dropout->dump());
  }
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    const Json* affix = member(*model, key);
    if (affix != nullptr && !(affix->is_string() && affix->get_ref<const std::string&>().empty())) {
      return base::unsupported("tokenizer.json: model.{} is {}; fovea implements byte-level BPE without it", key,
                               affix->dump());
    }
  }
  FOVEA_ASSIGN_OR_RETURN(bool byte_fallback, bool_member(*model, "byte_fallback", "model", false));
  if (byte_fallback) {
    return base::unsupported(
        "tokenizer.json: model.byte_fallback is true; fovea implements byte-level BPE without "
        "byte fallback");
  }
  FOVEA_ASSIGN_OR_RETURN(spec.model.ignore_merges, bool_member(*model, "ignore_merges", "model", false));
  if (const Json* unk = member(*model, "unk_token")) {
    if (!unk->is_string()) return wrong_type("model.unk_token", "a string or null", *unk);
    spec.unk_token = unk->get<std::string>();
  }
  // The reader took model.vocab and model.merges out of the DOM when they had the right shape.
  if (const Json* vocab = member(*model, "vocab")) return wrong_type("model.vocab", "an object", *vocab);
  if (const Json* merges = member(*model, "merges")) return wrong_type("model.merges", "an array", *merges);
  if (!document.has_vocab) return base::data_loss("tokenizer.json: model.vocab is missing");
  if (!document.has_merges) return base::data_loss("tokenizer.json: model.merges is missing");
  spec.model.vocab = std::move(document.vocab);
  spec.model.merges = std::move(document.merges);
  return Status::ok_status();
}

Status parse_decoder(const Json* decoder) {
  if (decoder == nullptr) {
    return base::unsupported("tokenizer.json: decoder is null; fovea implements the ByteLevel decoder");
  }
  if (!decoder->is_object()) return wrong_type("decoder", "an object", *decoder);
  FOVEA_ASSIGN_OR_RETURN(std::string type, string_member(*decoder, "type", "decoder"));
  if (type != "ByteLevel") return unsupported_type("decoder", type, "ByteLevel");
  return Status::ok_status();
}

Status parse_added_tokens(const Json* added_tokens, TokenizerSpec& spec) {
  if (added_tokens == nullptr) return Status::ok_status();
  if (!added_tokens->is_array()) return wrong_type("added_tokens", "an array", *added_tokens);
  for (size_t idx = 0; idx < added_tokens->size(); ++idx) {
    const Json& entry = (*added_tokens)[idx];
    std::string path = fmt::format("added_tokens[{}]", idx);
    if (!entry.is_object()) return wrong_type(path, "an object", entry);
    AddedToken token;
    const Json* id = member(entry, "id");
    if (id == nullptr) return base::data_loss("tokenizer.json: {}.id is missing", path);
    FOVEA_ASSIGN_OR_RETURN(int64_t id_number, id_value(*id, path + ".id"));
    token.id = static_cast<int32_t>(id_number);
    FOVEA_ASSIGN_OR_RETURN(token.content, string_member(entry, "content", path));
    FOVEA_ASSIGN_OR_RETURN(token.single_word, bool_member(entry, "single_word", path, false));
    FOVEA_ASSIGN_OR_RETURN(token.lstrip, bool_member(entry, "lstrip", path, false));
    FOVEA_ASSIGN_OR_RETURN(token.rstrip, bool_member(entry, "rstrip", path, false));
    FOVEA_ASSIGN_OR_RETURN(token.normalized, bool_member(entry, "normalized", path, true));
    FOVEA_ASSIGN_OR_RETURN(token.special, bool_member(entry, "special", path, false));
    spec.added_tokens.push_back(std::move(token));
  }
  return Status::ok_status();
}

Status parse_template(const Json& processor, std::string_view path, TokenizerSpec& spec) {
  const Json* single = member(processor, "single");
  const Json* special_tokens = member(processor, "special_tokens");
  if (single == nullptr || !single->is_array()) return base::data_loss("tokenizer.json: {}.single is missing", path);
  std::vector<PostProcessor::TemplateItem> items;
  for (size_t idx = 0; idx < single->size(); ++idx) {
    const Json& piece = (*single)[idx];
    std::string piece_path = fmt::format("{}.single[{}]", path, idx);
    const Json* sequence = piece.is_object() ? member(piece, "Sequence") : nullptr;
    const Json* special = piece.is_object() ? member(piece, "SpecialToken") : nullptr;
    if (sequence != nullptr && sequence->is_object()) {
      FOVEA_ASSIGN_OR_RETURN(std::string sequence_id, string_member(*sequence, "id", piece_path + ".Sequence"));
      if (sequence_id != "A") {
        return base::data_loss("tokenizer.json: {} refers to sequence {:?}; a single template can only use A",
                               piece_path, sequence_id);
      }
      items.push_back({true, {}});
    } else if (special != nullptr && special->is_object()) {
      FOVEA_ASSIGN_OR_RETURN(std::string name, string_member(*special, "id", piece_path + ".SpecialToken"));
      const Json* definition =
          special_tokens != nullptr && special_tokens->is_object() ? member(*special_tokens, name) : nullptr;
      const Json* ids = definition != nullptr && definition->is_object() ? member(*definition, "ids") : nullptr;
      if (ids == nullptr || !ids->is_array()) {
        return base::data_loss("tokenizer.json: {} uses special token {:?}, which {}.special_tokens does not define",
                               piece_path, name, path);
      }
      PostProcessor::TemplateItem item;
      for (size_t id_idx = 0; id_idx < ids->size(); ++id_idx) {
        FOVEA_ASSIGN_OR_RETURN(
            int64_t id, id_value((*ids)[id_idx], fmt::format("{}.special_tokens[{:?}].ids[{}]", path, name, id_idx)));
        item.special_ids.push_back(static_cast<int32_t>(id));
      }
      items.push_back(std::move(item));
    } else {
      return base::data_loss("tokenizer.json: {} should be a Sequence or a SpecialToken", piece_path);
    }
  }
  spec.single_template.insert(spec.single_template.end(), items.begin(), items.end());
  return Status::ok_status();
}

Status parse_post_processor(const Json* processor, std::string_view path, int depth, TokenizerSpec& spec) {
  if (processor == nullptr) return Status::ok_status();
  if (depth > kMaxSequenceDepth) return base::unsupported("tokenizer.json: {} nests Sequences too deeply", path);
  if (!processor->is_object()) return wrong_type(path, "an object", *processor);
  FOVEA_ASSIGN_OR_RETURN(std::string type, string_member(*processor, "type", path));
  if (type == "ByteLevel") return Status::ok_status();
  if (type == "TemplateProcessing") {
    if (!spec.single_template.empty()) {
      return base::unsupported("tokenizer.json: {} is a second TemplateProcessing; fovea supports one", path);
    }
    return parse_template(*processor, path, spec);
  }
  if (type == "Sequence") {
    const Json* processors = member(*processor, "processors");
    if (processors == nullptr || !processors->is_array()) {
      return base::data_loss("tokenizer.json: {}.processors should be an array", path);
    }
    for (size_t idx = 0; idx < processors->size(); ++idx) {
      FOVEA_RETURN_IF_ERROR(
          parse_post_processor(&(*processors)[idx], fmt::format("{}.processors[{}]", path, idx), depth + 1, spec));
    }
    return Status::ok_status();
  }
  return unsupported_type(path, type, "ByteLevel, TemplateProcessing or a Sequence of them");
}

Result<TokenizerSpec> parse_root(TokenizerJsonDocument& document) {
  const Json& root = document.rest;
  if (!root.is_object()) return base::data_loss("tokenizer.json: the top level should be an object");
  if (const Json* version = member(root, "version")) {
    if (!version->is_string() || version->get_ref<const std::string&>() != "1.0") {
      return base::unsupported("tokenizer.json: version {} is not supported (fovea reads version \"1.0\")",
                               version->dump());
    }
  }
  for (const char* key : {"truncation", "padding"}) {
    if (member(root, key) != nullptr) {
      return base::unsupported(
          "tokenizer.json: {} is set; fovea does not truncate or pad in the tokenizer, so set "
          "it to null",
          key);
    }
  }
  TokenizerSpec spec;
  FOVEA_ASSIGN_OR_RETURN(spec.normalizer, parse_normalizer(member(root, "normalizer"), "normalizer", 0));
  FOVEA_RETURN_IF_ERROR(parse_pre_tokenizer(member(root, "pre_tokenizer")));
  FOVEA_RETURN_IF_ERROR(parse_model(member(root, "model"), document, spec));
  FOVEA_RETURN_IF_ERROR(parse_decoder(member(root, "decoder")));
  FOVEA_RETURN_IF_ERROR(parse_added_tokens(member(root, "added_tokens"), spec));
  FOVEA_RETURN_IF_ERROR(parse_post_processor(member(root, "post_processor"), "post_processor", 0, spec));
  return spec;
}

}  // namespace

Result<TokenizerSpec> parse_tokenizer_json(std::string_view json_text) {
  FOVEA_ASSIGN_OR_RETURN(TokenizerJsonDocument document, read_tokenizer_json(json_text, BpeModel::kMaxId));
  try {
    return parse_root(document);
  } catch (const Json::exception& error) {
    return base::data_loss("tokenizer.json could not be read: {}", error.what());
  }
}

}  // namespace fovea::text
