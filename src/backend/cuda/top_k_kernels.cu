// top_k: the k largest of each row by the unique ranking key of device_math.cuh (NaN first, larger values, then
// lower indices). k <= kTopKSmallMax: one block per row finds the k-th key by an 8-bit radix select (eight passes at
// most, stopping once the remaining candidates are exactly the ones needed), gathers the k keys and sorts them
// in shared memory. Larger k: cub's segmented radix sort of whole rows in the workspace, a chunk of rows at a
// time. Must not contain validation.
#include <cstdint>
#include <cub/device/device_segmented_radix_sort.cuh>

#include "backend/cuda/device_math.cuh"
#include "backend/cuda/kernel_launch.h"

namespace fovea::backend::cuda {
namespace {

constexpr int kSelectThreads = 1024;
constexpr int64_t kMaxChunkItems = int64_t{1} << 22;  // keys sorted per cub call (32 MiB of keys in and out)

__global__ void __launch_bounds__(kSelectThreads)
    top_k_select_kernel(DeviceView x, int k, DeviceView values, DeviceView indices) {
  __shared__ uint32_t histogram[256];
  __shared__ uint64_t candidates[kTopKSmallMax];
  __shared__ uint64_t shared_prefix;
  __shared__ int shared_need;
  __shared__ int shared_done;
  __shared__ int num_candidates;
  const int64_t row = blockIdx.x;
  const int64_t num_cols = x.row_numel;
  uint64_t prefix = 0;
  uint64_t mask = 0;
  int need = k;
  for (int shift = 56; shift >= 0; shift -= 8) {
    for (int bin = threadIdx.x; bin < 256; bin += blockDim.x) histogram[bin] = 0;
    __syncthreads();
    for (int64_t col = threadIdx.x; col < num_cols; col += blockDim.x) {
      const uint64_t key = rank_key(load_at(x, row, col), col);
      if ((key & mask) == prefix) atomicAdd(&histogram[(key >> shift) & 0xffu], 1u);
    }
    __syncthreads();
    if (threadIdx.x == 0) {
      // The digit of the k-th largest key: the keys above it number fewer than `need`.
      int above = 0;
      int digit = 255;
      for (; digit > 0; --digit) {
        if (above + static_cast<int>(histogram[digit]) >= need) break;
        above += static_cast<int>(histogram[digit]);
      }
      shared_need = need - above;
      shared_prefix = prefix | (static_cast<uint64_t>(digit) << shift);
      shared_done = static_cast<int>(histogram[digit]) == need - above;
    }
    __syncthreads();
    need = shared_need;
    prefix = shared_prefix;
    mask |= uint64_t{0xff} << shift;
    const bool done = shared_done != 0;
    __syncthreads();  // everyone has read the shared values before the next pass overwrites them
    if (done) break;
  }
  // The keys whose masked bits are >= prefix are exactly the k largest.
  int padded = 1;
  while (padded < k) padded <<= 1;
  if (threadIdx.x == 0) num_candidates = 0;
  for (int idx = threadIdx.x; idx < padded; idx += blockDim.x) candidates[idx] = 0;  // 0 ranks below every key
  __syncthreads();
  for (int64_t col = threadIdx.x; col < num_cols; col += blockDim.x) {
    const uint64_t key = rank_key(load_at(x, row, col), col);
    if ((key & mask) >= prefix) {
      const int slot = atomicAdd(&num_candidates, 1);
      if (slot < k) candidates[slot] = key;
    }
  }
  __syncthreads();
  // Bitonic sort, descending.
  for (int size = 2; size <= padded; size <<= 1) {
    for (int stride = size / 2; stride > 0; stride >>= 1) {
      for (int idx = threadIdx.x; idx < padded; idx += blockDim.x) {
        const int partner = idx ^ stride;
        if (partner > idx) {
          const uint64_t a = candidates[idx];
          const uint64_t b = candidates[partner];
          const bool descending = (idx & size) == 0;
          if (descending ? a < b : a > b) {
            candidates[idx] = b;
            candidates[partner] = a;
          }
        }
      }
      __syncthreads();
    }
  }
  for (int rank = threadIdx.x; rank < k; rank += blockDim.x) {
    const int64_t col = rank_key_col(candidates[rank]);
    store_at(values, row, rank, load_at(x, row, col));
    static_cast<int32_t*>(indices.data)[row * indices.stride_rows + rank] = static_cast<int32_t>(col);
  }
}

__global__ void rank_keys_kernel(DeviceView x, int64_t first_row, int64_t num_rows, uint64_t* keys, int32_t* offsets) {
  const int64_t num_cols = x.row_numel;
  const int64_t total = num_rows * num_cols;
  for (int64_t idx = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; idx < total;
       idx += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t row = idx / num_cols;
    const int64_t col = idx % num_cols;
    keys[idx] = rank_key(load_at(x, first_row + row, col), col);
    if (col == 0) offsets[row] = static_cast<int32_t>(idx);
  }
  if (blockIdx.x == 0 && threadIdx.x == 0) offsets[num_rows] = static_cast<int32_t>(total);
}

__global__ void write_top_k_kernel(DeviceView x, int64_t first_row, int64_t num_rows, int k, const uint64_t* sorted,
                                   DeviceView values, DeviceView indices) {
  const int64_t total = num_rows * k;
  for (int64_t idx = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; idx < total;
       idx += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t row = first_row + idx / k;
    const int64_t rank = idx % k;
    const int64_t col = rank_key_col(sorted[(idx / k) * x.row_numel + rank]);
    store_at(values, row, rank, load_at(x, row, col));
    static_cast<int32_t*>(indices.data)[row * indices.stride_rows + rank] = static_cast<int32_t>(col);
  }
}

size_t align_up(size_t bytes) { return (bytes + 255) / 256 * 256; }

int64_t chunk_rows(int64_t num_rows, int64_t num_cols) {
  int64_t rows = num_cols > 0 ? kMaxChunkItems / num_cols : num_rows;
  if (rows < 1) rows = 1;
  return rows < num_rows ? rows : num_rows;
}

size_t cub_temp_bytes(int64_t rows, int64_t cols) {
  size_t bytes = 0;
  const int num_items = static_cast<int>(rows * cols);
  cub::DeviceSegmentedRadixSort::SortKeysDescending(
      nullptr, bytes, static_cast<const uint64_t*>(nullptr), static_cast<uint64_t*>(nullptr), num_items,
      static_cast<int>(rows), static_cast<const int32_t*>(nullptr), static_cast<const int32_t*>(nullptr));
  return bytes;
}

}  // namespace

size_t top_k_workspace_bytes(int64_t num_rows, int64_t num_cols, int k) {
  if (k <= kTopKSmallMax || num_rows == 0) return 0;
  const int64_t rows = chunk_rows(num_rows, num_cols);
  const size_t key_bytes = align_up(static_cast<size_t>(rows * num_cols) * sizeof(uint64_t));
  return 2 * key_bytes + align_up(static_cast<size_t>(rows + 1) * sizeof(int32_t)) + cub_temp_bytes(rows, num_cols);
}

cudaError_t launch_top_k(const DeviceView& x, int k, const DeviceView& values, const DeviceView& indices,
                         void* workspace, size_t workspace_bytes, cudaStream_t stream) {
  if (x.num_rows == 0) return cudaSuccess;
  if (k <= kTopKSmallMax) {
    top_k_select_kernel<<<static_cast<unsigned>(x.num_rows), kSelectThreads, 0, stream>>>(x, k, values, indices);
    return cudaGetLastError();
  }
  const int64_t num_cols = x.row_numel;
  const int64_t rows_per_chunk = chunk_rows(x.num_rows, num_cols);
  const size_t key_bytes = align_up(static_cast<size_t>(rows_per_chunk * num_cols) * sizeof(uint64_t));
  auto* keys_in = static_cast<uint64_t*>(workspace);
  auto* keys_out = reinterpret_cast<uint64_t*>(static_cast<char*>(workspace) + key_bytes);
  auto* offsets = reinterpret_cast<int32_t*>(static_cast<char*>(workspace) + 2 * key_bytes);
  const size_t offsets_bytes = align_up(static_cast<size_t>(rows_per_chunk + 1) * sizeof(int32_t));
  void* temp = static_cast<char*>(workspace) + 2 * key_bytes + offsets_bytes;
  for (int64_t first_row = 0; first_row < x.num_rows; first_row += rows_per_chunk) {
    const int64_t rows = x.num_rows - first_row < rows_per_chunk ? x.num_rows - first_row : rows_per_chunk;
    const int64_t items = rows * num_cols;
    const unsigned blocks = static_cast<unsigned>((items + 255) / 256 < 8192 ? (items + 255) / 256 : 8192);
    rank_keys_kernel<<<blocks, 256, 0, stream>>>(x, first_row, rows, keys_in, offsets);
    size_t temp_bytes = workspace_bytes - 2 * key_bytes - offsets_bytes;
    cudaError_t error =
        cub::DeviceSegmentedRadixSort::SortKeysDescending(temp, temp_bytes, keys_in, keys_out, static_cast<int>(items),
                                                          static_cast<int>(rows), offsets, offsets + 1, 0, 64, stream);
    if (error != cudaSuccess) return error;
    const int64_t outputs = rows * k;
    const unsigned write_blocks = static_cast<unsigned>((outputs + 255) / 256 < 8192 ? (outputs + 255) / 256 : 8192);
    write_top_k_kernel<<<write_blocks, 256, 0, stream>>>(x, first_row, rows, k, keys_out, values, indices);
    error = cudaGetLastError();
    if (error != cudaSuccess) return error;
  }
  return cudaSuccess;
}

}  // namespace fovea::backend::cuda
