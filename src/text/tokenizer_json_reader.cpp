// The SAX handler: a DOM builder (a stack of open containers) with two side channels for model.vocab and
// model.merges. A value of the wrong type inside those two aborts the parse with a message.
#include "text/tokenizer_json_reader.h"

namespace fovea::text {
namespace {

using Json = nlohmann::json;

class Reader : public nlohmann::json_sax<Json> {
 public:
  Reader(TokenizerJsonDocument* document, int64_t max_id) : document_(document), max_id_(max_id) {}

  const base::Status& error() const { return error_; }

  bool null() override { return value(Json()); }
  bool boolean(bool v) override { return value(Json(v)); }
  bool number_integer(number_integer_t v) override { return value(Json(v)); }
  bool number_float(number_float_t v, const string_t&) override { return value(Json(v)); }
  bool binary(binary_t& v) override { return value(Json(std::move(v))); }

  bool number_unsigned(number_unsigned_t v) override {
    if (mode_ != Mode::kVocab) return value(Json(v));
    if (v > static_cast<uint64_t>(max_id_)) {
      return fail("model.vocab[{:?}] is {}, outside the token ids 0..{}", vocab_key_, v, max_id_);
    }
    document_->vocab.emplace_back(std::move(vocab_key_), static_cast<int64_t>(v));
    return true;
  }

  bool string(string_t& v) override {
    if (mode_ == Mode::kMerges) {
      // The reference splits on every space and wants exactly two parts.
      size_t space = v.find(' ');
      if (space == std::string::npos || v.find(' ', space + 1) != std::string::npos) {
        return fail("model.merges[{}] is {:?}, not two tokens separated by one space", document_->merges.size(), v);
      }
      document_->merges.emplace_back(v.substr(0, space), v.substr(space + 1));
      return true;
    }
    if (mode_ == Mode::kMergePair) {
      if (pair_size_ >= 2) return fail("model.merges[{}] has more than two tokens", document_->merges.size());
      pair_[pair_size_++] = std::move(v);
      return true;
    }
    return value(Json(std::move(v)));
  }

  bool start_object(std::size_t) override {
    if (mode_ != Mode::kDom) return bad_element();
    if (at_model_member("vocab")) {
      mode_ = Mode::kVocab;
      document_->has_vocab = true;
      document_->vocab.clear();
      return true;
    }
    return open(Json::object());
  }

  bool key(string_t& k) override {
    if (mode_ == Mode::kVocab) {
      vocab_key_ = std::move(k);
    } else {
      key_ = std::move(k);
    }
    return true;
  }

  bool end_object() override {
    if (mode_ == Mode::kVocab) {
      mode_ = Mode::kDom;
      return true;
    }
    return close();
  }

  bool start_array(std::size_t) override {
    if (mode_ == Mode::kMerges) {
      mode_ = Mode::kMergePair;
      pair_size_ = 0;
      return true;
    }
    if (mode_ != Mode::kDom) return bad_element();
    if (at_model_member("merges")) {
      mode_ = Mode::kMerges;
      document_->has_merges = true;
      document_->merges.clear();
      return true;
    }
    return open(Json::array());
  }

  bool end_array() override {
    if (mode_ == Mode::kMergePair) {
      if (pair_size_ != 2) return fail("model.merges[{}] should be [left, right]", document_->merges.size());
      document_->merges.emplace_back(std::move(pair_[0]), std::move(pair_[1]));
      mode_ = Mode::kMerges;
      return true;
    }
    if (mode_ == Mode::kMerges) {
      mode_ = Mode::kDom;
      return true;
    }
    return close();
  }

  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& error) override {
    error_ = base::data_loss("tokenizer.json is not valid JSON: {}", error.what());
    return false;
  }

 private:
  enum class Mode { kDom, kVocab, kMerges, kMergePair };

  template <typename... Args>
  bool fail(fmt::format_string<Args...> format, Args&&... args) {
    error_ = base::data_loss("tokenizer.json: {}", fmt::format(format, std::forward<Args>(args)...));
    return false;
  }

  // Any value other than the expected one inside model.vocab or model.merges.
  bool bad_element() {
    if (mode_ == Mode::kVocab) return fail("model.vocab[{:?}] should be a token id", vocab_key_);
    return fail("model.merges[{}] should be \"left right\" or [left, right]", document_->merges.size());
  }

  // True when the container about to open is the object's member `name` of the top-level "model" object.
  bool at_model_member(std::string_view name) const {
    return stack_.size() == 2 && stack_[1].key == "model" && stack_[1].container->is_object() && key_ == name;
  }

  // Places `v` where the parser is (root, object member under key_, or array element); returns it.
  Json* place(Json v) {
    if (stack_.empty()) {
      document_->rest = std::move(v);
      return &document_->rest;
    }
    Json* top = stack_.back().container;
    if (top->is_object()) {
      Json& slot = (*top)[key_];
      slot = std::move(v);
      return &slot;
    }
    top->push_back(std::move(v));
    return &top->back();
  }

  bool value(Json v) {
    if (mode_ != Mode::kDom) return bad_element();
    place(std::move(v));
    return true;
  }

  bool open(Json container) {
    std::string member_key = !stack_.empty() && stack_.back().container->is_object() ? key_ : std::string();
    Json* placed = place(std::move(container));
    stack_.push_back({placed, std::move(member_key)});
    return true;
  }

  bool close() {
    stack_.pop_back();
    return true;
  }

  struct Open {
    Json* container;  // not owned: a node of document_->rest
    std::string key;  // the key it has in its parent object; empty in arrays and at the root
  };

  TokenizerJsonDocument* document_;  // not owned
  int64_t max_id_;
  Mode mode_ = Mode::kDom;
  std::vector<Open> stack_;
  std::string key_;
  std::string vocab_key_;
  std::string pair_[2];
  int pair_size_ = 0;
  base::Status error_;
};

}  // namespace

base::Result<TokenizerJsonDocument> read_tokenizer_json(std::string_view json_text, int64_t max_id) {
  TokenizerJsonDocument document;
  Reader reader(&document, max_id);
  bool ok = false;
  try {
    ok = Json::sax_parse(json_text.data(), json_text.data() + json_text.size(), &reader);
  } catch (const Json::exception& error) {
    return base::data_loss("tokenizer.json could not be read: {}", error.what());
  }
  if (!ok) {
    if (!reader.error().ok()) return reader.error();
    return base::data_loss("tokenizer.json is not valid JSON");
  }
  return document;
}

}  // namespace fovea::text
