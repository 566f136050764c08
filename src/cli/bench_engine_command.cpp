// `fovea bench-engine --model DIR [--load-format dummy] [--device cuda]`: an offline benchmark of the model's steps
// like vLLM's latency and throughput benchmarks: decode tok/s at several batch sizes over a fixed context and prefill
// tok/s of one prompt, driving model::TextDecoder directly over a paged KV cache (decode steps replay CUDA graphs
// unless --enforce-eager), each number beside the limit measured in the same run (bytes per step over the measured
// copy bandwidth; FLOPs over the measured GEMM peak). --tensor-parallel-size 1,2 runs the same at each size in turn
// (ranks on cuda:0..N-1, one thread each, every step on all ranks at once) with the all-reduces' share of a decode
// step, and --greedy-steps checks that every size picks the first size's greedy tokens (teacher-forced, with the
// first size's top-1 margins so near-ties are told apart).
// Prints a table and writes the same as JSON (--output-json). Must not contain scheduling, sampling or op code.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "backend/communicator.h"
#include "backend/cpu/cpu_backend.h"
#include "backend/cuda/cuda_factory.h"
#include "cli/command_registry.h"
#include "engine/runtime/rank_threads.h"
#include "model/kv_cache.h"
#include "model/model.h"
#include "plan/model_layout.h"
#include "plan/weight_budget.h"
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

// A quantized checkpoint's step reads its packed codes, scales and zeros, not the dense dtype's bytes: take one rank's
// decoder and lm_head bytes from the planner's per-format rules (checked against published checkpoints).
base::Status use_quantized_weight_bytes(const io::ModelConfig& config, int64_t tp, StepCost& cost) {
  if (!config.quantization_config) return base::Status();
  FOVEA_ASSIGN_OR_RETURN(plan::WeightFormatRules rules, plan::WeightFormatRules::from_config(config, std::nullopt));
  FOVEA_ASSIGN_OR_RETURN(plan::WeightBudget budget,
                         plan::weight_budget(plan::model_modules(config), rules, tp, plan::EncoderTpMode::kWeights));
  cost.layer_weight_bytes = static_cast<double>(budget.per_gpu[io::ModelComponent::kDecoderLayers]);
  const uint64_t lm_head = budget.per_gpu[io::ModelComponent::kLmHead];
  // Tied weights: the planner counts the matrix once, as the embedding, and the step reads it as lm_head.
  cost.lm_head_bytes =
      static_cast<double>(lm_head > 0 ? lm_head : budget.per_gpu[io::ModelComponent::kEmbeddings]);
  return base::Status();
}

// How the checkpoint stores its weights, for the table's header.
std::string weights_text(const io::ModelConfig& config) {
  if (config.quantization_config) {
    base::Result<plan::WeightFormatRules> rules = plan::WeightFormatRules::from_config(config, std::nullopt);
    if (rules.ok()) return rules->description();
  }
  return dtype_text(weight_dtype(config));
}

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
  int tp = 1;         // tensor-parallel ranks
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
  double all_reduce_step_s = 0;  // decode, tp > 1: the step's all-reduces alone (2 per layer + the embedding's)
};

// The greedy run of one tensor-parallel size: the token it picks after the prompt and each decode step, and the
// top-1 minus top-2 logit there.
struct GreedyRun {
  int tp = 1;
  std::vector<int32_t> tokens;
  std::vector<float> margins;
  std::vector<std::vector<float>> logits;  // [steps][vocab]: each step's row, to compare sizes logit by logit
};

// The spacing of bf16 values at `value` (logits of a bf16 model are bf16 values: margins come in these steps).
double bf16_ulp(double value) {
  const double magnitude = std::max(std::fabs(value), 1e-30);
  return std::ldexp(1.0, static_cast<int>(std::floor(std::log2(magnitude))) - 7);
}

// Top-1 token and its margin over the runner-up.
std::pair<int32_t, float> top1_with_margin(std::span<const float> row) {
  int32_t best = 0;
  float first = -INFINITY;
  float second = -INFINITY;
  for (size_t idx = 0; idx < row.size(); ++idx) {
    if (row[idx] > first) {
      second = first;
      first = row[idx];
      best = static_cast<int32_t>(idx);
    } else if (row[idx] > second) {
      second = row[idx];
    }
  }
  return {best, first - second};
}

// The ranks of one tensor-parallel size: rank r's backend, communicator, model and KV cache (members destroyed in
// reverse: caches and models before communicators before backends).
struct RankSet {
  std::vector<std::unique_ptr<backend::Backend>> backends;
  std::vector<std::unique_ptr<backend::Communicator>> communicators;  // empty at tp 1
  std::vector<std::unique_ptr<model::Model>> models;
  std::vector<model::KvCache> caches;
  std::unique_ptr<engine::RankThreads> threads;

  int size() const { return static_cast<int>(backends.size()); }
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
    app.add_option("--tensor-parallel-size,--tp", tp_sizes_,
                   "Tensor-parallel sizes to run in turn, comma-separated (ranks on cuda:0..N-1, or N CPU backends)")
        ->capture_default_str();
    app.add_option("--mm-encoder-tp-mode", encoder_tp_mode_, "weights or data: how the vision weights are split")
        ->capture_default_str();
    app.add_option("--greedy-steps", greedy_steps_,
                   "Greedy decode steps from one prompt at each size; later sizes are fed the first size's tokens and "
                   "must pick them (0: skip)")
        ->capture_default_str();
    app.add_option("--greedy-prompt-len", greedy_prompt_len_, "Prompt tokens of the greedy check")
        ->capture_default_str();
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
    tps_ = parse_list(tp_sizes_);
    for (int64_t tp : tps_) {
      if (tp < 1 || tp > 64)
        return base::invalid_argument("--tensor-parallel-size takes sizes 1 to 64, comma-separated");
    }
    if (tps_.empty()) return base::invalid_argument("--tensor-parallel-size needs at least one size");
    if (encoder_tp_mode_ != "weights" && encoder_tp_mode_ != "data") {
      return base::invalid_argument("--mm-encoder-tp-mode {} is not a mode; use weights or data", encoder_tp_mode_);
    }
    if (greedy_steps_ < 0 || greedy_prompt_len_ < 1) {
      return base::invalid_argument("--greedy-steps must be >= 0 and --greedy-prompt-len >= 1");
    }
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

  // The backends and communicators of `tp` ranks: cpu (the cores shared out), --device at tp 1, else cuda:0..N-1.
  base::Status make_ranks(int tp, RankSet& ranks) {
    for (int rank_idx = 0; rank_idx < tp; ++rank_idx) {
      if (device_ == "cpu") {
        backend::cpu::CpuBackendOptions options;
        const int cores = num_threads_ > 0 ? num_threads_ : static_cast<int>(std::thread::hardware_concurrency());
        options.num_threads = tp == 1 ? num_threads_ : std::max(1, cores / tp);
        ranks.backends.push_back(std::make_unique<backend::cpu::CpuBackend>(options));
        device_name_ = "cpu";
        continue;
      }
      if (tp > 1 && device_ != "cuda") {
        return base::invalid_argument(
            "--device {} with --tensor-parallel-size {}: the ranks take cuda:0 to cuda:{}; "
            "pass --device cuda",
            device_, tp, tp - 1);
      }
      const std::string device = tp == 1 ? device_ : fmt::format("cuda:{}", rank_idx);
      FOVEA_ASSIGN_OR_RETURN(backend::cuda::CudaDeviceInfo info, backend::cuda::cuda_device_info(device));
      device_name_ = info.name;
      device_memory_bytes_ = info.total_bytes;
      FOVEA_ASSIGN_OR_RETURN(std::unique_ptr<backend::Backend> rank_backend,
                             backend::cuda::create_cuda_backend(device));
      ranks.backends.push_back(std::move(rank_backend));
    }
    if (tp > 1) {
      std::vector<backend::Backend*> pointers;
      for (const auto& rank_backend : ranks.backends) pointers.push_back(rank_backend.get());
      FOVEA_ASSIGN_OR_RETURN(ranks.communicators, backend::create_communicators(pointers));
    }
    ranks.threads = std::make_unique<engine::RankThreads>(tp);
    RankSet* set = &ranks;
    ranks.threads->set_on_failure([set] {
      for (const auto& comm : set->communicators) comm->abort();
    });
    return base::Status();
  }

  // One decoder step on every rank at once; rank 0's logits (device) in *logits when not null.
  base::Status step_all(RankSet& ranks, const StepArrays& arrays, backend::Tensor* logits) {
    return ranks.threads->run([&](int rank_idx) -> base::Status {
      const auto idx = static_cast<size_t>(rank_idx);
      backend::Backend& rank_backend = *ranks.backends[idx];
      FOVEA_ASSIGN_OR_RETURN(backend::Tensor out,
                             ranks.models[idx]->decoder().forward(arrays.step(), ranks.caches[idx]));
      if (rank_idx == 0 && logits != nullptr) *logits = out;
      return rank_backend.synchronize(rank_backend.default_stream());
    });
  }

  // The all-reduces of one decode step alone (2 per decoder layer and the embedding's, [batch, hidden] in the
  // activation dtype), enqueued on every rank at once: the mean over `iters` steps.
  base::Result<double> time_step_all_reduces(RankSet& ranks, int64_t batch, int64_t hidden, int64_t num_layers,
                                             tensor::DType act, int iters) {
    std::vector<std::unique_ptr<backend::Buffer>> buffers(static_cast<size_t>(ranks.size()));
    const uint64_t bytes = static_cast<uint64_t>(batch * hidden) * static_cast<uint64_t>(tensor::dtype_size_bytes(act));
    const int64_t per_step = 2 * num_layers + 1;
    const auto reduce_all = [&](int rank_idx, int num_steps) -> base::Status {
      const auto idx = static_cast<size_t>(rank_idx);
      backend::Backend& rank_backend = *ranks.backends[idx];
      if (buffers[idx] == nullptr) {
        FOVEA_ASSIGN_OR_RETURN(buffers[idx], rank_backend.allocate(bytes));
        std::vector<std::byte> zeros(bytes, std::byte{0});
        const backend::Tensor t = backend::Tensor::on(*buffers[idx], act, tensor::Shape({batch, hidden}));
        FOVEA_RETURN_IF_ERROR(rank_backend.copy_from_host(rank_backend.default_stream(), zeros.data(), t));
      }
      const backend::Tensor t = backend::Tensor::on(*buffers[idx], act, tensor::Shape({batch, hidden}));
      for (int64_t call = 0; call < per_step * num_steps; ++call) {
        FOVEA_RETURN_IF_ERROR(ranks.communicators[idx]->all_reduce_sum(rank_backend.default_stream(), t));
      }
      return rank_backend.synchronize(rank_backend.default_stream());
    };
    FOVEA_RETURN_IF_ERROR(ranks.threads->run([&](int rank_idx) { return reduce_all(rank_idx, 2); }));
    const auto start = Clock::now();
    FOVEA_RETURN_IF_ERROR(ranks.threads->run([&](int rank_idx) { return reduce_all(rank_idx, iters); }));
    return seconds_since(start) / iters;
  }

  // Greedy decoding from one seeded prompt: the first size generates; `forced` (the first size's run) makes a later
  // size read the first size's tokens, so every step is compared on the same context.
  base::Result<GreedyRun> run_greedy(RankSet& ranks, int tp, const GreedyRun* forced, int64_t blocks_per_seq,
                                     bool mrope, int64_t vocab) {
    GreedyRun run;
    run.tp = tp;
    std::mt19937 prompt_rng(static_cast<uint32_t>(seed_ + 1000));
    StepArrays arrays = make_step(1, 0, greedy_prompt_len_, blocks_per_seq, block_size_, mrope, vocab, prompt_rng);
    std::vector<float> host(static_cast<size_t>(vocab));
    backend::Backend& backend0 = *ranks.backends[0];
    for (int64_t step_idx = 0; step_idx <= greedy_steps_; ++step_idx) {
      backend::Tensor logits;
      FOVEA_RETURN_IF_ERROR(step_all(ranks, arrays, &logits));
      // Every rank has the full vocabulary; rank 0's first row is the step's.
      const backend::Tensor row = logits.slice_rows(0, 1).slice_columns(0, vocab);
      FOVEA_RETURN_IF_ERROR(backend0.copy_to_host(backend0.default_stream(), row, host.data()));
      FOVEA_RETURN_IF_ERROR(backend0.synchronize(backend0.default_stream()));
      const auto [token, margin] = top1_with_margin(host);
      run.tokens.push_back(token);
      run.margins.push_back(margin);
      run.logits.push_back(host);
      const int32_t next = forced != nullptr ? forced->tokens[static_cast<size_t>(step_idx)] : token;
      const int64_t pos = greedy_prompt_len_ + step_idx;
      arrays.token_ids.assign(1, next);
      for (int32_t& value : arrays.positions) value = static_cast<int32_t>(pos);
      arrays.positions.resize(mrope ? 3 : 1, static_cast<int32_t>(pos));
      arrays.slot_mapping.assign(1, static_cast<int32_t>((pos / block_size_) * block_size_ + pos % block_size_));
      arrays.query_start_loc = {0, 1};
      arrays.seq_lens.assign(1, static_cast<int32_t>(pos + 1));
      arrays.logits_rows.assign(1, 0);
      arrays.max_query_len = 1;
      arrays.max_seq_len = static_cast<int>(pos + 1);
    }
    return run;
  }

  base::Status execute() {
    FOVEA_RETURN_IF_ERROR(check_options());
    FOVEA_ASSIGN_OR_RETURN(tensor::DType act, parse_act_dtype(dtype_));
    FOVEA_ASSIGN_OR_RETURN(tensor::DType kv_dtype, parse_kv_dtype(kv_dtype_, act));
    std::vector<Measurement> all_results;
    std::vector<GreedyRun> greedy_runs;
    for (int64_t tp : tps_) {
      FOVEA_RETURN_IF_ERROR(run_size(static_cast<int>(tp), act, kv_dtype, all_results, greedy_runs));
    }
    if (tps_.size() > 1) print_tp_comparison(all_results);
    if (greedy_runs.size() > 1) return print_greedy_agreement(greedy_runs);
    return base::Status();
  }

  // Everything at one tensor-parallel size: load, limits, greedy check, decode and prefill steps, the table.
  base::Status run_size(int tp, tensor::DType act, tensor::DType kv_dtype, std::vector<Measurement>& all_results,
                        std::vector<GreedyRun>& greedy_runs) {
    RankSet ranks;
    FOVEA_RETURN_IF_ERROR(make_ranks(tp, ranks));
    backend::Backend& backend0 = *ranks.backends[0];

    const int64_t max_batch = batches_.empty() ? 1 : *std::max_element(batches_.begin(), batches_.end());
    const int64_t max_prefill = std::max(prefills_.empty() ? 1 : *std::max_element(prefills_.begin(), prefills_.end()),
                                         greedy_steps_ > 0 ? greedy_prompt_len_ : 1);
    const int64_t decode_len = std::max(context_len_ + warmup_ + decode_steps_, greedy_prompt_len_ + greedy_steps_ + 1);
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
    options.tp_size = tp;
    options.shard_vision_weights = encoder_tp_mode_ == "weights";

    std::printf("bench-engine: loading %s (%s weights) on %s, tensor parallel %d\n", model_dir_.c_str(),
                load_format_.c_str(), device_name_.c_str(), tp);
    std::fflush(stdout);
    auto load_start = Clock::now();
    ranks.models.resize(static_cast<size_t>(tp));
    FOVEA_RETURN_IF_ERROR(ranks.threads->run([&](int rank_idx) -> base::Status {
      const auto idx = static_cast<size_t>(rank_idx);
      model::ModelOptions rank_options = options;
      rank_options.tp_rank = rank_idx;
      rank_options.communicator = tp > 1 ? ranks.communicators[idx].get() : nullptr;
      FOVEA_ASSIGN_OR_RETURN(ranks.models[idx], model::Model::load(model_dir_, *ranks.backends[idx], rank_options));
      return base::Status();
    }));
    const double load_s = seconds_since(load_start);
    model::Model& model0 = *ranks.models[0];
    const io::ModelConfig& config = model0.config();
    const int64_t num_blocks = std::max(batches_.empty() ? decode_blocks : max_batch * decode_blocks, prefill_blocks);
    for (const auto& rank_model : ranks.models) {
      FOVEA_ASSIGN_OR_RETURN(model::KvCache cache, rank_model->allocate_kv_cache(num_blocks, block_size_, kv_dtype));
      ranks.caches.push_back(std::move(cache));
    }
    uint64_t kv_bytes = 0;
    for (const auto& buffer : ranks.caches[0].buffers) kv_bytes += buffer->size_bytes();
    std::printf("  weights per rank:");
    for (int rank_idx = 0; rank_idx < tp; ++rank_idx) {
      std::printf(" rank %d %.3f GB (%llu bytes)%s", rank_idx,
                  static_cast<double>(ranks.models[static_cast<size_t>(rank_idx)]->weight_bytes()) / 1e9,
                  static_cast<unsigned long long>(ranks.models[static_cast<size_t>(rank_idx)]->weight_bytes()),
                  rank_idx + 1 < tp ? "," : "\n");
    }
    std::fflush(stdout);

    if (!start_after_path_.empty()) FOVEA_RETURN_IF_ERROR(wait_for_file(start_after_path_));

    // The limits, measured on rank 0's device after the model's memory is in place (the buffers go back to the pool
    // afterwards).
    double copy_bytes_per_s = 0;
    double gemm_flops_per_s = 0;
    if (copy_mib_ > 0) {
      FOVEA_ASSIGN_OR_RETURN(copy_bytes_per_s,
                             measure_copy_bandwidth(backend0, static_cast<uint64_t>(copy_mib_) << 20, 20));
    }
    if (gemm_size_ > 0) {
      FOVEA_ASSIGN_OR_RETURN(gemm_flops_per_s, measure_gemm_peak(backend0, gemm_size_, act, 10));
    }
    // A rank reads 1/tp of the decoder's weights and KV cache and does 1/tp of the FLOPs (the limits are per GPU).
    StepCost cost = step_cost(config, kv_dtype);
    const auto share = 1.0 / tp;
    cost.layer_weight_bytes *= share;
    cost.lm_head_bytes *= share;
    cost.kv_bytes_per_token *= share;
    cost.linear_flops_per_token *= share;
    cost.lm_head_flops_per_row *= share;
    cost.attention_flops_per_pair *= share;
    FOVEA_RETURN_IF_ERROR(use_quantized_weight_bytes(config, tp, cost));

    const bool mrope = model0.decoder().uses_mrope();
    const int64_t vocab = config.text_config.vocab_size;
    const model::DecodeGraphMode graph_mode =
        enforce_eager_ ? model::DecodeGraphMode::kOff : model::DecodeGraphMode::kGraphs;
    const auto set_graph_mode = [&](model::DecodeGraphMode mode) {
      for (const auto& rank_model : ranks.models) rank_model->decoder().set_decode_graph_mode(mode);
    };
    set_graph_mode(graph_mode);
    const bool graphs_on = model0.decoder().decode_graph_mode() == model::DecodeGraphMode::kGraphs;  // CUDA only

    if (greedy_steps_ > 0) {
      const GreedyRun* forced = greedy_runs.empty() ? nullptr : &greedy_runs.front();
      FOVEA_ASSIGN_OR_RETURN(GreedyRun run, run_greedy(ranks, tp, forced, decode_blocks, mrope, vocab));
      std::printf("  greedy: %zu tokens from a %lld-token prompt%s\n", run.tokens.size(),
                  static_cast<long long>(greedy_prompt_len_),
                  forced != nullptr ? " (fed the first size's tokens)" : "");
      greedy_runs.push_back(std::move(run));
    }

    std::vector<Measurement> results;
    std::mt19937 rng(static_cast<uint32_t>(seed_));
    for (int64_t batch : batches_) {
      // Steps append to each sequence; the cache's contents before them are whatever it holds (the time of a step
      // does not depend on the values). With --compare-eager the op-by-op run goes first over the same positions.
      std::vector<model::DecodeGraphMode> modes;
      if (compare_eager_ && graphs_on) modes.push_back(model::DecodeGraphMode::kOff);
      modes.push_back(graph_mode);
      for (model::DecodeGraphMode mode : modes) {
        set_graph_mode(mode);
        const bool graphs = model0.decoder().decode_graph_mode() == model::DecodeGraphMode::kGraphs;
        Measurement m{tp,           graphs || modes.size() == 1 ? "decode" : "eager",
                      batch,        1,
                      context_len_, static_cast<int>(decode_steps_)};
        m.graphs = graphs;
        std::vector<double> times;
        for (int64_t step_idx = 0; step_idx < warmup_ + decode_steps_; ++step_idx) {
          const StepArrays arrays =
              make_step(batch, context_len_ + step_idx, 1, decode_blocks, block_size_, mrope, vocab, rng);
          const auto start = Clock::now();
          FOVEA_RETURN_IF_ERROR(step_all(ranks, arrays, nullptr));
          if (step_idx >= warmup_) times.push_back(seconds_since(start));
        }
        summarise(times, batch, &m);
        const double mean_context = static_cast<double>(context_len_ + warmup_) + (decode_steps_ + 1) / 2.0;
        if (copy_bytes_per_s > 0) {
          m.limit_tokens_per_s =
              static_cast<double>(batch) * copy_bytes_per_s / cost.decode_bytes(batch, mean_context);
        }
        if (tp > 1) {
          FOVEA_ASSIGN_OR_RETURN(m.all_reduce_step_s,
                                 time_step_all_reduces(ranks, batch, config.text_config.hidden_size,
                                                       config.text_config.num_hidden_layers, act, 10));
        }
        print_progress(m);
        results.push_back(m);
      }
    }
    if (const model::DecoderStepGraphs* graphs = model0.decoder().decode_graphs(); graphs != nullptr) {
      std::printf("  decode graphs captured: %lld%s%s\n", static_cast<long long>(graphs->num_graphs()),
                  graphs->first_capture_error().ok() ? "" : "; first capture error: ",
                  graphs->first_capture_error().ok() ? "" : graphs->first_capture_error().to_string().c_str());
    }
    set_graph_mode(model::DecodeGraphMode::kOff);  // prefill steps never use graphs
    for (int64_t length : prefills_) {
      Measurement m{tp, "prefill", 1, length, 0, static_cast<int>(prefill_iters_)};
      const StepArrays arrays =
          make_step(1, 0, length, std::max(decode_blocks, prefill_blocks), block_size_, mrope, vocab, rng);
      std::vector<double> times;
      for (int64_t iter = 0; iter < std::max<int64_t>(warmup_, 1) + prefill_iters_; ++iter) {
        const auto start = Clock::now();
        FOVEA_RETURN_IF_ERROR(step_all(ranks, arrays, nullptr));
        if (iter >= std::max<int64_t>(warmup_, 1)) times.push_back(seconds_since(start));
      }
      summarise(times, length, &m);
      if (gemm_flops_per_s > 0) {
        m.limit_tokens_per_s = static_cast<double>(length) * gemm_flops_per_s / cost.prefill_flops(length);
      }
      print_progress(m);
      results.push_back(m);
      if (profile_prefill_ && tp == 1) {
        FOVEA_RETURN_IF_ERROR(profile_prefill(backend0, model0.decoder(), arrays, ranks.caches[0], length));
      }
    }

    const std::string label =
        (label_.empty() ? model_dir_ : label_) + (tps_.size() > 1 ? fmt::format(" tp={}", tp) : "");
    print_table(label, model0, act, kv_dtype, load_s, kv_bytes, copy_bytes_per_s, gemm_flops_per_s, cost, results);
    if (!json_path_.empty()) {
      const std::string path = tps_.size() > 1 ? fmt::format("{}.tp{}.json", json_path_, tp) : json_path_;
      FOVEA_RETURN_IF_ERROR(write_json(path, label, model0, tp, act, kv_dtype, load_s, kv_bytes, copy_bytes_per_s,
                                       gemm_flops_per_s, cost, results));
    }
    all_results.insert(all_results.end(), results.begin(), results.end());
    return base::Status();
  }

  // Each tp size's tok/s beside the first size's, row by row.
  void print_tp_comparison(const std::vector<Measurement>& results) const {
    const int base_tp = static_cast<int>(tps_.front());
    std::printf(
        "\nfovea bench-engine: tensor parallel sizes on %s (tok/s; speed-up over tp=%d; all-reduce: a decode "
        "step's all-reduces (2 per layer + 1) enqueued alone, ms and share of the step)\n",
        device_name_.c_str(), base_tp);
    std::printf("  %-8s %6s %7s %4s %12s %10s %12s %10s\n", "phase", "batch", "tokens", "tp", "tok/s", "speed-up",
                "all-reduce ms", "share");
    for (const Measurement& m : results) {
      const Measurement* base = nullptr;
      for (const Measurement& other : results) {
        if (other.tp == base_tp && other.phase == m.phase && other.batch == m.batch &&
            other.new_tokens == m.new_tokens) {
          base = &other;
        }
      }
      const double speedup = base != nullptr && base->tokens_per_s > 0 ? m.tokens_per_s / base->tokens_per_s : 0;
      std::printf("  %-8s %6lld %7lld %4d %12.1f %9.2fx %12.3f %9.0f%%\n", m.phase.c_str(),
                  static_cast<long long>(m.batch), static_cast<long long>(m.new_tokens), m.tp, m.tokens_per_s, speedup,
                  m.all_reduce_step_s * 1e3, m.mean_step_s > 0 ? 100.0 * m.all_reduce_step_s / m.mean_step_s : 0.0);
    }
    std::fflush(stdout);
  }

  // Later sizes against the first: a step agrees when it picks the first size's token; a disagreement where the
  // first size's top-1 margin is below kTieMargin (issue 12's rule) is a near-tie, counted apart. Each miss is shown
  // with that margin in units of the top logit's bf16 spacing (a bf16 model's logits are bf16 values), the other
  // size's margin between the same two tokens, and the step's RMS logit difference over the vocabulary. Fails when
  // a size disagrees at a step that is not a near-tie.
  base::Status print_greedy_agreement(const std::vector<GreedyRun>& runs) const {
    constexpr float kTieMargin = 1e-2f;
    const GreedyRun& base = runs.front();
    float min_margin = INFINITY;
    for (float margin : base.margins) min_margin = std::min(min_margin, margin);
    std::printf("\nfovea bench-engine: greedy agreement with tp=%d over %zu steps (%s; teacher-forced; tp=%d's smallest "
                "top-1 margin %.4f)\n",
                base.tp, base.tokens.size(), dtype_.c_str(), base.tp, static_cast<double>(min_margin));
    std::printf("  %4s %8s %10s %12s %16s %16s\n", "tp", "agree", "near-ties", "real misses", "rms logit diff",
                "max logit diff");
    bool ok = true;
    for (size_t run_idx = 1; run_idx < runs.size(); ++run_idx) {
      const GreedyRun& run = runs[run_idx];
      int64_t agree = 0;
      int64_t ties = 0;
      int64_t misses = 0;
      double sum_squares = 0;
      double max_diff = 0;
      int64_t count = 0;
      std::vector<std::string> miss_lines;
      const size_t num_steps = std::min(run.tokens.size(), base.tokens.size());
      for (size_t step_idx = 0; step_idx < num_steps; ++step_idx) {
        const std::vector<float>& want = base.logits[step_idx];
        const std::vector<float>& have = run.logits[step_idx];
        double step_squares = 0;
        for (size_t idx = 0; idx < want.size() && idx < have.size(); ++idx) {
          const double diff = static_cast<double>(have[idx]) - static_cast<double>(want[idx]);
          step_squares += diff * diff;
          max_diff = std::max(max_diff, std::fabs(diff));
        }
        sum_squares += step_squares;
        count += static_cast<int64_t>(want.size());
        if (run.tokens[step_idx] == base.tokens[step_idx]) {
          ++agree;
          continue;
        }
        const float base_margin = base.margins[step_idx];
        const bool tie = base_margin < kTieMargin;
        (tie ? ties : misses) += 1;
        const auto base_token = static_cast<size_t>(base.tokens[step_idx]);
        const auto run_token = static_cast<size_t>(run.tokens[step_idx]);
        miss_lines.push_back(fmt::format(
            "    step {:2}: tp={} margin {:.4f} ({:.1f} bf16 steps of its top logit {:.3f}), tp={} margin {:.4f} "
            "between the same tokens, step rms logit diff {:.4f}{}",
            step_idx, base.tp, base_margin, base_margin / bf16_ulp(want[base_token]), want[base_token], run.tp,
            have[base_token] - have[run_token],
            std::sqrt(step_squares / static_cast<double>(std::max<size_t>(want.size(), 1))), tie ? " (near-tie)" : ""));
      }
      std::printf("  %4d %5lld/%zu %10lld %12lld %16.5f %16.5f\n", run.tp, static_cast<long long>(agree), num_steps,
                  static_cast<long long>(ties), static_cast<long long>(misses),
                  std::sqrt(sum_squares / static_cast<double>(std::max<int64_t>(count, 1))), max_diff);
      for (const std::string& line : miss_lines) std::printf("%s\n", line.c_str());
      std::printf("  GREEDY tp=%d %s %s\n", run.tp, dtype_.c_str(), misses == 0 ? "PASS" : "FAIL");
      ok = ok && misses == 0;
    }
    std::fflush(stdout);
    if (ok) return base::Status();
    return base::make_error(base::StatusCode::kInternal,
                            "a tensor-parallel size picked another greedy token where the first size's margin was "
                            "{} or more",
                            kTieMargin);
  }

  // One more prefill with every op timed by device events (the events add small gaps, so the wall time is shown
  // beside the sum of the op times).
  base::Status profile_prefill(backend::Backend& backend, model::TextDecoder& decoder, const StepArrays& arrays,
                               const model::KvCache& cache, int64_t length) {
    backend::cuda::set_cuda_op_profiling(true);
    const auto start = Clock::now();
    base::Status status = decoder.forward(arrays.step(), cache).status();
    if (status.ok()) status = backend.synchronize(backend.default_stream());
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
        weights_text(model.config()).c_str(), load_format_.c_str(), dtype_text(act).c_str(),
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

  base::Status write_json(const std::string& path, const std::string& label, model::Model& model, int tp,
                          tensor::DType act, tensor::DType kv_dtype, double load_s, uint64_t kv_bytes,
                          double copy_bytes_per_s, double gemm_flops_per_s, const StepCost& cost,
                          const std::vector<Measurement>& results) const {
    const io::TextConfig& text = model.config().text_config;
    ordered_json out;
    out["engine"] = "fovea";
    out["model"] = label;
    out["model_dir"] = model_dir_;
    out["device"] = device_name_;
    out["device_memory_bytes"] = device_memory_bytes_;
    out["tensor_parallel_size"] = tp;
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
                      {"cuda_graphs", m.graphs},
                      {"all_reduce_step_ms", m.all_reduce_step_s * 1e3}});
    }
    out["results"] = rows;
    std::ofstream file(path);
    file << out.dump(2) << "\n";
    file.close();
    if (!file) return base::make_error(base::StatusCode::kUnavailable, "cannot write --output-json {}", path);
    return base::Status();
  }

  std::string model_dir_;
  std::string load_format_ = "safetensors";
  std::string device_ = "cuda";
  std::string tp_sizes_ = "1";
  std::string encoder_tp_mode_ = "weights";
  int64_t greedy_steps_ = 0;
  int64_t greedy_prompt_len_ = 32;
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
  std::vector<int64_t> tps_;
  std::string device_name_;
  uint64_t device_memory_bytes_ = 0;
};

}  // namespace

FOVEA_REGISTER_COMMAND(BenchEngineCommand, "bench-engine",
                       "Offline benchmark of the model's decode and prefill steps beside measured limits");

}  // namespace fovea::cli
