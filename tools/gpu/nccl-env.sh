# Sourced by the multi-GPU device scripts after they set bin_dir: puts the bundle's libraries and libnccl.so.2 on
# LD_LIBRARY_PATH and sets NCCL's environment. NCCL is opened at run time: the CUDA toolkit's, the system's, or the
# one PyTorch ships. No checks and no runs here.
nccl_dirs=""
for dir in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/lib/x86_64-linux-gnu; do
  [[ -e "$dir/libnccl.so.2" ]] && nccl_dirs+="$dir:"
done
torch_nccl=$(python3 -c 'import nvidia.nccl, os; print(os.path.join(list(nvidia.nccl.__path__)[0], "lib"))' 2>/dev/null)
[[ -n "$torch_nccl" && -e "$torch_nccl/libnccl.so.2" ]] && nccl_dirs+="$torch_nccl:"
export LD_LIBRARY_PATH=$bin_dir/lib:${nccl_dirs}/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
# NVLink multicast can take a shared host's GPUs out of service: off, whatever the image says.
export NCCL_NVLS_ENABLE=0
export NCCL_DEBUG=${NCCL_DEBUG:-WARN}
