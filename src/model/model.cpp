// Model loading: config, weight source, weights, workspaces; the order keeps every error before any big allocation
// it can.
#include "model/model.h"

#include "backend/communicator.h"
#include "quant/quantization_flag.h"

namespace fovea::model {
namespace {

tensor::DType checkpoint_dtype(const io::ModelConfig& config) {
  const std::string& dtype = config.dtype.empty() ? config.text_config.dtype : config.dtype;
  if (dtype == "float16") return tensor::DType::kF16;
  if (dtype == "float32") return tensor::DType::kF32;
  return tensor::DType::kBF16;
}

base::Status check_tensor_parallel_options(const ModelOptions& options, const backend::Backend& backend) {
  if (options.tp_size < 1) {
    return base::invalid_argument("tensor parallel size is {}; pass 1 or more", options.tp_size);
  }
  if (options.tp_rank < 0 || options.tp_rank >= options.tp_size) {
    return base::invalid_argument("tensor parallel rank {} is outside [0, {}); pass a rank below the world size",
                                  options.tp_rank, options.tp_size);
  }
  if (options.communicator == nullptr) {
    if (options.tp_size == 1) return base::Status();
    return base::invalid_argument(
        "tensor parallel size {} needs this rank's communicator in ModelOptions::communicator (create_communicators)",
        options.tp_size);
  }
  if (options.communicator->world_size() != options.tp_size || options.communicator->rank() != options.tp_rank) {
    return base::invalid_argument(
        "the communicator is rank {} of {}, but the model is loaded as rank {} of {}; pass the communicator of this "
        "rank",
        options.communicator->rank(), options.communicator->world_size(), options.tp_rank, options.tp_size);
  }
  if (options.communicator->device() != backend.device()) {
    return base::invalid_argument(
        "tensor parallel rank {}'s communicator is on {} but the model loads on {}; pass the rank's own backend",
        options.tp_rank, backend::device_name(options.communicator->device()), backend::device_name(backend.device()));
  }
  return base::Status();
}

}  // namespace

Model::Model(backend::Backend& backend, io::ModelConfig config, ModelOptions options,
             std::unique_ptr<io::WeightTable> table, WeightLoader loader)
    : backend_(&backend),
      config_(std::move(config)),
      options_(options),
      table_(std::move(table)),
      loader_(std::move(loader)) {}

Model::~Model() = default;

base::Result<std::unique_ptr<Model>> Model::load(const std::string& model_dir, backend::Backend& backend,
                                                 const ModelOptions& options) {
  FOVEA_RETURN_IF_ERROR(check_tensor_parallel_options(options, backend));
  FOVEA_ASSIGN_OR_RETURN(io::ModelConfig config, io::load_model_config(model_dir));
  const io::QuantizationConfig* quantization = config.quantization_config ? &*config.quantization_config : nullptr;
  FOVEA_RETURN_IF_ERROR(quant::check_quantization_flag(quantization, options.quantization).with_context(model_dir));
  if (quantization != nullptr && quantization->method == io::QuantMethod::kOther) {
    return base::unsupported(
        "{}/{}: quantization_config has quant_method \"{}\", which fovea does not load; it loads compressed-tensors, "
        "awq, gptq and fp8 checkpoints (use one of those, or the unquantized model)",
        model_dir, quantization->source_file, quantization->quant_method);
  }
  std::unique_ptr<io::WeightTable> table;
  if (options.load_format == LoadFormat::kSafetensors) {
    FOVEA_ASSIGN_OR_RETURN(io::WeightTable opened, io::WeightTable::open(model_dir));
    table = std::make_unique<io::WeightTable>(std::move(opened));
  }
  // Dummy weights are dense in the checkpoint's dtype, also for a quantized config.json (benchmarks of the shapes).
  WeightLoader loader = table ? WeightLoader::from_checkpoint(backend, *table, quantization, model_dir)
                              : WeightLoader::dummy(backend, checkpoint_dtype(config), options.dummy_seed);
  loader.set_progress_callback(options.on_load_progress);
  if (options.tp_size > 1) {
    base::Result<io::TensorParallelLayout> layout =
        io::TensorParallelLayout::create(config, options.tp_size, options.shard_vision_weights);
    if (!layout.ok()) return layout.status().with_context(model_dir + "/config.json");
    loader.shard_for_tensor_parallel(*layout, options.tp_rank);
  }
  if (table && quant::quantizes_online_to_fp8(quantization, options.quantization)) loader.quantize_linears_to_fp8();
  std::unique_ptr<Model> model(new Model(backend, std::move(config), options, std::move(table), std::move(loader)));
  const io::ModelConfig& cfg = model->config_;
  FOVEA_ASSIGN_OR_RETURN(model->text_weights_, load_text_weights(model->loader_, cfg));
  if (cfg.has_vision()) {
    FOVEA_ASSIGN_OR_RETURN(model->vision_weights_, load_vision_weights(model->loader_, *cfg.vision_config));
  }
  // Copies of checkpoint tensors may still be in flight on a device stream.
  FOVEA_RETURN_IF_ERROR(backend.synchronize(backend.default_stream()));
  const TextParallel text_parallel{options.tp_size, options.tp_rank, options.communicator};
  FOVEA_ASSIGN_OR_RETURN(model->decoder_,
                         TextDecoder::create(backend, cfg, model->text_weights_, options.activation_dtype,
                                             options.text_limits, text_parallel));
  if (cfg.has_vision() && options.max_vision_patches > 0) {
    const VisionParallel vision_parallel{options.tp_size, options.tp_rank, options.shard_vision_weights,
                                         options.communicator};
    FOVEA_ASSIGN_OR_RETURN(
        model->vision_encoder_,
        VisionEncoder::create(backend, *cfg.vision_config, model->vision_weights_, options.activation_dtype,
                              options.max_vision_patches, vision_parallel));
  }
  return model;
}

base::Result<KvCache> Model::allocate_kv_cache(int64_t num_blocks, int64_t block_size, tensor::DType kv_dtype) const {
  return model::allocate_kv_cache(*backend_, rank_text_config(), num_blocks, block_size, kv_dtype);
}

uint64_t Model::kv_cache_bytes_per_block(int64_t block_size, tensor::DType kv_dtype) const {
  return model::kv_cache_bytes_per_block(rank_text_config(), block_size, kv_dtype);
}

uint64_t Model::workspace_bytes() const {
  return decoder_->workspace_bytes() + (vision_encoder_ ? vision_encoder_->workspace_bytes() : 0);
}

}  // namespace fovea::model
