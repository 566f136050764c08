// Reading a jsonl file of chat requests into BenchRequests, local images inlined as data: URLs.
// Must not contain HTTP; nlohmann exceptions stop here.
#include "bench/jsonl_dataset.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "bench/data_url_encoder.h"
#include "vision/image_format.h"

namespace fovea::bench {
namespace {

constexpr uint64_t kMaxImageFileBytes = 64u << 20;

std::string_view mime_type_of(vision::ImageFormat format) {
  switch (format) {
    case vision::ImageFormat::kJpeg:
      return "image/jpeg";
    case vision::ImageFormat::kPng:
      return "image/png";
    case vision::ImageFormat::kWebp:
      return "image/webp";
    case vision::ImageFormat::kGif:
      return "image/gif";
  }
  return "application/octet-stream";
}

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

base::Result<std::string> local_image_data_url(std::string path, const std::string& base_dir) {
  if (starts_with(path, "file://")) path = path.substr(7);
  std::filesystem::path file(path);
  if (file.is_relative()) file = std::filesystem::path(base_dir) / file;
  std::error_code error;
  const uintmax_t num_bytes = std::filesystem::file_size(file, error);
  if (error) return base::not_found("image file {} cannot be read: {}", file.string(), error.message());
  if (num_bytes > kMaxImageFileBytes) {
    return base::out_of_range("image file {} is {} bytes, more than the {} the bench inlines", file.string(), num_bytes,
                              kMaxImageFileBytes);
  }
  std::ifstream in(file, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) return base::not_found("image file {} cannot be read", file.string());
  base::Result<vision::ImageFormat> format = vision::detect_image_format(bytes);
  if (!format.ok()) return base::invalid_argument("image file {}: {}", file.string(), format.status().message());
  return to_data_url(bytes, mime_type_of(*format));
}

// Inlines local image paths in one message's content parts; counts the images.
base::Status read_content(nlohmann::json& content, const std::string& base_dir, int64_t& num_images) {
  if (content.is_string() || content.is_null()) return base::Status::ok_status();
  if (!content.is_array()) return base::invalid_argument("a message's `content` is neither a string nor an array");
  for (nlohmann::json& part : content) {
    if (!part.is_object() || !part.contains("type") || !part["type"].is_string()) {
      return base::invalid_argument("a content part is not an object with a string `type`");
    }
    if (part["type"] != "image_url") continue;
    nlohmann::json& image_url = part["image_url"];
    nlohmann::json* url = nullptr;
    if (image_url.is_string()) {
      url = &image_url;
    } else if (image_url.is_object() && image_url.contains("url") && image_url["url"].is_string()) {
      url = &image_url["url"];
    } else {
      return base::invalid_argument("an image_url part has no `url` string");
    }
    const std::string value = url->get<std::string>();
    if (!starts_with(value, "http://") && !starts_with(value, "https://") && !starts_with(value, "data:")) {
      FOVEA_ASSIGN_OR_RETURN(*url, local_image_data_url(value, base_dir));
    }
    ++num_images;
  }
  return base::Status::ok_status();
}

base::Result<int64_t> max_tokens_of(const nlohmann::json& request, int64_t default_output_len_tokens) {
  for (const char* key : {"max_completion_tokens", "max_tokens"}) {
    auto it = request.find(key);
    if (it == request.end() || it->is_null()) continue;
    if (!it->is_number_integer() || it->get<int64_t>() < 1) {
      return base::invalid_argument("`{}` is {}, not a positive integer", key, it->dump());
    }
    return it->get<int64_t>();
  }
  return default_output_len_tokens;
}

}  // namespace

base::Result<BenchRequest> parse_jsonl_request(std::string_view line, const std::string& base_dir,
                                               int64_t default_output_len_tokens) {
  nlohmann::json request;
  try {
    request = nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception& error) {
    return base::invalid_argument("the line is not JSON: {}", error.what());
  }
  if (!request.is_object() || !request.contains("messages") || !request["messages"].is_array() ||
      request["messages"].empty()) {
    return base::invalid_argument("the line is not a chat request with a non-empty `messages` array");
  }
  BenchRequest out;
  out.messages = std::move(request["messages"]);
  for (nlohmann::json& message : out.messages) {
    if (!message.is_object() || !message.contains("role")) {
      return base::invalid_argument("a message is not an object with a `role`");
    }
    if (message.contains("content")) FOVEA_RETURN_IF_ERROR(read_content(message["content"], base_dir, out.num_images));
  }
  FOVEA_ASSIGN_OR_RETURN(out.max_tokens, max_tokens_of(request, default_output_len_tokens));
  return out;
}

base::Result<std::vector<BenchRequest>> load_jsonl_dataset(const std::string& path, int64_t default_output_len_tokens) {
  std::ifstream in(path);
  if (!in) return base::not_found("--dataset-path {} cannot be opened; pass a jsonl file of chat requests", path);
  const std::string base_dir = std::filesystem::path(path).parent_path().string();
  std::vector<BenchRequest> requests;
  std::string line;
  int64_t line_idx = 0;
  while (std::getline(in, line)) {
    ++line_idx;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    base::Result<BenchRequest> request = parse_jsonl_request(line, base_dir, default_output_len_tokens);
    if (!request.ok()) return request.status().with_context(fmt::format("{} line {}", path, line_idx));
    requests.push_back(std::move(*request));
  }
  if (requests.empty()) return base::invalid_argument("--dataset-path {} has no requests", path);
  return requests;
}

}  // namespace fovea::bench
