#!/usr/bin/env bash
# Runs every libFuzzer target of a FOVEA_FUZZ build for SECONDS each, starting from its committed seed corpus.
# New inputs go to a scratch corpus under the build folder, never into the repository. Exit 1 on any crash.
# Usage: scripts/run-fuzzers.sh BUILD_DIR [SECONDS]
set -euo pipefail
build_dir=${1:?usage: run-fuzzers.sh BUILD_DIR [SECONDS]}
seconds=${2:-60}
list="$build_dir/fuzzers.txt"
[[ -f $list ]] || { echo "run-fuzzers: $list not found; configure $build_dir with -DFOVEA_FUZZ=ON" >&2; exit 1; }

failed=()
while read -r binary corpus; do
  [[ -n ${binary:-} ]] || continue
  name=$(basename "$binary")
  scratch="$build_dir/fuzz-corpus/$name"
  artifacts="$build_dir/fuzz-artifacts/$name/"
  mkdir -p "$scratch" "$artifacts"
  printf '%-32s %4ss ... ' "$name" "$seconds"
  if "$binary" -max_total_time="$seconds" -print_final_stats=0 -artifact_prefix="$artifacts" \
      "$scratch" "$corpus" >"$build_dir/fuzz-artifacts/$name.log" 2>&1; then
    echo "ok"
  else
    echo "FAILED (log: $build_dir/fuzz-artifacts/$name.log, inputs: $artifacts)"
    failed+=("$name")
  fi
done <"$list"

if ((${#failed[@]})); then
  echo "run-fuzzers: ${#failed[@]} fuzzer(s) found a crash: ${failed[*]}" >&2
  exit 1
fi
echo "run-fuzzers: every fuzzer ran ${seconds}s without a crash"
