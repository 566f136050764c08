// InputProcessor: chat rendering, tokenization, image fetching/preprocessing and placeholder expansion, as HF's
// Qwen3-VL processor does it (the <|image_pad|> token of each image repeated t * h * w / merge^2 times).
// Must not contain scheduling or model execution.
#include "engine/runtime/input_processor.h"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "base/file_util.h"
#include "base/sha256.h"
#include "io/chat_template_source.h"
#include "io/preprocessor_config.h"
#include "model/mrope_positions.h"
#include "vision/image_cache_key.h"
#include "vision/image_preprocessor.h"

namespace fovea::engine {
namespace {

using nlohmann::ordered_json;

// Client-caused failures of any module become kInvalidArgument with the same message.
base::Status as_client_error(const base::Status& status, std::string_view context) {
  if (status.ok()) return status;
  return base::Status(base::StatusCode::kInvalidArgument, fmt::format("{}: {}", context, status.message()));
}

// The image URL of one content part, or nullopt when the part is not an image. Parts follow OpenAI
// ({"type": "image_url", "image_url": {"url": ...}}) or transformers ({"type": "image", "image": ...}); the chat
// template makes one placeholder per such part, in the same order.
base::Result<std::optional<std::string>> image_url_of(const ordered_json& part) {
  if (!part.is_object()) return std::optional<std::string>();
  const auto type_it = part.find("type");
  const std::string type = (type_it != part.end() && type_it->is_string()) ? type_it->get<std::string>() : "";
  if (type == "video" || type == "video_url" || part.contains("video") || part.contains("video_url")) {
    return base::invalid_argument("video inputs are not supported yet; send images");
  }
  if (part.contains("image_url")) {
    const ordered_json& value = part["image_url"];
    if (value.is_string()) return std::optional(value.get<std::string>());
    if (value.is_object() && value.contains("url") && value["url"].is_string()) {
      return std::optional(value["url"].get<std::string>());
    }
    return base::invalid_argument("an image_url content part needs {{\"url\": \"data:image/...\"}}");
  }
  if (type == "image" || part.contains("image")) {
    for (const char* key : {"image", "url", "path"}) {
      if (part.contains(key) && part[key].is_string()) return std::optional(part[key].get<std::string>());
    }
    return base::invalid_argument("an image content part needs an \"image\" string (a data: URL or path)");
  }
  return std::optional<std::string>();
}

base::Result<std::vector<std::string>> collect_image_urls(const ordered_json& messages) {
  std::vector<std::string> urls;
  if (!messages.is_array()) return urls;
  for (const ordered_json& message : messages) {
    if (!message.is_object() || !message.contains("content") || !message["content"].is_array()) continue;
    for (const ordered_json& part : message["content"]) {
      FOVEA_ASSIGN_OR_RETURN(std::optional<std::string> url, image_url_of(part));
      if (url) urls.push_back(std::move(*url));
    }
  }
  return urls;
}

vision::PreprocessOptions options_from(const io::ImageProcessorConfig& config) {
  vision::PreprocessOptions options;
  options.min_pixels = config.size.shortest_edge;
  options.max_pixels = config.size.longest_edge;
  options.patch_size = config.patch_size;
  options.temporal_patch_size = config.temporal_patch_size;
  options.merge_size = config.merge_size;
  for (size_t idx = 0; idx < 3 && idx < config.image_mean.size(); ++idx) options.image_mean[idx] = config.image_mean[idx];
  for (size_t idx = 0; idx < 3 && idx < config.image_std.size(); ++idx) options.image_std[idx] = config.image_std[idx];
  options.rescale_factor = config.rescale_factor;
  return options;
}

}  // namespace

base::Result<std::unique_ptr<InputProcessor>> InputProcessor::create(const std::string& model_dir,
                                                                      const io::ModelConfig& model_config,
                                                                      InputLimits limits,
                                                                      const std::string& chat_template) {
  std::unique_ptr<InputProcessor> processor(new InputProcessor());
  processor->model_config_ = model_config;
  processor->limits_ = std::move(limits);
  FOVEA_ASSIGN_OR_RETURN(processor->tokenizer_, text::Tokenizer::load_file(model_dir + "/tokenizer.json"));
  auto source = io::load_chat_template(model_dir);
  if (!source.ok() && source.status().code() != base::StatusCode::kNotFound) return source.status();
  if (source.ok()) {
    processor->bos_token_ = source->bos_token;
    processor->eos_token_ = source->eos_token;
  }
  if (!chat_template.empty()) {
    auto parsed = text::ChatTemplate::create(chat_template);
    if (!parsed.ok()) return parsed.status().with_context("--chat-template");
    processor->chat_template_.emplace(std::move(parsed).value());
  } else if (source.ok()) {
    auto parsed = text::ChatTemplate::create(source->template_text);
    if (!parsed.ok()) return parsed.status().with_context(source->origin);
    processor->chat_template_.emplace(std::move(parsed).value());
  }
  if (model_config.has_vision()) {
    FOVEA_ASSIGN_OR_RETURN(io::ImageProcessorConfig image_config, io::load_image_processor_config(model_dir));
    processor->image_options_ = options_from(image_config);
    FOVEA_RETURN_IF_ERROR(processor->image_options_.validate().with_context("preprocessor_config.json"));
  }
  return processor;
}

std::optional<int32_t> InputProcessor::eos_token_id() const {
  if (eos_token_.empty()) return std::nullopt;
  return tokenizer_->token_to_id(eos_token_);
}

base::Result<vision::PreprocessOptions> InputProcessor::preprocess_options(const ImageSizeOverrides& overrides) const {
  vision::PreprocessOptions options = image_options_;
  if (limits_.min_pixels) options.min_pixels = *limits_.min_pixels;
  if (limits_.max_pixels) options.max_pixels = *limits_.max_pixels;
  if (overrides.min_pixels) options.min_pixels = *overrides.min_pixels;
  if (overrides.max_pixels) options.max_pixels = std::min(*overrides.max_pixels, options.max_pixels);
  if (limits_.max_pixels) options.max_pixels = std::min(options.max_pixels, *limits_.max_pixels);
  // The vision encoder's workspace holds max_image_patches patches: bigger images are resized down to fit.
  const int64_t patch_pixels = options.patch_size * options.patch_size;
  if (limits_.max_image_patches > 0 && patch_pixels > 0) {
    options.max_pixels = std::min(options.max_pixels, limits_.max_image_patches * patch_pixels);
  }
  FOVEA_RETURN_IF_ERROR(as_client_error(options.validate(), "mm_processor_kwargs"));
  return options;
}

base::Result<std::vector<int32_t>> InputProcessor::prompt_ids(const PromptInput& prompt,
                                                              std::vector<std::string>& image_urls) const {
  if (prompt.chat) {
    if (!chat_template_) {
      return base::invalid_argument("this model has no chat template; use the completions API with a prompt");
    }
    FOVEA_ASSIGN_OR_RETURN(image_urls, collect_image_urls(prompt.chat->messages));
    if (!image_urls.empty() && !prompt.image_urls.empty()) {
      return base::invalid_argument("a chat carries its images either as content parts or beside them, not both");
    }
    if (image_urls.empty()) image_urls = prompt.image_urls;
    if (!image_urls.empty() && !model_config_.has_vision()) {
      return base::invalid_argument("this model does not take images; send text only");
    }
    text::ChatRenderRequest request = *prompt.chat;
    if (request.bos_token.empty()) request.bos_token = bos_token_;
    if (request.eos_token.empty()) request.eos_token = eos_token_;
    auto rendered = chat_template_->render(request);
    if (!rendered.ok()) return base::Status(base::StatusCode::kInvalidArgument, rendered.status().message());
    auto ids = tokenizer_->encode(*rendered, false);
    if (!ids.ok()) return as_client_error(ids.status(), "tokenizing the prompt");
    return std::move(ids).value();
  }
  if (prompt.token_ids) {
    const int32_t limit = std::max<int32_t>(tokenizer_->id_limit(),
                                            static_cast<int32_t>(model_config_.text_config.vocab_size));
    for (int32_t id : *prompt.token_ids) {
      if (id < 0 || id >= limit) {
        return base::invalid_argument("prompt token id {} is out of range; ids are in [0, {})", id, limit);
      }
    }
    return *prompt.token_ids;
  }
  if (prompt.text) {
    auto ids = tokenizer_->encode(*prompt.text, prompt.add_special_tokens);
    if (!ids.ok()) return as_client_error(ids.status(), "tokenizing the prompt");
    return std::move(ids).value();
  }
  return base::invalid_argument("the request has no prompt: send messages, or a prompt text or token ids");
}

base::Status InputProcessor::add_images(const std::vector<std::string>& image_urls,
                                        const ImageSizeOverrides& overrides, ProcessedPrompt& out) const {
  if (static_cast<int64_t>(image_urls.size()) > limits_.max_images_per_prompt) {
    return base::invalid_argument("the prompt has {} images, more than the limit of {} (--limit-mm-per-prompt)",
                                  image_urls.size(), limits_.max_images_per_prompt);
  }
  const auto start = std::chrono::steady_clock::now();
  FOVEA_ASSIGN_OR_RETURN(vision::PreprocessOptions options, preprocess_options(overrides));
  for (size_t image_idx = 0; image_idx < image_urls.size(); ++image_idx) {
    const std::string context = fmt::format("image {}", image_idx + 1);
    auto bytes = vision::fetch_media(image_urls[image_idx], limits_.media);
    if (!bytes.ok()) return as_client_error(bytes.status(), context);
    auto pixels = vision::preprocess_image_bytes(*bytes, options);
    if (!pixels.ok()) return as_client_error(pixels.status(), context);
    PromptImage image;
    image.pixels = std::move(pixels).value();
    image.num_placeholder_tokens = image.pixels.num_tokens;
    const std::string key = vision::image_cache_key(*bytes, options);
    image.content_hash = base::Sha256::digest(std::span(reinterpret_cast<const uint8_t*>(key.data()), key.size()));
    out.images.push_back(std::move(image));
  }
  out.preprocess_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return base::Status();
}

base::Result<ProcessedPrompt> InputProcessor::process(const PromptInput& prompt) const {
  ProcessedPrompt out;
  std::vector<std::string> image_urls;
  FOVEA_ASSIGN_OR_RETURN(std::vector<int32_t> ids, prompt_ids(prompt, image_urls));
  FOVEA_RETURN_IF_ERROR(add_images(image_urls, prompt.image_sizes, out));

  // Expand each image's single placeholder to its token count.
  const auto image_token = static_cast<int32_t>(model_config_.image_token_id);
  const bool has_vision = model_config_.has_vision();
  const int64_t num_placeholders =
      has_vision ? std::count(ids.begin(), ids.end(), image_token) : 0;
  if (num_placeholders != static_cast<int64_t>(out.images.size())) {
    return base::invalid_argument(
        "the prompt has {} image placeholders but {} images; do not write <|image_pad|> in text, send image parts",
        num_placeholders, out.images.size());
  }
  size_t image_idx = 0;
  for (int32_t id : ids) {
    if (has_vision && id == image_token) {
      PromptImage& image = out.images[image_idx++];
      image.placeholder_start_idx = static_cast<int64_t>(out.token_ids.size());
      out.token_ids.insert(out.token_ids.end(), static_cast<size_t>(image.num_placeholder_tokens), image_token);
    } else {
      out.token_ids.push_back(id);
    }
  }
  const auto num_tokens = static_cast<int64_t>(out.token_ids.size());
  if (num_tokens == 0) return base::invalid_argument("the prompt is empty; send at least one token");
  if (num_tokens >= limits_.max_model_len) {
    return base::out_of_range(
        "This model's maximum context length is {} tokens, but the prompt has {} tokens and at least one token must "
        "be generated; shorten the prompt or send fewer or smaller images.",
        limits_.max_model_len, num_tokens);
  }
  if (model_config_.type == io::ModelType::kQwen3Vl) {
    std::vector<model::VisualSegment> segments;
    for (const PromptImage& image : out.images) {
      segments.push_back({image.placeholder_start_idx, image.pixels.grid_thw[0], image.pixels.grid_thw[1],
                          image.pixels.grid_thw[2]});
    }
    auto positions =
        model::compute_mrope_positions(num_tokens, segments, model_config_.vision_config->spatial_merge_size);
    if (!positions.ok()) return as_client_error(positions.status(), "image positions");
    out.mrope_positions = std::move(positions->positions);
    out.rope_delta = positions->rope_delta;
  }
  return out;
}

}  // namespace fovea::engine
