#!/usr/bin/env bash
# The one script the GPU machine runs: the CUDA op tests (a process per suite, failing suites rerun test by
# test), a short table per op (cases, failures, worst NMSE against the CPU reference), the GPU goldens (the tiny
# checkpoints on the CUDA backend beside the CPU one, against HF), the op timings, then compute-sanitizer memcheck
# over small shapes and racecheck on the attention kernel.
# Usage: tools/gpu/run-gpu-tests.sh [cuda_ops_test binary] [--golden gpu_golden_test binary] [--no-sanitizer]
#        [--no-timing]
# Run it from the repository root (the goldens read tests/golden/model/data there). Logs go to $OUT (the device
# tool's output folder) when set, else /tmp/fovea-gpu.
set -u

bin=""
golden_bin=""
run_sanitizer=1
run_timing=1
expect_golden=0
for arg in "$@"; do
  if [[ $expect_golden == 1 ]]; then
    golden_bin="$arg"
    expect_golden=0
    continue
  fi
  case "$arg" in
    --golden) expect_golden=1 ;;
    --no-sanitizer) run_sanitizer=0 ;;
    --no-timing) run_timing=0 ;;
    *) bin="$arg" ;;
  esac
done
if [[ -z "$bin" ]]; then
  bin=$(find build-cuda build -name cuda_ops_test -type f 2>/dev/null | head -1)
fi
if [[ -z "$golden_bin" ]]; then
  golden_bin=$(find "$(dirname "$bin")" build-cuda build -name gpu_golden_test -type f 2>/dev/null | head -1)
fi
if [[ -z "$bin" || ! -x "$bin" ]]; then
  echo "run-gpu-tests: no cuda_ops_test binary found; build with -DFOVEA_CUDA=ON first" >&2
  exit 2
fi
# $OUT brings back at most 8 files: the per-suite logs stay in work_dir, five files go to out_dir.
out_dir=${OUT:-/tmp/fovea-gpu}
work_dir=$(mktemp -d)
mkdir -p "$out_dir"
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:/usr/local/cuda/targets/x86_64-linux/lib:${LD_LIBRARY_PATH:-}
export PATH=/usr/local/cuda/bin:$PATH
results="$out_dir/op-results.txt"
: >"$results"
export FOVEA_GPU_RESULTS="$results"

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -2
if ldd "$bin" | grep -q "not found"; then
  ldd "$bin" | grep "not found"
  exit 2
fi

# 1. The op tests, one process per suite; a suite that fails is rerun test by test (a CUDA fault poisons the
# rest of its process), so every failure is named.
all_tests=$("$bin" --gtest_list_tests | awk '/^[^ ]/ {suite=$1} /^  / {print suite $1}' | grep -v DISABLED_)
suites=$(echo "$all_tests" | sed 's/\..*//' | sort -u)
passed=0
failed=()
start=$(date +%s)
for suite in $suites; do
  log="$work_dir/suite-$suite.log"
  : >"$results.$suite"
  if FOVEA_GPU_RESULTS="$results.$suite" timeout 150 "$bin" --gtest_filter="$suite.*" >"$log" 2>&1; then
    passed=$((passed + $(echo "$all_tests" | grep -c "^$suite\.")))
    cat "$results.$suite" >>"$results"
    continue
  fi
  for test in $(echo "$all_tests" | grep "^$suite\."); do
    test_log="$work_dir/test-$test.log"
    if timeout 100 "$bin" --gtest_filter="$test" >"$test_log" 2>&1; then
      passed=$((passed + 1))
      rm -f "$test_log"
    else
      failed+=("$test")
    fi
  done
done
rm -f "$results".*
echo "op tests: $passed passed, ${#failed[@]} failed, $(( $(date +%s) - start )) s"
for test in "${failed[@]}"; do
  echo "--- FAILED $test"
  grep -E "Failure|rror|Expected|Which is|NMSE|differ|element|FAILED" "$work_dir/test-$test.log" | head -12
  cat "$work_dir/test-$test.log" >>"$out_dir/failed-tests.log"
done

# 2. The table: per op the cases, failures and the worst NMSE relative to its bound.
python3 - "$results" <<'PY'
import math, sys
rows = {}
for line in open(sys.argv[1]):
    parts = [p.strip() for p in line.split(" | ")]
    if len(parts) != 5:
        continue
    op, what, nmse, bound, verdict = parts
    nmse, bound = float(nmse), float(bound)
    row = rows.setdefault(op, {"cases": 0, "fail": 0, "worst": 0.0, "bound": bound, "ratio": -1.0})
    row["cases"] += 1
    row["fail"] += verdict != "pass"
    ratio = nmse / bound if bound > 0 else (math.inf if nmse > 0 else 0.0)
    if ratio > row["ratio"]:
        row.update(worst=nmse, bound=bound, ratio=ratio)
print(f"{'op':<18} {'cases':>5} {'fail':>4} {'worst NMSE':>11} {'its bound':>10}  result")
for op, row in sorted(rows.items()):
    verdict = "PASS" if row["fail"] == 0 else "FAIL"
    print(f"{op:<18} {row['cases']:>5} {row['fail']:>4} {row['worst']:>11.3e} {row['bound']:>10.1e}  {verdict}")
PY

# 2b. The GPU goldens: every case of tests/golden/model on the CUDA backend (f32 and bf16 activations) beside the
# CPU backend, against HF's logits and greedy tokens; its table is printed once at the end of its output.
golden_failed=0
if [[ -n "$golden_bin" && -x "$golden_bin" ]]; then
  golden_start=$(date +%s)
  FOVEA_SOURCE_DIR=$(pwd) timeout "${GOLDEN_TIMEOUT:-300}" "$golden_bin" >"$out_dir/gpu-golden.log" 2>&1
  golden_rc=$?
  [[ $golden_rc != 0 ]] && golden_failed=1
  echo "gpu goldens (exit $golden_rc, $(( $(date +%s) - golden_start )) s): $(grep -E '^\[  (PASSED|FAILED|SKIPPED) ' \
    "$out_dir/gpu-golden.log" | tr '\n' ' ')"
  sed -n '/^\[ gpu golden \]/,/^bounds vs HF/p' "$out_dir/gpu-golden.log"
  grep -E "Failure|Expected|Which is|greedy step [0-9]" "$out_dir/gpu-golden.log" | head -12
else
  echo "gpu goldens: no gpu_golden_test binary found (build target gpu_golden_test with -DFOVEA_CUDA=ON)"
  golden_failed=1
fi

# 3. Timings.
if [[ $run_timing == 1 ]]; then
  FOVEA_GPU_RESULTS=/dev/null timeout 90 "$bin" --gtest_also_run_disabled_tests --gtest_filter='*DISABLED_*' \
    >"$out_dir/timing.log" 2>&1
  grep TIMING "$out_dir/timing.log" || tail -5 "$out_dir/timing.log"
fi

# 4. compute-sanitizer on small shapes.
if [[ $run_sanitizer == 1 ]] && command -v compute-sanitizer >/dev/null; then
  subset='CudaOpsTest.RmsNorm*:CudaOpsTest.Swiglu*:CudaOpsTest.Embedding*:CudaOpsTest.Scatter*:CudaOpsTest.Rope*'
  subset+=':CudaAttentionTest.DecodeBatchGqa2:CudaAttentionTest.MixedPrefill*:CudaAttentionTest.KvCache*'
  subset+=':CudaAttentionTest.NoGroupingFp8*:CudaRankingTest.TopKWithTies*:CudaLinearTest.EveryDtype*'
  FOVEA_GPU_RESULTS=/dev/null timeout "${MEMCHECK_TIMEOUT:-100}" compute-sanitizer --tool memcheck --leak-check no \
    --print-limit 5 "$bin" --gtest_filter="$subset" --gtest_brief=1 >"$out_dir/memcheck.log" 2>&1
  echo "memcheck (exit $?): $(grep -E 'ERROR SUMMARY' "$out_dir/memcheck.log" | tail -1)"
  grep -E "Invalid|out of bounds|FAILED" "$out_dir/memcheck.log" | head -8
  FOVEA_GPU_RESULTS=/dev/null timeout "${RACECHECK_TIMEOUT:-50}" compute-sanitizer --tool racecheck --print-limit 5 \
    "$bin" --gtest_filter='CudaAttentionTest.DecodeBatchGqa2:CudaAttentionTest.MixedPrefill*' --gtest_brief=1 \
    >"$out_dir/racecheck.log" 2>&1
  echo "racecheck (exit $?): $(grep -E 'RACECHECK SUMMARY|ERROR SUMMARY' "$out_dir/racecheck.log" | tail -1)"
fi

[[ ${#failed[@]} == 0 && $golden_failed == 0 ]]
