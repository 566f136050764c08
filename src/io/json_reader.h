// Internal to io: JSON parsing with a duplicate-key check, and JsonReader, which reads typed fields of HF JSON files
// with errors that name the file and the field. Only io's .cpp files include it (nlohmann stays private to io).
// Must not contain knowledge of any particular file format.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace fovea::io {

// Parses `text` as JSON. With reject_duplicate_keys, an object with the same key twice (at any depth) is an error:
// nlohmann would otherwise keep the last one silently. Nesting deeper than 64 levels is an error too (it bounds
// memory and the recursion of dump()). `file_label` names the file in messages.
base::Result<nlohmann::json> parse_json(std::string_view text, std::string_view file_label, bool reject_duplicate_keys);

// Reads MODEL_DIR/<file_name> and parses it (configs are small: at most 64 MiB). NotFound when the file is absent.
base::Result<nlohmann::json> read_json_file(const std::string& model_dir, std::string_view file_name);

// Reads fields of one JSON object. Absent keys and nulls leave the output untouched (the caller's default stays);
// a present value of the wrong type records an error naming "<file>: <path>.<key>". Only the first error is kept,
// shared with readers made by child().
class JsonReader {
 public:
  JsonReader(std::string file_label, base::Status* status) : file_label_(std::move(file_label)), status_(status) {}

  // A reader for the object under `key` (its path extends this one's); the caller passes that object to reads.
  JsonReader child(std::string_view key) const;

  bool has(const nlohmann::json& object, std::string_view key) const;

  void read(const nlohmann::json& object, std::string_view key, int64_t& out) const;
  void read(const nlohmann::json& object, std::string_view key, double& out) const;
  void read(const nlohmann::json& object, std::string_view key, bool& out) const;
  void read(const nlohmann::json& object, std::string_view key, std::string& out) const;
  void read(const nlohmann::json& object, std::string_view key, std::vector<int64_t>& out) const;
  void read(const nlohmann::json& object, std::string_view key, std::vector<double>& out) const;
  void read(const nlohmann::json& object, std::string_view key, std::vector<std::string>& out) const;
  // An integer or a list of integers (HF's `int | list[int]`, e.g. eos_token_id), read as a list.
  void read_int_or_list(const nlohmann::json& object, std::string_view key, std::vector<int64_t>& out) const;

  template <typename T>
  void read(const nlohmann::json& object, std::string_view key, std::optional<T>& out) const {
    if (!has(object, key)) return;
    T value{};
    read(object, key, value);
    if (ok()) out = std::move(value);
  }

  // Records an error about `key` (e.g. a value out of range); `problem` completes "<file>: <path>.<key> ...".
  void fail(std::string_view key, std::string_view problem) const;
  bool ok() const { return status_->ok(); }
  std::string field_path(std::string_view key) const;
  const std::string& file_label() const { return file_label_; }

 private:
  std::string file_label_;
  std::string path_;
  base::Status* status_;  // not owned; shared by child readers
};

// "a string", "an array", ... for messages about a value of the wrong type.
std::string json_type_phrase(const nlohmann::json& value);

}  // namespace fovea::io
