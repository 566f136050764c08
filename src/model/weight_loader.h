// WeightLoader: turns checkpoint tensors (by Hugging Face name) into backend Tensors and Weights, each checked
// against the shape config.json implies, or makes seeded random ones for --load-format dummy. Linear weights of any
// storage format (dense or quantized) come from quant::load_linear. With tensor parallelism every tensor is this
// rank's shard (io::TensorParallelLayout). It owns the buffers of plain tensors (a Weight keeps its own).
// Must not know model architectures (text_weights / vision_weights name the tensors).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "backend/weight.h"
#include "base/status.h"
#include "base/thread_pool.h"
#include "io/quantization_config.h"
#include "io/tensor_parallel_layout.h"
#include "io/weight_table.h"
#include "model/checkpoint_coverage.h"
#include "model/model_options.h"
#include "model/tensor_shard.h"
#include "tensor/shape.h"

namespace fovea::model {

// What a dummy tensor is filled with (ignored when loading a checkpoint).
enum class DummyInit : uint8_t {
  kMatrix,     // uniform with variance 1 / in_features (the last dim)
  kEmbedding,  // uniform in [-0.5, 0.5]
  kOnes,       // norm weights
  kZeros,      // biases
};

class WeightLoader {
 public:
  // Weights from a checkpoint; `table` must outlive the loader and the weights (CPU weights are views into its
  // mapping). `quantization` is config.json's quantization_config (nullptr: unquantized); it is copied.
  // `source_label` names the model folder in errors.
  static WeightLoader from_checkpoint(backend::Backend& backend, const io::WeightTable& table,
                                      const io::QuantizationConfig* quantization, std::string source_label);
  // Random weights of `dtype` (bf16, f16 or f32), a pure function of (seed, tensor name).
  static WeightLoader dummy(backend::Backend& backend, tensor::DType dtype, uint64_t seed);

  WeightLoader(WeightLoader&&) noexcept = default;
  WeightLoader& operator=(WeightLoader&&) noexcept = delete;
  WeightLoader(const WeightLoader&) = delete;
  WeightLoader& operator=(const WeightLoader&) = delete;
  ~WeightLoader();

  // From now on every tensor and Linear loads as rank `rank_idx`'s shard of `layout` (a layout of one rank changes
  // nothing). Call before the first load. Shapes passed to the loaders stay the checkpoint's (global) ones; the
  // results have the rank's shapes (shard_shape): split axes shorter, vocabulary rows padded (padding rows zero),
  // and a row-parallel bias zero on ranks other than 0 (rank 0 adds it before the all-reduce).
  void shard_for_tensor_parallel(const io::TensorParallelLayout& layout, int rank_idx);
  int tensor_parallel_size() const { return layout_ ? layout_->tensor_parallel_size() : 1; }
  int tensor_parallel_rank() const { return tp_rank_; }
  // The shape this rank holds of tensor `name` whose checkpoint shape is `shape` (`shape` itself without sharding).
  base::Result<tensor::Shape> shard_shape(const std::string& name, const tensor::Shape& shape) const;

  // Tensor `name` of exactly `shape` (bf16, f16 or f32), or this rank's shard of it. Missing, misshapen or of
  // another dtype: an error naming it.
  base::Result<backend::Tensor> load_tensor(const std::string& name, const tensor::Shape& shape, DummyInit init);

  // The weight of linear module `module_name` ("model.layers.0.mlp.up_proj"), [out_features, in_features] (or this
  // rank's shard of it: shard_shape(module_name + ".weight", {out_features, in_features})), in
  // whatever format the checkpoint stores it: dense in its own dtype, or quantized (compressed-tensors, AWQ, GPTQ,
  // FP8) repacked by quant::load_linear into backend::Weight's layout. `stored_shape` is the on-disk shape when it
  // differs but has the same elements (the patch embedding's Conv3d kernel, never quantized; loaded dense).
  base::Result<backend::Weight> load_linear(const std::string& module_name, int64_t out_features, int64_t in_features,
                                            const tensor::Shape& stored_shape = {});

  // `--quantization fp8` on an unquantized checkpoint: every checkpoint Linear but lm_head (as vLLM keeps it) loads
  // quantized to fp8 per tensor (quant::load_linear_fp8_online).
  void quantize_linears_to_fp8() { fp8_online_ = true; }
  bool quantizes_linears_to_fp8() const { return fp8_online_; }

  // Reports progress after each load_tensor / load_linear from now on (empty: none): with a checkpoint, the stored
  // tensors gone through so far at their full sizes (the same on every tensor-parallel rank) and this rank's
  // weight_bytes(); with dummy weights, the loads and weight_bytes().
  void set_progress_callback(LoadProgressCallback callback) { on_progress_ = std::move(callback); }

  // Whether the checkpoint has a tensor of that name (always false for dummy weights).
  bool has(const std::string& name) const;
  bool is_dummy() const { return table_ == nullptr; }

  // Bytes of every tensor loaded so far (in place or copied; quantized Linears: codes, f32 scales, zero points and
  // column order as repacked).
  uint64_t weight_bytes() const { return weight_bytes_; }
  // Bytes of device memory the loader allocated (copies and dummy weights; 0 for CPU weights used in place).
  uint64_t allocated_bytes() const { return allocated_bytes_; }

 private:
  WeightLoader(backend::Backend& backend, const io::WeightTable* table,
               std::optional<io::QuantizationConfig> quantization, std::string source_label, tensor::DType dummy_dtype,
               uint64_t seed);

  // load_tensor without the progress report (load_linear reports once for its module).
  base::Result<backend::Tensor> read_tensor(const std::string& name, const tensor::Shape& shape, DummyInit init);
  void report_progress();

  // Linear `module_name` from the checkpoint through quant::load_linear (this rank's shard of it), checked against
  // the rank's part of [global_out, global_in].
  base::Result<backend::Weight> load_checkpoint_linear(const std::string& module_name, int64_t global_out,
                                                       int64_t global_in);

  // Puts one checkpoint tensor on the backend's device: on the CPU a read-only view of the mapping (copied only when
  // misaligned for its dtype), elsewhere an allocation and a copy.
  base::Result<backend::Tensor> upload(const tensor::TensorView& view);
  // Puts a rank's host shard on the device (upload); a CPU backend keeps using its host copy, so it is kept.
  base::Result<backend::Tensor> upload_shard(HostShard shard);
  // A zero tensor (a row-parallel bias on ranks other than 0).
  base::Result<backend::Tensor> make_zeros(tensor::DType dtype, const tensor::Shape& shape);
  // A dummy tensor of checkpoint shape `shape`, or the part `shard` of it (its values are those of the whole
  // tensor at the same global indices, so every tensor-parallel size makes the same model): filled in parallel
  // (directly in CPU memory, else through dummy_staging_ in pieces that are copied to the device while the next
  // piece is filled).
  base::Result<backend::Tensor> make_dummy(const std::string& name, const tensor::Shape& shape, DummyInit init,
                                           const io::TpShard& shard);

  backend::Backend* backend_;                           // not owned
  const io::WeightTable* table_;                        // not owned; null for dummy weights
  std::optional<io::QuantizationConfig> quantization_;  // config.json's quantization_config, if any
  bool fp8_online_ = false;                             // quantize_linears_to_fp8()
  std::string source_label_;
  tensor::DType dummy_dtype_;
  uint64_t seed_;
  std::unique_ptr<base::ThreadPool> dummy_pool_;  // made on the first dummy tensor; one thread per hardware thread
  std::vector<std::byte> dummy_staging_;          // two host pieces of a dummy tensor bound for a device backend
  std::vector<std::unique_ptr<backend::Buffer>> buffers_;  // owned: plain tensors' and dummy weights' storage
  std::optional<io::TensorParallelLayout> layout_;         // set by shard_for_tensor_parallel (tp > 1 only)
  int tp_rank_ = 0;
  std::vector<std::unique_ptr<std::byte[]>> host_shards_;  // gathered shards a CPU backend uses in place
  uint64_t weight_bytes_ = 0;
  uint64_t allocated_bytes_ = 0;
  int64_t num_loaded_ = 0;                      // load_tensor and load_linear calls that succeeded
  std::optional<CheckpointCoverage> coverage_;  // checkpoint tensors gone through; none for dummy weights
  LoadProgressCallback on_progress_;
};

}  // namespace fovea::model
