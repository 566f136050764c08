#!/usr/bin/env bash
# Driver of the engine benchmark on the GPU machine: `fovea bench-engine` and the PyTorch peer (torch_peer.py) on
# the same model shapes (configs/*/config.json, dummy weights), one after the other on the same card, then one
# table of both beside the limits fovea measured in its run (bench_table.py).
# Usage: tools/bench/engine/run.sh [--fovea BIN] [--models "qwen3-vl-8b qwen3-vl-32b"] [--skip-peer] [--during CMD]
# --during CMD runs CMD (e.g. the GPU tests) while the first model's dummy weights are made and loaded; fovea's
# measurements start only once CMD has finished (bench-engine --start-after), so nothing else shares the card then.
# Writes $OUT/engine-bench.json (every run) and $OUT/engine-bench.log when $OUT is set, else under /tmp/fovea-bench.
set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
fovea=""
models="qwen3-vl-8b qwen3-vl-32b"
run_peer=1
during=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --fovea) fovea="$2"; shift 2 ;;
    --models) models="$2"; shift 2 ;;
    --skip-peer) run_peer=0; shift ;;
    --during) during="$2"; shift 2 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [[ -z "$fovea" ]]; then
  fovea=$(find build-cuda build -name fovea -type f -perm -u+x 2>/dev/null | head -1)
fi
if [[ -z "$fovea" || ! -x "$fovea" ]]; then
  echo "run.sh: no fovea binary found; pass --fovea BIN (a -DFOVEA_CUDA=ON build)" >&2
  exit 2
fi
out_dir=${OUT:-/tmp/fovea-bench}
mkdir -p "$out_dir"
work=$(mktemp -d)
log="$out_dir/engine-bench.log"
: >"$log"
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:/usr/local/cuda/targets/x86_64-linux/lib:${LD_LIBRARY_PATH:-}
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv,noheader 2>&1 | tee -a "$log"

status=0
for model in $models; do
  start=$(date +%s)
  fovea_args=(bench-engine --model "$here/configs/$model" --load-format dummy --device cuda --label "$model"
    --output-json "$work/fovea-$model.json")
  if [[ -n "$during" ]]; then
    timeout 900 "$fovea" "${fovea_args[@]}" --start-after "$work/go" >>"$log" 2>&1 &
    fovea_pid=$!
    bash -c "$during" || status=1
    touch "$work/go"
    during=""
    wait "$fovea_pid"
    fovea_rc=$?
  else
    timeout 600 "$fovea" "${fovea_args[@]}" >>"$log" 2>&1
    fovea_rc=$?
  fi
  if [[ $fovea_rc != 0 ]]; then
    echo "fovea bench-engine $model failed (exit $fovea_rc):"; tail -5 "$log"; status=1
  fi
  echo "fovea $model: $(( $(date +%s) - start )) s"
  if [[ $run_peer == 1 ]]; then
    start=$(date +%s)
    if ! timeout 600 python3 "$here/torch_peer.py" --model "$here/configs/$model" --label "$model" \
        --output-json "$work/torch-$model.json" >>"$log" 2>&1; then
      echo "torch peer $model failed:"; tail -5 "$log"; status=1
    fi
    echo "torch $model: $(( $(date +%s) - start )) s"
  fi
done
python3 "$here/bench_table.py" --output-json "$out_dir/engine-bench.json" "$work"/*.json | tee -a "$log"
exit $status
