#!/usr/bin/env bash
# Everything one device call runs: the CUDA op tests and the GPU goldens (run-gpu-tests.sh, without the sanitizer
# and op timings unless asked) while the first model's dummy weights are made on the host, then the engine benchmark
# with its PyTorch peer (tools/bench/engine/run.sh; nothing else runs on the card while it measures). Run from the repository root with a folder of binaries built here with
# -DFOVEA_CUDA=ON: cuda_ops_test, gpu_golden_test and fovea, or bins.tar.xz holding them; a lib/ folder beside them
# holds the shared libraries the GPU image lacks (spdlog, the image codecs), copied from the build machine.
# Usage: tools/gpu/run-gpu-all.sh [BIN_DIR] [--full-tests] [--models "qwen3-vl-32b qwen3-vl-8b"]
# The whole output also goes to $OUT/device-run.log ($OUT: the device tool's output folder).
set -u -o pipefail

bin_dir=build-cuda/gpu
test_flags=(--no-sanitizer --no-timing)
models="qwen3-vl-32b qwen3-vl-8b"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --full-tests) test_flags=(); shift ;;
    --models) models="$2"; shift 2 ;;
    *) bin_dir="$1"; shift ;;
  esac
done
out_dir=${OUT:-/tmp/fovea-gpu}
mkdir -p "$out_dir"
if [[ -f "$bin_dir/bins.tar.xz" ]]; then
  unpacked=$(mktemp -d)
  tar -xJf "$bin_dir/bins.tar.xz" -C "$unpacked" || exit 2
  bin_dir=$unpacked
fi

if [[ -d "$bin_dir/lib" ]]; then
  export LD_LIBRARY_PATH=$bin_dir/lib:${LD_LIBRARY_PATH:-}
fi
for binary in cuda_ops_test gpu_golden_test fovea; do
  if LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-} ldd "$bin_dir/$binary" | grep "not found"; then
    echo "run-gpu-all: $binary misses the shared libraries above; put them in $bin_dir/lib" | tee "$out_dir/device-run.log"
    exit 2
  fi
done

{
  start=$(date +%s)
  echo "== device: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader)"
  tests="tools/gpu/run-gpu-tests.sh $bin_dir/cuda_ops_test --golden $bin_dir/gpu_golden_test ${test_flags[*]}"
  tests+="; rc=\$?; echo \"== tests: exit \$rc, \$(( \$(date +%s) - $start )) s\"; exit \$rc"
  tools/bench/engine/run.sh --fovea "$bin_dir/fovea" --models "$models" --during "$tests"
  bench_rc=$?
  echo "== tests and bench: exit $bench_rc, total $(( $(date +%s) - start )) s"
  [[ $bench_rc == 0 ]]
} 2>&1 | tee "$out_dir/device-run.log"
