// `fovea inspect MODEL_DIR [--json]`: what a model folder holds (architecture, parameters and bytes per component,
// dtypes, quantization, tokenizer, chat template, shards), read from its files without loading weights.
// Must not contain parsing of model files (that is io/); this file only gathers and prints.
#include <sys/stat.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/file_util.h"
#include "cli/command_registry.h"
#include "io/chat_template_source.h"
#include "io/generation_config.h"
#include "io/model_config.h"
#include "io/parameter_census.h"
#include "io/preprocessor_config.h"
#include "io/weight_table.h"
#include "quant/format_census.h"

namespace fovea::cli {
namespace {

using nlohmann::json;

// Everything inspect reports, gathered before printing.
struct FolderReport {
  std::string model_dir;
  io::ModelConfig config;
  base::Status support;
  std::optional<io::WeightTable> weights;
  io::ParameterCensus census_from_config;
  std::optional<io::ParameterCensus> census_from_weights;
  io::GenerationConfig generation;
  std::optional<io::ImageProcessorConfig> image_processor;
  std::optional<io::VideoProcessorConfig> video_processor;
  bool has_tokenizer_json = false;
  bool has_tokenizer_config = false;
  std::optional<io::ChatTemplateSource> chat_template;
  std::string chat_template_problem;   // why there is no chat_template
  bool chat_template_missing = false;  // no template file at all (rather than a malformed one)

  const io::ParameterCensus& census() const { return census_from_weights ? *census_from_weights : census_from_config; }
};

bool is_directory(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

base::Result<FolderReport> gather(const std::string& model_dir) {
  if (!is_directory(model_dir)) {
    return base::not_found("{} is not a folder; pass a Hugging Face model folder (config.json, *.safetensors)",
                           model_dir);
  }
  FolderReport report;
  report.model_dir = model_dir;
  FOVEA_ASSIGN_OR_RETURN(report.config, io::read_model_config(model_dir));
  report.support = io::check_model_supported(report.config);
  if (io::WeightTable::has_weights(model_dir)) {
    FOVEA_ASSIGN_OR_RETURN(report.weights, io::WeightTable::open(model_dir));
    report.census_from_weights = io::census_from_weights(*report.weights, report.config);
  }
  report.census_from_config = io::census_from_config(report.config);
  FOVEA_ASSIGN_OR_RETURN(report.generation, io::load_generation_config(model_dir, report.config));
  if (report.config.has_vision()) {
    FOVEA_ASSIGN_OR_RETURN(report.image_processor, io::load_image_processor_config(model_dir));
    FOVEA_ASSIGN_OR_RETURN(report.video_processor, io::load_video_processor_config(model_dir));
  }
  report.has_tokenizer_json = base::file_exists(model_dir + "/tokenizer.json");
  report.has_tokenizer_config = base::file_exists(model_dir + "/tokenizer_config.json");
  base::Result<io::ChatTemplateSource> chat_template = io::load_chat_template(model_dir);
  if (chat_template.ok()) {
    report.chat_template = std::move(chat_template).value();
  } else {
    report.chat_template_problem = chat_template.status().message();
    report.chat_template_missing = chat_template.status().code() == base::StatusCode::kNotFound;
  }
  return report;
}

std::string join_ints(const std::vector<int64_t>& values) {
  std::string text;
  for (int64_t value : values) text += (text.empty() ? "" : ", ") + std::to_string(value);
  return "[" + text + "]";
}

std::string human_bytes(uint64_t num_bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(num_bytes);
  int unit_idx = 0;
  while (value >= 1024.0 && unit_idx < 4) {
    value /= 1024.0;
    ++unit_idx;
  }
  return unit_idx == 0 ? fmt::format("{} B", num_bytes) : fmt::format("{:.2f} {}", value, units[unit_idx]);
}

std::string human_count(uint64_t count) {
  if (count >= 1'000'000'000) return fmt::format("{:.2f} B", static_cast<double>(count) / 1e9);
  if (count >= 1'000'000) return fmt::format("{:.2f} M", static_cast<double>(count) / 1e6);
  if (count >= 1'000) return fmt::format("{:.1f} K", static_cast<double>(count) / 1e3);
  return std::to_string(count);
}

std::string dtype_list(const std::vector<tensor::DType>& dtypes) {
  std::string text;
  for (tensor::DType dtype : dtypes) text += (text.empty() ? "" : ", ") + std::string(tensor::dtype_name(dtype));
  return text;
}

json census_json(const io::ParameterCensus& census) {
  json components = json::object();
  for (int component_idx = 0; component_idx < io::kNumModelComponents; ++component_idx) {
    const io::ComponentCensus& component = census.components[static_cast<size_t>(component_idx)];
    json dtypes = json::array();
    for (tensor::DType dtype : component.dtypes) dtypes.push_back(std::string(tensor::dtype_name(dtype)));
    components[std::string(io::component_name(static_cast<io::ModelComponent>(component_idx)))] = {
        {"parameters", component.num_params},
        {"packed_parameters", component.num_packed_params},
        {"bytes", census.bytes_known ? json(component.weight_bytes) : json(nullptr)},
        {"tensors", component.num_tensors},
        {"dtypes", dtypes}};
  }
  return {
      {"source", census.from_weights ? "weights" : "config"},
      {"total", census.total_params()},
      {"total_packed", census.total_packed_params()},
      {"packed_bits", census.packed_bits},
      {"packed_note", census.packed_bits > 0 ? fmt::format("packed int{} weights count {} parameters per int32 word",
                                                           census.packed_bits, 32 / census.packed_bits)
                                             : ""},
      {"total_bytes", census.bytes_known ? json(census.total_bytes()) : json(nullptr)},
      {"lm_head_tied", census.lm_head_tied},
      {"components", components}};
}

json quantization_json(const io::ModelConfig& config) {
  if (!config.quantization_config) return nullptr;
  const io::QuantizationConfig& quant = *config.quantization_config;
  return {{"method", std::string(io::quant_method_name(quant.method))},
          {"quant_method", quant.quant_method},
          {"source_file", quant.source_file},
          {"bits", quant.bits},
          {"group_size", quant.group_size},
          {"symmetric", quant.symmetric ? json(*quant.symmetric) : json(nullptr)},
          {"strategy", quant.strategy},
          {"actorder", quant.actorder},
          {"format", quant.format},
          {"weight_type", quant.weight_type},
          {"weight_block_size", quant.weight_block_size},
          {"activation_scheme", quant.activation_scheme},
          {"ignore", quant.ignore},
          {"description", quant.describe()}};
}

json weight_formats(const FolderReport& report, bool print);

json report_json(const FolderReport& report) {
  const io::ModelConfig& config = report.config;
  const io::TextConfig& text = config.text_config;
  const io::RopeParameters& rope = text.rope_parameters;
  json text_json = {{"num_hidden_layers", text.num_hidden_layers},
                    {"hidden_size", text.hidden_size},
                    {"intermediate_size", text.intermediate_size},
                    {"num_attention_heads", text.num_attention_heads},
                    {"num_key_value_heads", text.num_key_value_heads},
                    {"head_dim", text.head_dim},
                    {"vocab_size", text.vocab_size},
                    {"max_position_embeddings", text.max_position_embeddings},
                    {"rms_norm_eps", text.rms_norm_eps},
                    {"rope_type", rope.rope_type},
                    {"rope_theta", rope.rope_theta},
                    {"mrope_section", rope.mrope_section},
                    {"mrope_interleaved", rope.mrope_interleaved},
                    {"rope_form", rope.legacy_form ? "rope_theta+rope_scaling" : "rope_parameters"},
                    {"num_experts", text.num_experts},
                    {"num_experts_per_tok", text.num_experts_per_tok},
                    {"moe_intermediate_size", text.moe_intermediate_size}};
  json vision_json = nullptr;
  if (config.vision_config) {
    const io::VisionConfig& vision = *config.vision_config;
    vision_json = {{"depth", vision.depth},
                   {"hidden_size", vision.hidden_size},
                   {"intermediate_size", vision.intermediate_size},
                   {"num_heads", vision.num_heads},
                   {"patch_size", vision.patch_size},
                   {"spatial_merge_size", vision.spatial_merge_size},
                   {"temporal_patch_size", vision.temporal_patch_size},
                   {"out_hidden_size", vision.out_hidden_size},
                   {"deepstack_visual_indexes", vision.deepstack_visual_indexes}};
  }
  json weights_json = {{"present", report.weights.has_value()}};
  if (report.weights) {
    weights_json["num_shards"] = report.weights->num_files();
    weights_json["sharded"] = report.weights->sharded();
    weights_json["files"] = report.weights->file_names();
    weights_json["num_tensors"] = report.weights->num_tensors();
    weights_json["total_bytes"] = report.weights->total_bytes();
  }
  json chat_json = {{"found", report.chat_template.has_value()}};
  if (report.chat_template) {
    chat_json["origin"] = report.chat_template->origin;
  } else {
    chat_json["problem"] = report.chat_template_problem;
  }
  json generation_json = {{"source_file", report.generation.source_file},
                          {"eos_token_id", report.generation.eos_token_id},
                          {"temperature", report.generation.temperature},
                          {"top_p", report.generation.top_p},
                          {"top_k", report.generation.top_k}};
  json result = {
      {"model_dir", report.model_dir},
      {"model_type", config.model_type},
      {"architectures", config.architectures},
      {"supported", report.support.ok()},
      {"dtype", config.dtype},
      {"tie_word_embeddings", config.tie_word_embeddings},
      {"text_config", text_json},
      {"vision_config", vision_json},
      {"quantization", quantization_json(config)},
      {"weight_formats", weight_formats(report, false)},
      {"tokenizer",
       {{"tokenizer_json", report.has_tokenizer_json}, {"tokenizer_config_json", report.has_tokenizer_config}}},
      {"chat_template", chat_json},
      {"generation_config", generation_json},
      {"weights", weights_json},
      {"parameters", census_json(report.census())},
      {"parameters_from_config", census_json(report.census_from_config)}};
  if (!report.support.ok()) result["unsupported_reason"] = report.support.message();
  if (report.image_processor) {
    result["image_processor"] = {{"source_file", report.image_processor->source_file},
                                 {"patch_size", report.image_processor->patch_size},
                                 {"min_pixels", report.image_processor->size.shortest_edge},
                                 {"max_pixels", report.image_processor->size.longest_edge}};
  }
  if (report.video_processor) {
    result["video_processor"] = {{"source_file", report.video_processor->source_file},
                                 {"fps", report.video_processor->fps},
                                 {"min_pixels", report.video_processor->size.shortest_edge},
                                 {"max_pixels", report.video_processor->size.longest_edge}};
  }
  return result;
}

// Prints rows of cells with every column padded to its widest cell; columns flagged in right_aligned (numbers)
// are padded on the left.
void print_table(const std::vector<std::vector<std::string>>& rows, const std::vector<bool>& right_aligned = {}) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    for (size_t column_idx = 0; column_idx < row.size(); ++column_idx) {
      if (widths.size() <= column_idx) widths.push_back(0);
      widths[column_idx] = std::max(widths[column_idx], row[column_idx].size());
    }
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t column_idx = 0; column_idx < row.size(); ++column_idx) {
      bool right = column_idx < right_aligned.size() && right_aligned[column_idx];
      line += right ? fmt::format("{:>{}}  ", row[column_idx], widths[column_idx])
                    : fmt::format("{:<{}}  ", row[column_idx], widths[column_idx]);
    }
    line.erase(line.find_last_not_of(' ') + 1);
    std::printf("%s\n", line.c_str());
  }
}

// The storage formats of each component and their bytes (quant/format_census.h), as JSON and as a table; null / no
// output without weight files.
json weight_formats(const FolderReport& report, bool print) {
  if (!report.weights) return nullptr;
  const quant::FormatCensus census = quant::census_formats(*report.weights, report.config);
  json out = json::object();
  std::vector<std::vector<std::string>> table = {{"component", "stored as", "linears", "tensors", "bytes"}};
  for (int component_idx = 0; component_idx < io::kNumModelComponents; ++component_idx) {
    const std::string component(io::component_name(static_cast<io::ModelComponent>(component_idx)));
    for (const quant::FormatBytes& format : census.components[static_cast<size_t>(component_idx)]) {
      out[component].push_back({{"format", format.format},
                                 {"linears", format.num_linears},
                                 {"tensors", format.num_tensors},
                                 {"bytes", format.bytes}});
      table.push_back({component, format.format, std::to_string(format.num_linears),
                       std::to_string(format.num_tensors), fmt::format("{} ({})", format.bytes,
                                                                       human_bytes(format.bytes))});
    }
  }
  if (print) {
    std::printf("\n");
    print_table(table, {false, false, true, true, true});
  }
  return out;
}

std::string rope_summary(const io::RopeParameters& rope) {
  std::string text = fmt::format("{}, theta {}", rope.rope_type, rope.rope_theta);
  if (!rope.mrope_section.empty()) {
    text += fmt::format(", mrope_section {}{}", join_ints(rope.mrope_section),
                        rope.mrope_interleaved ? " interleaved" : "");
  }
  return text + (rope.legacy_form ? " (rope_theta + rope_scaling form)" : " (rope_parameters form)");
}

void print_human(const FolderReport& report) {
  const io::ModelConfig& config = report.config;
  const io::TextConfig& text = config.text_config;
  std::vector<std::vector<std::string>> rows;
  std::string architecture = config.architectures.empty() ? config.model_type : config.architectures.front();
  rows.push_back({"model folder", report.model_dir});
  rows.push_back({"architecture", fmt::format("{} (model_type {})", architecture, config.model_type)});
  rows.push_back({"supported", report.support.ok() ? "yes" : "no: " + report.support.message()});
  rows.push_back({"dtype", config.dtype.empty() ? "not stated" : config.dtype});
  std::string decoder = fmt::format("{} layers, hidden {}, {} heads ({} KV, head_dim {}), intermediate {}, vocab {}",
                                    text.num_hidden_layers, text.hidden_size, text.num_attention_heads,
                                    text.num_key_value_heads, text.head_dim, text.intermediate_size, text.vocab_size);
  if (text.num_experts > 0) {
    decoder += fmt::format(", {} experts (top {}, expert intermediate {})", text.num_experts, text.num_experts_per_tok,
                           text.moe_intermediate_size);
  }
  rows.push_back({"text decoder", decoder});
  rows.push_back({"rope", rope_summary(text.rope_parameters)});
  if (config.vision_config) {
    const io::VisionConfig& vision = *config.vision_config;
    rows.push_back({"vision tower", fmt::format("depth {}, hidden {}, {} heads, intermediate {}, patch {}, merge {}, "
                                                "deepstack {}, out {}",
                                                vision.depth, vision.hidden_size, vision.num_heads,
                                                vision.intermediate_size, vision.patch_size, vision.spatial_merge_size,
                                                join_ints(vision.deepstack_visual_indexes), vision.out_hidden_size)});
  }
  rows.push_back({"tie embeddings", config.tie_word_embeddings ? "yes" : "no"});
  rows.push_back({"quantization", config.quantization_config
                                      ? fmt::format("{} (from {})", config.quantization_config->describe(),
                                                    config.quantization_config->source_file)
                                      : "none"});
  rows.push_back({"tokenizer", report.has_tokenizer_json ? "tokenizer.json found" : "tokenizer.json missing"});
  rows.push_back({"chat template", report.chat_template           ? report.chat_template->origin
                                   : report.chat_template_missing ? "none found"
                                                                  : "unreadable: " + report.chat_template_problem});
  rows.push_back(
      {"generation",
       report.generation.source_file.empty()
           ? fmt::format("defaults (no generation_config.json), eos {}", join_ints(report.generation.eos_token_id))
           : fmt::format("{}: eos {}, temperature {}, top_p {}, top_k {}", report.generation.source_file,
                         join_ints(report.generation.eos_token_id), report.generation.temperature,
                         report.generation.top_p, report.generation.top_k)});
  if (report.image_processor) {
    const io::ImageProcessorConfig& image = *report.image_processor;
    rows.push_back(
        {"image processor",
         fmt::format("{}: patch {}, pixels {}..{}", image.source_file.empty() ? "class defaults" : image.source_file,
                     image.patch_size, image.size.shortest_edge, image.size.longest_edge)});
  }
  if (report.weights) {
    rows.push_back(
        {"weights", fmt::format("{} {}, {} tensors, {} ({} bytes)", report.weights->num_files(),
                                report.weights->num_files() == 1 ? "shard" : "shards", report.weights->num_tensors(),
                                human_bytes(report.weights->total_bytes()), report.weights->total_bytes())});
  } else {
    rows.push_back({"weights",
                    "absent (no model.safetensors or model.safetensors.index.json); parameter counts "
                    "below are computed from config.json"});
  }
  print_table(rows);
  std::printf("\n");

  const io::ParameterCensus& census = report.census();
  std::vector<std::vector<std::string>> table = {{"component", "parameters", "", "bytes", "dtypes"}};
  for (int component_idx = 0; component_idx < io::kNumModelComponents; ++component_idx) {
    auto component_id = static_cast<io::ModelComponent>(component_idx);
    const io::ComponentCensus& component = census[component_id];
    if (component.num_params == 0 && component.weight_bytes == 0 && component_id != io::ModelComponent::kLmHead) {
      continue;
    }
    std::string name(io::component_name(component_id));
    if (component_id == io::ModelComponent::kLmHead && census.lm_head_tied) {
      table.push_back({name, "0", "", "0", "tied to embeddings"});
      continue;
    }
    table.push_back({name, std::to_string(component.num_params), human_count(component.num_params),
                     census.bytes_known ? std::to_string(component.weight_bytes) : "?", dtype_list(component.dtypes)});
  }
  table.push_back({"total", std::to_string(census.total_params()), human_count(census.total_params()),
                   census.bytes_known ? std::to_string(census.total_bytes()) : "?", ""});
  print_table(table, {false, true, true, true, false});
  std::printf("(parameters counted from %s", census.from_weights ? "the weight files" : "config.json");
  if (!census.bytes_known) std::printf("; bytes unknown without weights for a quantized or untyped checkpoint");
  std::printf(")\n");
  if (census.packed_bits > 0) {
    std::printf("note: packed int%lld weights count %lld parameters per int32 word (%llu of the total)\n",
                static_cast<long long>(census.packed_bits), static_cast<long long>(32 / census.packed_bits),
                static_cast<unsigned long long>(census.total_packed_params()));
  }
  if (report.census_from_weights && report.census_from_config.total_params() != census.total_params()) {
    std::printf("note: config.json implies %llu parameters, the weight files hold %llu\n",
                static_cast<unsigned long long>(report.census_from_config.total_params()),
                static_cast<unsigned long long>(census.total_params()));
  }
  weight_formats(report, true);
}

class InspectCommand : public Command {
 public:
  void configure(CLI::App& app) override {
    app.add_option("model_dir", model_dir_, "Hugging Face model folder (config.json, safetensors, tokenizer)")
        ->required();
    app.add_flag("--json", json_, "print one JSON object instead of tables");
  }

  int run() override {
    base::Result<FolderReport> report = gather(model_dir_);
    if (!report.ok()) return report_error(report.status());
    if (json_) {
      std::printf("%s\n", report_json(*report).dump(2, ' ', false, json::error_handler_t::replace).c_str());
    } else {
      print_human(*report);
    }
    return 0;
  }

 private:
  std::string model_dir_;
  bool json_ = false;
};

}  // namespace

FOVEA_REGISTER_COMMAND(InspectCommand, "inspect", "describe a model folder: architecture, parameters, files");

}  // namespace fovea::cli
