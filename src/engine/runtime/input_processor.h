// InputProcessor: turns a request's prompt (a chat to render, or completion text / ids) into what the engine core
// and the model runner take: token ids with each <|image_pad|> expanded to its image's token count, the images
// fetched, decoded, preprocessed and hashed, and the prompt's 3-D rotary positions. Runs on the caller's thread
// (thread-safe). Errors are the client's (kInvalidArgument; kOutOfRange for a prompt longer than the context) with
// messages that contain no path or address.
// Must not contain scheduling, model execution or HTTP.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/core/block_hash.h"
#include "engine/runtime/engine_config.h"
#include "engine/runtime/generate_request.h"
#include "io/model_config.h"
#include "text/chat_template.h"
#include "text/tokenizer.h"
#include "vision/media_fetch.h"
#include "vision/preprocess_options.h"
#include "vision/preprocessed_image.h"

namespace fovea::engine {

// One image of a prompt, ready for the vision encoder.
struct PromptImage {
  vision::PreprocessedImage pixels;  // pixel_values [patches, patch_dim] f32 and grid_thw
  ContentHash content_hash{};        // SHA-256 of the file and the preprocessing (the encoder cache key)
  int64_t placeholder_start_idx = 0;
  int64_t num_placeholder_tokens = 0;
};

// A processed prompt: immutable, shared by the engine's request and the model runner.
struct ProcessedPrompt {
  std::vector<int32_t> token_ids;  // placeholders expanded
  std::vector<PromptImage> images;  // in prompt order
  std::vector<int32_t> mrope_positions;  // [3 * num tokens] rows t, h, w (qwen3_vl); empty for qwen3
  int64_t rope_delta = 0;                // position of token i >= num tokens: i + rope_delta (qwen3_vl)
  double preprocess_s = 0.0;             // time spent fetching, decoding and preprocessing images
};

// The limits the processor enforces (from EngineConfig and the model).
struct InputLimits {
  int64_t max_model_len = 0;          // prompts must be shorter
  int64_t max_images_per_prompt = 0;
  int64_t max_image_patches = 0;      // one image's vision patches (the encoder's per-call capacity)
  std::optional<int64_t> min_pixels;  // server-wide overrides of preprocessor_config.json
  std::optional<int64_t> max_pixels;  // also caps what a request may ask for
  vision::MediaFetchPolicy media;
};

class InputProcessor {
 public:
  // Reads the model folder's chat template, tokenizer and image preprocessor settings. A non-empty
  // `chat_template` (--chat-template, the template text itself) replaces the folder's; BOS/EOS still come from the
  // folder.
  static base::Result<std::unique_ptr<InputProcessor>> create(const std::string& model_dir,
                                                              const io::ModelConfig& model_config,
                                                              InputLimits limits,
                                                              const std::string& chat_template = {});

  base::Result<ProcessedPrompt> process(const PromptInput& prompt) const;

  const text::Tokenizer& tokenizer() const { return *tokenizer_; }
  const InputLimits& limits() const { return limits_; }
  // The tokenizer's EOS token (tokenizer_config.json), vLLM's primary EOS; nullopt when the folder names none.
  std::optional<int32_t> eos_token_id() const;
  // The preprocessing a request with these overrides gets (the server's and the model's settings under them).
  base::Result<vision::PreprocessOptions> preprocess_options(const ImageSizeOverrides& overrides) const;

 private:
  InputProcessor() = default;

  base::Result<std::vector<int32_t>> prompt_ids(const PromptInput& prompt, std::vector<std::string>& image_urls) const;
  base::Status add_images(const std::vector<std::string>& image_urls, const ImageSizeOverrides& overrides,
                          ProcessedPrompt& out) const;

  io::ModelConfig model_config_;
  InputLimits limits_;
  std::unique_ptr<text::Tokenizer> tokenizer_;
  std::optional<text::ChatTemplate> chat_template_;  // absent when the folder has none: chat requests refused
  std::string bos_token_;
  std::string eos_token_;
  vision::PreprocessOptions image_options_;  // from the model folder
};

}  // namespace fovea::engine
