#!/usr/bin/env bash
# Runs tp_multi_gpu_test (tests/multi_gpu) on the device: the communicators over every visible GPU (one thread per
# GPU), a one-GPU run through the single-rank communicator and one through NCCL, and the abort path; then prints the
# PASS/FAIL lines and a timing table (all-reduce per size, all-reduces per decode step). Works with one GPU too.
# Usage: tools/gpu/run-multi-gpu.sh [BIN_DIR] [--quick]
#   BIN_DIR holds tp_multi_gpu_test, or bins.tar.xz from tools/gpu/pack-bins.sh (default gpu-bundle-tp).
# Exit status: 0 when every check passed, 1 when one failed, 2 when the binary cannot run. The output also goes to
# $OUT/multi-gpu.log ($OUT: the device tool's output folder; /tmp/fovea-gpu otherwise).
set -u -o pipefail

bin_dir=gpu-bundle-tp
quick=()
for arg in "$@"; do
  case "$arg" in
    --quick) quick=(--quick) ;;
    *) bin_dir="$arg" ;;
  esac
done
out_dir=${OUT:-/tmp/fovea-gpu}
mkdir -p "$out_dir"
log="$out_dir/multi-gpu.log"
: >"$log"
say() { echo "$@" | tee -a "$log"; }

if [[ -f "$bin_dir/bins.tar.xz" ]]; then
  unpacked=$(mktemp -d)
  tar -xJf "$bin_dir/bins.tar.xz" -C "$unpacked" || { say "FAIL setup: cannot unpack $bin_dir/bins.tar.xz"; exit 2; }
  bin_dir=$unpacked
fi
binary="$bin_dir/tp_multi_gpu_test"
if [[ ! -x "$binary" ]]; then
  say "FAIL setup: no tp_multi_gpu_test in $bin_dir; build it with -DFOVEA_CUDA=ON and pack it with tools/gpu/pack-bins.sh"
  exit 2
fi

# NCCL is opened at run time (libnccl.so.2): the CUDA toolkit's, the system's, or the one PyTorch ships.
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

if ldd "$binary" | grep -q "not found"; then
  ldd "$binary" | grep "not found" | tee -a "$log"
  say "FAIL setup: tp_multi_gpu_test misses the shared libraries above"
  exit 2
fi
num_gpus=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | wc -l)
say "== $(date -u +%FT%TZ) $num_gpus GPU(s): $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | head -1)"
say "== NCCL from: ${nccl_dirs:-nowhere found (the NCCL runs will fail)}"
nvidia-smi topo -m 2>/dev/null | head -12 | tee -a "$log"

failed=0
# run NAME TIMEOUT ARGS...: one invocation; its lines go to the log, a non-zero exit counts as a failure.
run() {
  local name=$1 limit=$2
  shift 2
  say "== $name: tp_multi_gpu_test $*"
  local start=$(date +%s)
  timeout --kill-after=10 "$limit" "$binary" "$@" 2>&1 | tee -a "$log" | grep -E "^(PASS|FAIL|SKIP|INFO)" | grep -vE "^PASS (all_reduce|all_gather|graph)"
  local rc=${PIPESTATUS[0]}
  if [[ $rc == 124 || $rc == 137 ]]; then
    say "FAIL $name: timed out after $limit s"
  fi
  [[ $rc == 0 ]] || failed=$((failed + 1))
  say "== $name: exit $rc, $(( $(date +%s) - start )) s"
}

if (( num_gpus >= 2 )); then
  ranks=$(( num_gpus > 8 ? 8 : num_gpus ))
  run "tp=$ranks" 420 --ranks "$ranks" "${quick[@]}"
  # TP=2 is what users deploy; measure it on its own when more GPUs are visible.
  (( ranks > 2 )) && run "tp=2" 300 --ranks 2 "${quick[@]}"
fi
run "tp=1 single-rank" 180 --ranks 1 --quick
run "tp=1 nccl" 180 --ranks 1 --nccl --quick
if (( num_gpus >= 2 )); then
  run "abort" 60 --ranks 2 --abort-test
fi

# Timing table: the slowest rank's time per all-reduce size, and the all-reduces of one decode step.
say ""
say "== timing (us, slowest rank; bus bandwidth = 2 (n-1)/n x bytes / time)"
awk '
  /^== tp=/ { split($2, a, /[=:]/); ranks = a[2]; if (ranks == "1") ranks = 1 }
  /^TIME all_reduce bf16/ {
    sub(":", "", $5); split($4, r, "="); split($5, h, "="); us = $6;
    bytes = r[2] * h[2] * 2; n = ranks + 0;
    bw = (n > 1) ? 2 * (n - 1) / n * bytes / (us * 1e3) : 0;
    printf "tp=%-2s all_reduce bf16 %5s x %-5s %10d bytes %9.1f us %8.1f GB/s\n", ranks, r[2], h[2], bytes, us, bw
  }
  /^TIME step/ { line = $0; sub(/^TIME /, "", line); printf "tp=%-2s %s\n", ranks, line }
' "$log" | tee -a "$log.table"
cat "$log.table" >>"$log"
rm -f "$log.table"

num_pass=$(grep -c "^PASS" "$log")
num_fail=$(grep -c "^FAIL" "$log")
say ""
if (( failed == 0 && num_fail == 0 )); then
  say "run-multi-gpu: PASS ($num_pass checks passed)"
  exit 0
fi
grep "^FAIL" "$log" | sort -u
say "run-multi-gpu: FAIL ($num_fail failed checks, $failed failed runs)"
exit 1
