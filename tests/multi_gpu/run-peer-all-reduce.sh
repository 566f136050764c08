#!/usr/bin/env bash
# The peer all-reduce on a host with two or more GPUs, from a tools/gpu/pack-bins.sh bundle of peer_all_reduce_test
# and tp_multi_gpu_test: (1) the switches that turn it off, the peer kernel against fp64 sums and NCCL, 1000
# back-to-back calls, graph replays and its time per call against NCCL; (2) the communicator checks of
# tp_multi_gpu_test --quick, whose small all-reduces take the peer kernel (the default); (3) the abort path (rank 0
# alone in an all-reduce, then abort). About 30-45 s; a hang is cut at 60 + 45 + 30 s.
# Usage: tests/multi_gpu/run-peer-all-reduce.sh [BUNDLE_DIR] (default gpu-bundle-allreduce). Outputs in $OUT.
# Exit status: 0 when every run passed, 1 when one failed, 2 when the binaries cannot run.
set -u -o pipefail
bundle=${1:-gpu-bundle-allreduce}
out_dir=${OUT:-/tmp/fovea-gpu}
mkdir -p "$out_dir"
bin_dir=$(mktemp -d)
trap 'rm -rf "$bin_dir"' EXIT
tar -xJf "$bundle/bins.tar.xz" -C "$bin_dir" || { echo "FAIL setup: cannot unpack $bundle/bins.tar.xz"; exit 2; }

source "$(dirname "${BASH_SOURCE[0]}")/../../tools/gpu/nccl-env.sh"
unset FOVEA_CUSTOM_ALL_REDUCE  # the peer kernel is the default; =0 would turn it off
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | head -2
nvidia-smi topo -m 2>/dev/null | head -3

failed=0
# run NAME LIMIT COMMAND...: output to $out_dir/NAME.out; the PASS/FAIL/SKIP/INFO/BENCH/step lines shown.
run() {
  local name=$1 limit=$2
  shift 2
  local start=$SECONDS
  timeout --kill-after=5 "$limit" "$@" >"$out_dir/$name.out" 2>&1
  local rc=$?
  grep -E "^(PASS|FAIL|SKIP|INFO|BENCH|TIME step)|all-reduce:" "$out_dir/$name.out" |
    grep -vE "^PASS (all_reduce|all_gather|graph replay)"
  [[ $rc == 124 || $rc == 137 ]] && echo "FAIL $name: timed out after $limit s"
  echo "== $name: exit $rc, $((SECONDS - start)) s"
  [[ $rc == 0 ]] || failed=$((failed + 1))
}
run peer-all-reduce 60 "$bin_dir/peer_all_reduce_test" --ranks 2
run comm-tp2 45 "$bin_dir/tp_multi_gpu_test" --ranks 2 --quick
run comm-abort 30 "$bin_dir/tp_multi_gpu_test" --ranks 2 --abort-test
if ((failed == 0)); then
  echo "run-peer-all-reduce: PASS"
  exit 0
fi
echo "run-peer-all-reduce: FAIL ($failed runs failed)"
exit 1
