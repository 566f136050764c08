// `fovea bench-engine --model DIR [--load-format dummy] [--device cuda]`: an offline benchmark of the model's steps
// like vLLM's latency and throughput benchmarks: decode tok/s at several batch sizes over a fixed context and prefill
// tok/s of one prompt, driving model::TextDecoder directly over a paged KV cache (decode steps replay CUDA graphs
// unless --enforce-eager), each number beside the limit measured in the same run (bytes per step over the measured
// copy bandwidth; FLOPs over the measured GEMM peak).
// Prints a table and writes the same as JSON (--output-json). Must not contain scheduling, sampling or op code.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "backend/cuda/cuda_factory.h"
#include "cli/command_registry.h"
#include "model/kv_cache.h"
#include "model/model.h"
#include "tensor/float_convert.h"

namespace fovea::cli {
namespace {

using nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

std::string dtype_text(tensor::DType dtype) { return std::string(tensor::dtype_name(dtype)); }

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

base::Result<tensor::DType> parse_act_dtype(const std::string& name) {
  if (name == "bfloat16" || name == "bf16") return tensor::DType::kBF16;
  if (name == "float16" || name == "f16") return tensor::DType::kF16;
  if (name == "float32" || name == "f32") return tensor::DType::kF32;
  return base::invalid_argument("--dtype {} is not an activation dtype; use bfloat16, float16 or float32", name);
}

base::Result<tensor::DType> parse_kv_dtype(const std::string& name, tensor::DType act) {
  if (name == "auto") return act;
  if (name == "fp8" || name == "fp8_e4m3") return tensor::DType::kF8E4M3;
  if (name == "bfloat16" || name == "float16" || name == "float32") return parse_act_dtype(name);
  return base::invalid_argument("--kv-cache-dtype {} is not supported; use auto, bfloat16, float16, float32 or fp8",
                                name);
}

// The checkpoint dtype config.json names (what dummy weights are made in); bf16 when absent, as the loader does.
tensor::DType weight_dtype(const io::ModelConfig& config) {
  const std::string& dtype = config.dtype.empty() ? config.text_config.dtype : config.dtype;
  if (dtype == "float16") return tensor::DType::kF16;
  if (dtype == "float32") return tensor::DType::kF32;
  return tensor::DType::kBF16;
}

// What one step must at least read or compute, from config.json (dense decoder layers).
struct StepCost {
  double layer_weight_bytes = 0;  // every decoder layer's linear maps and norms
  double lm_head_bytes = 0;
  double kv_bytes_per_token = 0;        // K and V of one cached token, all layers
  double linear_flops_per_token = 0;    // 2 x the decoder layers' linear weights
  double lm_head_flops_per_row = 0;     // 2 x vocab x hidden
  double attention_flops_per_pair = 0;  // Q.K and P.V of one (query, key) pair, all heads and layers

  // Bytes a decode step of `batch` sequences, each attending over `context` tokens, reads at least.
  double decode_bytes(int64_t batch, double context) const {
    return layer_weight_bytes + lm_head_bytes + static_cast<double>(batch) * context * kv_bytes_per_token;
  }
  // FLOPs of one causal prefill of `tokens` tokens with the logits of the last one.
  double prefill_flops(int64_t tokens) const {
    const auto n = static_cast<double>(tokens);
    return n * linear_flops_per_token + lm_head_flops_per_row + attention_flops_per_pair * n * (n + 1) / 2;
  }
};

StepCost step_cost(const io::ModelConfig& config, tensor::DType kv_dtype) {
  const io::TextConfig& text = config.text_config;
  const double hidden = static_cast<double>(text.hidden_size);
  const double q_width = static_cast<double>(text.num_attention_heads * text.head_dim);
  const double kv_width = static_cast<double>(text.num_key_value_heads * text.head_dim);
  const double inter = static_cast<double>(text.intermediate_size);
  const double layers = static_cast<double>(text.num_hidden_layers);
  const double vocab = static_cast<double>(text.vocab_size);
  const double weight_element = tensor::dtype_size_bytes(weight_dtype(config));
  // q, k, v, o; gate, up, down.
  const double linear_params = hidden * (q_width + 2 * kv_width) + q_width * hidden + 3 * hidden * inter;
  const double norm_params = 2 * hidden + 2 * static_cast<double>(text.head_dim);
  StepCost cost;
  cost.layer_weight_bytes = layers * (linear_params + norm_params) * weight_element;
  cost.lm_head_bytes = vocab * hidden * weight_element;
  cost.kv_bytes_per_token = layers * 2 * kv_width * tensor::dtype_size_bytes(kv_dtype);
  cost.linear_flops_per_token = 2 * layers * linear_params;
  cost.lm_head_flops_per_row = 2 * vocab * hidden;
  cost.attention_flops_per_pair = layers * 4 * q_width;
  return cost;
}

// Polls for `path` every 100 ms, for at most 15 minutes.
base::Status wait_for_file(const std::string& path) {
  const auto start = Clock::now();
  std::error_code error;
  while (!std::filesystem::exists(path, error)) {
    if (seconds_since(start) > 900) {
      return base::make_error(base::StatusCode::kUnavailable,
                              "--start-after {}: the file did not appear within 15 minutes", path);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return base::Status();
}

// Device-to-device copy rate, bytes read plus bytes written per second (the convention of performance-goals.md).
base::Result<double> measure_copy_bandwidth(backend::Backend& backend, uint64_t size_bytes, int iters) {
  constexpr int64_t kRowElements = 4096;
  const auto rows = static_cast<int64_t>(size_bytes / (kRowElements * 2));
  FOVEA_ASSIGN_OR_RETURN(std::unique_ptr<backend::Buffer> src_buffer, backend.allocate(size_bytes));
  FOVEA_ASSIGN_OR_RETURN(std::unique_ptr<backend::Buffer> dst_buffer, backend.allocate(size_bytes));
  const tensor::Shape shape({rows, kRowElements});
  const backend::Tensor src = backend::Tensor::on(*src_buffer, tensor::DType::kBF16, shape);
  const backend::Tensor dst = backend::Tensor::on(*dst_buffer, tensor::DType::kBF16, shape);
  backend::Stream& stream = backend.default_stream();
  for (int idx = 0; idx < 2; ++idx) FOVEA_RETURN_IF_ERROR(backend.copy(stream, src, dst));
  FOVEA_RETURN_IF_ERROR(backend.synchronize(stream));
  const auto start = Clock::now();
  for (int idx = 0; idx < iters; ++idx) FOVEA_RETURN_IF_ERROR(backend.copy(stream, src, dst));
  FOVEA_RETURN_IF_ERROR(backend.synchronize(stream));
  const double elapsed = seconds_since(start);
  return 2.0 * static_cast<double>(rows * kRowElements * 2) * iters / elapsed;
}

// A square GEMM y = x W^T of `size` in the activation dtype on random data, through the backend's linear op (cuBLASLt
// on the GPU): FLOP/s.
base::Result<double> measure_gemm_peak(backend::Backend& backend, int64_t size, tensor::DType dtype, int iters) {
  const tensor::Shape shape({size, size});
  const uint64_t bytes = static_cast<uint64_t>(size * size) * static_cast<uint64_t>(tensor::dtype_size_bytes(dtype));
  FOVEA_ASSIGN_OR_RETURN(std::unique_ptr<backend::Buffer> x_buffer, backend.allocate(bytes));
  FOVEA_ASSIGN_OR_RETURN(std::unique_ptr<backend::Buffer> w_buffer, backend.allocate(bytes));
  FOVEA_ASSIGN_OR_RETURN(std::unique_ptr<backend::Buffer> y_buffer, backend.allocate(bytes));
  const backend::Tensor x = backend::Tensor::on(*x_buffer, dtype, shape);
  backend::Weight w;
  w.values = backend::Tensor::on(*w_buffer, dtype, shape);
  const backend::Tensor y = backend::Tensor::on(*y_buffer, dtype, shape);
  // Random values in [-1, 1): zeros would flatter the tensor cores (less switching).
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  const auto numel = static_cast<size_t>(size * size);
  std::vector<uint16_t> half(dtype == tensor::DType::kF32 ? 0 : numel);
  std::vector<float> full(dtype == tensor::DType::kF32 ? numel : 0);
  for (size_t idx = 0; idx < numel; ++idx) {
    const float value = uniform(rng);
    if (dtype == tensor::DType::kF32) {
      full[idx] = value;
    } else {
      half[idx] = dtype == tensor::DType::kBF16 ? tensor::float_to_bf16(value) : tensor::float_to_f16(value);
    }
  }
  const void* host = dtype == tensor::DType::kF32 ? static_cast<const void*>(full.data()) : half.data();
  backend::Stream& stream = backend.default_stream();
  FOVEA_RETURN_IF_ERROR(backend.copy_from_host(stream, host, x));
  FOVEA_RETURN_IF_ERROR(backend.copy_from_host(stream, host, w.values));
  for (int idx = 0; idx < 3; ++idx) FOVEA_RETURN_IF_ERROR(backend.ops().linear(stream, x, w, nullptr, y));
  FOVEA_RETURN_IF_ERROR(backend.synchronize(stream));
  const auto start = Clock::now();
  for (int idx = 0; idx < iters; ++idx) FOVEA_RETURN_IF_ERROR(backend.ops().linear(stream, x, w, nullptr, y));
  FOVEA_RETURN_IF_ERROR(backend.synchronize(stream));
  const double elapsed = seconds_since(start);
  const auto n = static_cast<double>(size);
  return 2.0 * n * n * n * iters / elapsed;
}

// The host arrays of one decoder step; the spans of the DecoderStep point into them.
struct StepArrays {
  std::vector<int32_t> token_ids;
  std::vector<int32_t> positions;
  std::vector<int32_t> slot_mapping;
  std::vector<int32_t> query_start_loc{0};
  std::vector<int32_t> seq_lens;
  std::vector<int32_t> block_tables;
  std::vector<int32_t> logits_rows;
  int64_t blocks_per_seq = 1;
  int max_query_len = 0;
  int max_seq_len = 0;

  model::DecoderStep step() const {
    model::DecoderStep step;
    step.token_ids = token_ids;
    step.positions = positions;
    step.slot_mapping = slot_mapping;
    step.query_start_loc = query_start_loc;
    step.seq_lens = seq_lens;
    step.block_tables = block_tables;
    step.blocks_per_seq = blocks_per_seq;
    step.max_query_len = max_query_len;
    step.max_seq_len = max_seq_len;
    step.logits_rows = logits_rows;
    return step;
  }
};

// `num_seqs` text sequences with `num_cached` tokens each already in the cache and `num_new` new ones; sequence b
// owns cache blocks [b * blocks_per_seq, (b + 1) * blocks_per_seq). Logits of every sequence's last token. Text
// positions are the token index on every rotary axis (mrope of text without images).
StepArrays make_step(int64_t num_seqs, int64_t num_cached, int64_t num_new, int64_t blocks_per_seq, int64_t block_size,
                     bool mrope, int64_t vocab_size, std::mt19937& rng) {
  StepArrays arrays;
  arrays.blocks_per_seq = blocks_per_seq;
  std::uniform_int_distribution<int32_t> token(0, static_cast<int32_t>(vocab_size - 1));
  std::vector<int32_t> text_positions;
  for (int64_t seq = 0; seq < num_seqs; ++seq) {
    for (int64_t pos = num_cached; pos < num_cached + num_new; ++pos) {
      arrays.token_ids.push_back(token(rng));
      text_positions.push_back(static_cast<int32_t>(pos));
      const int64_t block = seq * blocks_per_seq + pos / block_size;
      arrays.slot_mapping.push_back(static_cast<int32_t>(block * block_size + pos % block_size));
    }
    arrays.query_start_loc.push_back(static_cast<int32_t>(arrays.token_ids.size()));
    arrays.seq_lens.push_back(static_cast<int32_t>(num_cached + num_new));
    arrays.logits_rows.push_back(static_cast<int32_t>(arrays.token_ids.size() - 1));
    for (int64_t col = 0; col < blocks_per_seq; ++col) {
      arrays.block_tables.push_back(static_cast<int32_t>(seq * blocks_per_seq + col));
    }
  }
  for (int axis = 0; axis < (mrope ? 3 : 1); ++axis) {
    arrays.positions.insert(arrays.positions.end(), text_positions.begin(), text_positions.end());
  }
  arrays.max_query_len = static_cast<int>(num_new);
  arrays.max_seq_len = static_cast<int>(num_cached + num_new);
  return arrays;
}

struct Measurement {
  std::string phase;  // "decode" or "prefill"
  int64_t batch = 0;
  int64_t new_tokens = 0;  // per sequence per step
  int64_t context = 0;     // cached tokens per sequence before the first timed step
  int num_steps = 0;
  double mean_step_s = 0;
  double median_step_s = 0;
  double tokens_per_s = 0;
  double limit_tokens_per_s = 0;
  bool graphs = false;  // decode steps replayed CUDA graphs
};

std::vector<int64_t> parse_list(const std::string& text) {
  std::vector<int64_t> values;
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = text.find(',', begin);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(begin, end - begin);
    char* parse_end = nullptr;
    const long long value = std::strtoll(item.c_str(), &parse_end, 10);
    values.push_back(item.empty() || *parse_end != '\0' ? -1 : value);
    begin = end + 1;
  }
  return values;
}

class BenchEngineCommand : public Command {
 public:
  void configure(CLI::App& app) override {
    app.add_option("--model", model_dir_, "Model folder (config.json; weights unless --load-format dummy)")->required();
    app.add_option("--load-format", load_format_, "safetensors, or dummy: seeded random weights of the real shapes")
        ->capture_default_str();
    app.add_option("--device", device_, "cuda, cuda:N or cpu")->capture_default_str();
    app.add_option("--dtype", dtype_, "Activation dtype: bfloat16, float16 or float32")->capture_default_str();
    app.add_option("--kv-cache-dtype", kv_dtype_, "auto (the activation dtype) or fp8")->capture_default_str();
    app.add_option("--batch-sizes", batch_sizes_, "Decode batch sizes, comma-separated")->capture_default_str();
    app.add_option("--context-len", context_len_, "Cached tokens per sequence before the timed decode steps")
        ->capture_default_str();
    app.add_option("--decode-steps", decode_steps_, "Timed decode steps per batch size")->capture_default_str();
    app.add_option("--prefill-lens", prefill_lens_, "Prompt lengths of the prefill runs, comma-separated")
        ->capture_default_str();
    app.add_option("--prefill-iters", prefill_iters_, "Timed prefills per length")->capture_default_str();
    app.add_option("--warmup", warmup_, "Untimed steps before each measurement")->capture_default_str();
    app.add_flag("--enforce-eager", enforce_eager_,
                 "Run decode steps op by op (no CUDA graphs), as vLLM's --enforce-eager");
    app.add_flag("--compare-eager", compare_eager_,
                 "Also time every decode batch op by op first (phase \"eager\"), beside the CUDA-graph rows");
    app.add_flag("--profile-prefill", profile_prefill_,
                 "After each prefill length, run one more with per-op device timing (CUDA) and print the table");
    app.add_option("--block-size", block_size_, "KV cache block size in tokens")->capture_default_str();
    app.add_option("--copy-mib", copy_mib_, "Buffer size of the bandwidth measurement (0: skip)")
        ->capture_default_str();
    app.add_option("--gemm-size", gemm_size_, "M = N = K of the GEMM peak measurement (0: skip)")
        ->capture_default_str();
    app.add_option("--seed", seed_, "Seed of the dummy weights and token ids")->capture_default_str();
    app.add_option("--threads", num_threads_, "CPU threads for --device cpu (0: all cores)")->capture_default_str();
    app.add_option("--label", label_, "Name of the model shapes in the table (default: the folder)");
    app.add_option("--output-json", json_path_, "Also write the results as JSON to this file");
    app.add_option("--start-after", start_after_path_,
                   "After loading, wait until this file exists before measuring (a driver loads the model while "
                   "other GPU work finishes, then creates the file)");
  }

  int run() override {
    auto status = execute();
    return status.ok() ? 0 : report_error(status);
  }

 private:
  base::Status check_options() {
    if (load_format_ != "dummy" && load_format_ != "safetensors") {
      return base::invalid_argument("--load-format {} is not supported; use safetensors or dummy", load_format_);
    }
    batches_ = parse_list(batch_sizes_);
    prefills_ = parse_list(prefill_lens_);
    for (const auto* list : {&batches_, &prefills_}) {
      for (int64_t value : *list) {
        if (value < 1 || value > 1 << 20) {
          return base::invalid_argument("--batch-sizes and --prefill-lens take positive integers separated by commas");
        }
      }
    }
    if (context_len_ < 0 || decode_steps_ < 1 || prefill_iters_ < 1 || warmup_ < 0 || block_size_ < 1 ||
        copy_mib_ < 0 || gemm_size_ < 0) {
      return base::invalid_argument(
          "--context-len, --warmup, --copy-mib and --gemm-size must be >= 0, and --decode-steps, --prefill-iters "
          "and --block-size >= 1");
    }
    return base::Status();
  }

  base::Status make_backend() {
    if (device_ == "cpu") {
      backend::cpu::CpuBackendOptions options;
      options.num_threads = num_threads_;
      backend_ = std::make_unique<backend::cpu::CpuBackend>(options);
      device_name_ = "cpu";
      return base::Status();
    }
    FOVEA_ASSIGN_OR_RETURN(backend::cuda::CudaDeviceInfo info, backend::cuda::cuda_device_info(device_));
    device_name_ = info.name;
    device_memory_bytes_ = info.total_bytes;
    FOVEA_ASSIGN_OR_RETURN(backend_, backend::cuda::create_cuda_backend(device_));
    return base::Status();
  }

  base::Status execute() {
    FOVEA_RETURN_IF_ERROR(check_options());
    FOVEA_ASSIGN_OR_RETURN(tensor::DType act, parse_act_dtype(dtype_));
    FOVEA_ASSIGN_OR_RETURN(tensor::DType kv_dtype, parse_kv_dtype(kv_dtype_, act));
    FOVEA_RETURN_IF_ERROR(make_backend());

    const int64_t max_batch = batches_.empty() ? 1 : *std::max_element(batches_.begin(), batches_.end());
    const int64_t max_prefill = prefills_.empty() ? 1 : *std::max_element(prefills_.begin(), prefills_.end());
    const int64_t decode_len = context_len_ + warmup_ + decode_steps_;
    const int64_t decode_blocks = (decode_len + block_size_ - 1) / block_size_;
    const int64_t prefill_blocks = (max_prefill + block_size_ - 1) / block_size_;
    model::ModelOptions options;
    options.activation_dtype = act;
    options.load_format = load_format_ == "dummy" ? model::LoadFormat::kDummy : model::LoadFormat::kSafetensors;
    options.dummy_seed = seed_;
    options.text_limits.max_num_batched_tokens = std::max(max_batch, max_prefill);
    options.text_limits.max_num_seqs = max_batch;
    options.text_limits.max_blocks_per_seq = std::max(decode_blocks, prefill_blocks);
    options.max_vision_patches = 0;  // text steps only: no vision workspace

    std::printf("bench-engine: loading %s (%s weights) on %s\n", model_dir_.c_str(), load_format_.c_str(),
                device_name_.c_str());
    std::fflush(stdout);
    auto load_start = Clock::now();
    FOVEA_ASSIGN_OR_RETURN(std::unique_ptr<model::Model> model, model::Model::load(model_dir_, *backend_, options));
    const double load_s = seconds_since(load_start);
    const io::ModelConfig& config = model->config();
    const int64_t num_blocks = std::max(batches_.empty() ? 0 : max_batch * decode_blocks, prefill_blocks);
    FOVEA_ASSIGN_OR_RETURN(model::KvCache cache, model->allocate_kv_cache(num_blocks, block_size_, kv_dtype));
    const uint64_t kv_bytes =
        model::kv_cache_bytes_per_block(config.text_config, block_size_, kv_dtype) * static_cast<uint64_t>(num_blocks);

    if (!start_after_path_.empty()) FOVEA_RETURN_IF_ERROR(wait_for_file(start_after_path_));

    // The limits, measured after the model's memory is in place (the buffers go back to the pool afterwards).
    double copy_bytes_per_s = 0;
    double gemm_flops_per_s = 0;
    if (copy_mib_ > 0) {
      FOVEA_ASSIGN_OR_RETURN(copy_bytes_per_s,
                             measure_copy_bandwidth(*backend_, static_cast<uint64_t>(copy_mib_) << 20, 20));
    }
    if (gemm_size_ > 0) {
      FOVEA_ASSIGN_OR_RETURN(gemm_flops_per_s, measure_gemm_peak(*backend_, gemm_size_, act, 10));
    }
    const StepCost cost = step_cost(config, kv_dtype);

    std::vector<Measurement> results;
    std::mt19937 rng(static_cast<uint32_t>(seed_));
    const bool mrope = model->decoder().uses_mrope();
    const int64_t vocab = config.text_config.vocab_size;
    model::TextDecoder& decoder = model->decoder();
    const model::DecodeGraphMode graph_mode =
        enforce_eager_ ? model::DecodeGraphMode::kOff : model::DecodeGraphMode::kGraphs;
    decoder.set_decode_graph_mode(graph_mode);
    const bool graphs_on = decoder.decode_graph_mode() == model::DecodeGraphMode::kGraphs;  // CUDA only
    for (int64_t batch : batches_) {
      // Steps append to each sequence; the cache's contents before them are whatever it holds (the time of a step
      // does not depend on the values). With --compare-eager the op-by-op run goes first over the same positions.
      std::vector<model::DecodeGraphMode> modes;
      if (compare_eager_ && graphs_on) modes.push_back(model::DecodeGraphMode::kOff);
      modes.push_back(graph_mode);
      for (model::DecodeGraphMode mode : modes) {
        decoder.set_decode_graph_mode(mode);
        const bool graphs = decoder.decode_graph_mode() == model::DecodeGraphMode::kGraphs;
        Measurement m{graphs || modes.size() == 1 ? "decode" : "eager", batch, 1, context_len_,
                      static_cast<int>(decode_steps_)};
        m.graphs = graphs;
        std::vector<double> times;
        for (int64_t step_idx = 0; step_idx < warmup_ + decode_steps_; ++step_idx) {
          const StepArrays arrays =
              make_step(batch, context_len_ + step_idx, 1, decode_blocks, block_size_, mrope, vocab, rng);
          const auto start = Clock::now();
          FOVEA_RETURN_IF_ERROR(decoder.forward(arrays.step(), cache).status());
          FOVEA_RETURN_IF_ERROR(backend_->synchronize(backend_->default_stream()));
          if (step_idx >= warmup_) times.push_back(seconds_since(start));
        }
        summarise(times, batch, &m);
        const double mean_context = static_cast<double>(context_len_ + warmup_) + (decode_steps_ + 1) / 2.0;
        if (copy_bytes_per_s > 0) {
          m.limit_tokens_per_s =
              static_cast<double>(batch) * copy_bytes_per_s / cost.decode_bytes(batch, mean_context);
        }
        print_progress(m);
        results.push_back(m);
      }
    }
    if (const model::DecoderStepGraphs* graphs = decoder.decode_graphs(); graphs != nullptr) {
      std::printf("  decode graphs captured: %lld%s%s\n", static_cast<long long>(graphs->num_graphs()),
                  graphs->first_capture_error().ok() ? "" : "; first capture error: ",
                  graphs->first_capture_error().ok() ? "" : graphs->first_capture_error().to_string().c_str());
    }
    decoder.set_decode_graph_mode(model::DecodeGraphMode::kOff);  // prefill steps never use graphs
    for (int64_t length : prefills_) {
      Measurement m{"prefill", 1, length, 0, static_cast<int>(prefill_iters_)};
      const StepArrays arrays =
          make_step(1, 0, length, std::max(decode_blocks, prefill_blocks), block_size_, mrope, vocab, rng);
      std::vector<double> times;
      for (int64_t iter = 0; iter < std::max<int64_t>(warmup_, 1) + prefill_iters_; ++iter) {
        const auto start = Clock::now();
        FOVEA_RETURN_IF_ERROR(model->decoder().forward(arrays.step(), cache).status());
        FOVEA_RETURN_IF_ERROR(backend_->synchronize(backend_->default_stream()));
        if (iter >= std::max<int64_t>(warmup_, 1)) times.push_back(seconds_since(start));
      }
      summarise(times, length, &m);
      if (gemm_flops_per_s > 0) {
        m.limit_tokens_per_s = static_cast<double>(length) * gemm_flops_per_s / cost.prefill_flops(length);
      }
      print_progress(m);
      results.push_back(m);
      if (profile_prefill_) FOVEA_RETURN_IF_ERROR(profile_prefill(decoder, arrays, cache, length));
    }

    const std::string label = label_.empty() ? model_dir_ : label_;
    print_table(label, *model, act, kv_dtype, load_s, kv_bytes, copy_bytes_per_s, gemm_flops_per_s, cost, results);
    if (!json_path_.empty()) {
      FOVEA_RETURN_IF_ERROR(write_json(label, *model, act, kv_dtype, load_s, kv_bytes, copy_bytes_per_s,
                                       gemm_flops_per_s, cost, results));
    }
    return base::Status();
  }

  // One more prefill with every op timed by device events (the events add small gaps, so the wall time is shown
  // beside the sum of the op times).
  base::Status profile_prefill(model::TextDecoder& decoder, const StepArrays& arrays, const model::KvCache& cache,
                              int64_t length) {
    backend::cuda::set_cuda_op_profiling(true);
    const auto start = Clock::now();
    base::Status status = decoder.forward(arrays.step(), cache).status();
    if (status.ok()) status = backend_->synchronize(backend_->default_stream());
    const double wall_s = seconds_since(start);
    const std::string table = backend::cuda::cuda_op_profile_report();
    backend::cuda::set_cuda_op_profiling(false);
    FOVEA_RETURN_IF_ERROR(status);
    std::printf("\n  per-op device time of one prefill of %lld tokens (wall %.3f ms with the events):\n%s\n",
                static_cast<long long>(length), wall_s * 1e3, table.c_str());
    std::fflush(stdout);
    return base::Status();
  }

  // Mean and median step time; tok/s counts the new tokens of every timed step over their total time.
  static void summarise(std::vector<double> times, int64_t tokens_per_step, Measurement* m) {
    double total = 0;
    for (double t : times) total += t;
    std::sort(times.begin(), times.end());
    m->mean_step_s = total / static_cast<double>(times.size());
    m->median_step_s = times[times.size() / 2];
    m->tokens_per_s = static_cast<double>(tokens_per_step) * static_cast<double>(times.size()) / total;
  }

  static void print_progress(const Measurement& m) {
    std::printf("  %-7s batch %3lld x %5lld tokens, context %5lld: %9.3f ms/step, %10.1f tok/s%s\n", m.phase.c_str(),
                static_cast<long long>(m.batch), static_cast<long long>(m.new_tokens),
                static_cast<long long>(m.context), m.mean_step_s * 1e3, m.tokens_per_s,
                m.graphs ? " (CUDA graphs)" : "");
    std::fflush(stdout);
  }

  static std::string percent(double value, double limit) {
    if (limit <= 0) return "-";
    char text[32];
    std::snprintf(text, sizeof(text), "%.0f%%", 100.0 * value / limit);
    return text;
  }

  void print_table(const std::string& label, model::Model& model, tensor::DType act, tensor::DType kv_dtype,
                   double load_s, uint64_t kv_bytes, double copy_bytes_per_s, double gemm_flops_per_s,
                   const StepCost& cost, const std::vector<Measurement>& results) const {
    const io::TextConfig& text = model.config().text_config;
    std::printf("\nfovea bench-engine: %s on %s\n", label.c_str(), device_name_.c_str());
    std::printf(
        "  %lld layers, hidden %lld, %lld/%lld heads, MLP %lld, vocab %lld; %s weights (%s), %s activations, %s KV "
        "cache (%.2f GB), weights %.2f GB loaded in %.1f s\n",
        static_cast<long long>(text.num_hidden_layers), static_cast<long long>(text.hidden_size),
        static_cast<long long>(text.num_attention_heads), static_cast<long long>(text.num_key_value_heads),
        static_cast<long long>(text.intermediate_size), static_cast<long long>(text.vocab_size),
        dtype_text(weight_dtype(model.config())).c_str(), load_format_.c_str(), dtype_text(act).c_str(),
        dtype_text(kv_dtype).c_str(), static_cast<double>(kv_bytes) / 1e9,
        static_cast<double>(model.weight_bytes()) / 1e9, load_s);
    std::printf("  limits measured in this run: copy %.0f GB/s (read + write, %lld MiB), %s GEMM %lld^3 %.1f TFLOP/s\n",
                copy_bytes_per_s / 1e9, static_cast<long long>(copy_mib_), dtype_text(act).c_str(),
                static_cast<long long>(gemm_size_), gemm_flops_per_s / 1e12);
    std::printf(
        "  decode limit: batch x bandwidth / (decoder weights %.2f GB + lm_head %.2f GB + KV read); prefill "
        "limit: tokens x GEMM peak / FLOPs\n",
        cost.layer_weight_bytes / 1e9, cost.lm_head_bytes / 1e9);
    std::printf("  %-8s %6s %7s %8s %10s %10s %12s %12s %8s\n", "phase", "batch", "tokens", "context", "ms/step",
                "median ms", "tok/s", "limit tok/s", "of limit");
    for (const Measurement& m : results) {
      std::printf("  %-8s %6lld %7lld %8lld %10.3f %10.3f %12.1f %12.1f %8s\n", m.phase.c_str(),
                  static_cast<long long>(m.batch), static_cast<long long>(m.new_tokens),
                  static_cast<long long>(m.context), m.mean_step_s * 1e3, m.median_step_s * 1e3, m.tokens_per_s,
                  m.limit_tokens_per_s, percent(m.tokens_per_s, m.limit_tokens_per_s).c_str());
    }
    std::fflush(stdout);
  }

  base::Status write_json(const std::string& label, model::Model& model, tensor::DType act, tensor::DType kv_dtype,
                          double load_s, uint64_t kv_bytes, double copy_bytes_per_s, double gemm_flops_per_s,
                          const StepCost& cost, const std::vector<Measurement>& results) const {
    const io::TextConfig& text = model.config().text_config;
    ordered_json out;
    out["engine"] = "fovea";
    out["model"] = label;
    out["model_dir"] = model_dir_;
    out["device"] = device_name_;
    out["device_memory_bytes"] = device_memory_bytes_;
    out["shapes"] = {{"layers", text.num_hidden_layers},  {"hidden", text.hidden_size},
                     {"heads", text.num_attention_heads}, {"kv_heads", text.num_key_value_heads},
                     {"head_dim", text.head_dim},         {"intermediate", text.intermediate_size},
                     {"vocab", text.vocab_size}};
    out["weights"] = {{"dtype", dtype_text(weight_dtype(model.config()))},
                      {"load_format", load_format_},
                      {"bytes", model.weight_bytes()},
                      {"load_s", load_s}};
    out["activation_dtype"] = dtype_text(act);
    out["kv_cache"] = {{"dtype", dtype_text(kv_dtype)}, {"bytes", kv_bytes}, {"block_size", block_size_}};
    out["limits"] = {{"copy_bytes_per_s", copy_bytes_per_s},
                     {"copy_buffer_mib", copy_mib_},
                     {"gemm_flops_per_s", gemm_flops_per_s},
                     {"gemm_size", gemm_size_},
                     {"decode_weight_bytes", cost.layer_weight_bytes + cost.lm_head_bytes},
                     {"kv_bytes_per_token", cost.kv_bytes_per_token}};
    ordered_json rows = ordered_json::array();
    for (const Measurement& m : results) {
      rows.push_back({{"phase", m.phase},
                      {"batch", m.batch},
                      {"new_tokens", m.new_tokens},
                      {"context", m.context},
                      {"steps", m.num_steps},
                      {"mean_step_ms", m.mean_step_s * 1e3},
                      {"median_step_ms", m.median_step_s * 1e3},
                      {"tokens_per_s", m.tokens_per_s},
                      {"limit_tokens_per_s", m.limit_tokens_per_s},
                      {"cuda_graphs", m.graphs}});
    }
    out["results"] = rows;
    std::ofstream file(json_path_);
    file << out.dump(2) << "\n";
    file.close();
    if (!file) return base::make_error(base::StatusCode::kUnavailable, "cannot write --output-json {}", json_path_);
    return base::Status();
  }

  std::string model_dir_;
  std::string load_format_ = "safetensors";
  std::string device_ = "cuda";
  std::string dtype_ = "bfloat16";
  std::string kv_dtype_ = "auto";
  std::string batch_sizes_ = "1,8,32,64";
  int64_t context_len_ = 512;
  int64_t decode_steps_ = 16;
  std::string prefill_lens_ = "512,2048";
  int64_t prefill_iters_ = 3;
  int64_t warmup_ = 3;
  bool enforce_eager_ = false;
  bool compare_eager_ = false;
  bool profile_prefill_ = false;
  int64_t block_size_ = 16;
  int64_t copy_mib_ = 512;
  int64_t gemm_size_ = 8192;
  uint64_t seed_ = 0;
  int num_threads_ = 0;
  std::string label_;
  std::string json_path_;
  std::string start_after_path_;

  std::vector<int64_t> batches_;
  std::vector<int64_t> prefills_;
  std::unique_ptr<backend::Backend> backend_;
  std::string device_name_;
  uint64_t device_memory_bytes_ = 0;
};

}  // namespace

FOVEA_REGISTER_COMMAND(BenchEngineCommand, "bench-engine",
                       "Offline benchmark of the model's decode and prefill steps beside measured limits");

}  // namespace fovea::cli
