// CudaOps: KV-cache writes, paged causal attention and segment attention (validation, kernel arguments, the
// split-KV workspace from the stream's scratch).
#include <string_view>

#include "backend/cuda/cuda_ops.h"
#include "backend/cuda/cuda_util.h"
#include "backend/cuda/device_views.h"
#include "backend/cuda/kernel_launch.h"
#include "backend/cuda/op_profiler.h"
#include "backend/op_checks.h"

namespace fovea::backend::cuda {
namespace {

base::Status check_head_dim(std::string_view op, int64_t head_dim) {
  if (head_dim <= kAttentionMaxHeadDim) return base::Status();
  return base::unsupported("{}: head_dim {} is above the CUDA kernel's limit of {}; run this model on the CPU", op,
                           head_dim, kAttentionMaxHeadDim);
}

base::Status check_grid(std::string_view op, int64_t num_seqs) {
  if (num_seqs <= 65535) return base::Status();
  return base::unsupported("{}: {} sequences in one call exceed the CUDA grid limit of 65535; split the batch", op,
                           num_seqs);
}

}  // namespace

base::Status CudaOps::kv_cache_write(Stream& stream, const Tensor& k, const Tensor& v, const Tensor& slot_mapping,
                                     const PagedKvCache& cache) {
  FOVEA_ASSIGN_OR_RETURN(CudaStream * s, cuda_stream("kv_cache_write", stream));
  const OpTimer timer(s->handle(), [&] { return profile_key("kv_cache_write", k); });
  FOVEA_RETURN_IF_ERROR(check_kv_cache_write(device_, k, v, slot_mapping, cache));
  if (k.numel() == 0) return base::Status();
  KvWriteArgs args;
  args.k = device_view(k);
  args.v = device_view(v);
  args.slots = device_pointer<const int32_t>(slot_mapping);
  args.k_cache = device_view(cache.k);
  args.v_cache = device_view(cache.v);
  args.block_size = cache.block_size();
  args.k_scale = cache.k_scale;
  args.v_scale = cache.v_scale;
  return cuda_status(launch_kv_cache_write(args, s->handle()), "kv_cache_write");
}

base::Status CudaOps::paged_attention(Stream& stream, const Tensor& q, const PagedKvCache& cache,
                                      const PagedAttentionBatch& batch, float scale, const Tensor& out) {
  FOVEA_ASSIGN_OR_RETURN(CudaStream * s, cuda_stream("paged_attention", stream));
  const OpTimer timer(s->handle(), [&] { return profile_key("paged_attention", q); });
  FOVEA_RETURN_IF_ERROR(check_paged_attention(device_, q, cache, batch, out));
  FOVEA_RETURN_IF_ERROR(check_head_dim("paged_attention", cache.head_dim()));
  FOVEA_RETURN_IF_ERROR(check_grid("paged_attention", batch.seq_lens.dim(0)));
  if (q.numel() == 0) return base::Status();
  AttentionArgs args;
  args.q = device_address(q);
  args.q_token_stride = q.stride_rows();
  args.out = device_address(out);
  args.out_token_stride = out.stride_rows();
  args.act_type = elem_type(q.dtype);
  args.kv_type = elem_type(cache.k.dtype);
  args.num_heads = static_cast<int>(q.dim(1));
  args.num_kv_heads = static_cast<int>(cache.num_kv_heads());
  args.head_dim = static_cast<int>(cache.head_dim());
  args.scale = scale;
  args.num_tokens = q.dim(0);
  args.num_seqs = static_cast<int>(batch.seq_lens.dim(0));
  args.max_query_len = batch.max_query_len;
  args.max_seq_len = batch.max_seq_len;
  args.paged = true;
  args.k_cache = device_address(cache.k);
  args.v_cache = device_address(cache.v);
  args.k_block_stride = cache.k.stride_rows();
  args.v_block_stride = cache.v.stride_rows();
  args.block_size = static_cast<int>(cache.block_size());
  args.num_blocks = cache.num_blocks();
  args.k_scale = cache.k_scale;
  args.v_scale = cache.v_scale;
  args.query_start_loc = device_pointer<const int32_t>(batch.query_start_loc);
  args.seq_lens = device_pointer<const int32_t>(batch.seq_lens);
  args.block_tables = device_pointer<const int32_t>(batch.block_tables);
  args.block_table_stride = batch.block_tables.stride_rows();
  args.table_width = batch.block_tables.dim(1);
  const int num_splits = attention_num_splits(args, num_sms_);
  const size_t workspace_bytes = attention_workspace_bytes(args, num_splits);
  void* workspace = nullptr;
  if (workspace_bytes > 0) {
    FOVEA_ASSIGN_OR_RETURN(workspace, s->scratch(workspace_bytes));
  }
  return cuda_status(launch_attention(args, num_splits, workspace, s->handle()), "paged_attention");
}

base::Status CudaOps::segment_attention(Stream& stream, const Tensor& q, const Tensor& k, const Tensor& v,
                                        const SegmentBatch& segments, float scale, const Tensor& out) {
  FOVEA_ASSIGN_OR_RETURN(CudaStream * s, cuda_stream("segment_attention", stream));
  const OpTimer timer(s->handle(), [&] { return profile_key("segment_attention", q); });
  FOVEA_RETURN_IF_ERROR(check_segment_attention(device_, q, k, v, segments, out));
  FOVEA_RETURN_IF_ERROR(check_head_dim("segment_attention", q.dim(2)));
  FOVEA_RETURN_IF_ERROR(check_grid("segment_attention", segments.cu_seqlens.dim(0) - 1));
  if (q.numel() == 0) return base::Status();
  AttentionArgs args;
  args.q = device_address(q);
  args.q_token_stride = q.stride_rows();
  args.out = device_address(out);
  args.out_token_stride = out.stride_rows();
  args.act_type = elem_type(q.dtype);
  args.kv_type = args.act_type;
  args.num_heads = static_cast<int>(q.dim(1));
  args.num_kv_heads = static_cast<int>(k.dim(1));
  args.head_dim = static_cast<int>(q.dim(2));
  args.scale = scale;
  args.num_tokens = q.dim(0);
  args.num_seqs = static_cast<int>(segments.cu_seqlens.dim(0) - 1);
  args.max_query_len = segments.max_seqlen;
  args.paged = false;
  args.k = device_address(k);
  args.v = device_address(v);
  args.k_token_stride = k.stride_rows();
  args.v_token_stride = v.stride_rows();
  args.cu_seqlens = device_pointer<const int32_t>(segments.cu_seqlens);
  return cuda_status(launch_attention(args, 1, nullptr, s->handle()), "segment_attention");
}

}  // namespace fovea::backend::cuda
