#!/usr/bin/env bash
# One device call that measures every goal of performance-goals.md (issue 11) for Qwen3-VL shapes and prints one
# table: goal, fovea, limit, peer, met or gap (goals_table.py; also goals.md and goals.json under $OUT).
#   1. make_w4a16_checkpoint.py draws a random W4A16 g128 compressed-tensors checkpoint of the config on the GPU and
#      writes it to local disk (the GPU is free again once it says so; the shards are written meanwhile);
#   2. the PyTorch int4 peer (tools/bench/engine/torch_peer.py --int4): decode batch 1 and 64, prefill 2048 and of
#      the TTFT prompt's length; then the HF vision-tower peer (hf_vision_peer.py) on the 1280x720 image;
#   3. fovea bench-engine on the checkpoint (FP8 KV): decode batch 1 and 64 at context 1024, prefill 2048 (its copy
#      and GEMM measurements are the table's limits), per-op profiles of 2048-, 64- and 1-token steps;
#      then the vision tower alone (fovea_vision_encoder_bench from this folder, if the bundle holds it: median of
#      encode + synchronize, and its per-op profile);
#   4. fovea serve on the checkpoint + fovea bench random-mm (one 1280x720 image + 30 tokens, 1 output token,
#      concurrency 1, a warm-up run, then the measured run on fresh images): TTFT, and the server's per-image
#      vision encoder time from /metrics.
# Nothing else uses the GPU while something is timed there (CPU threads write the shards meanwhile). Progress lines
# "== [N s] ..." tell where a cut-off call was. Usage (repository root):
#   tools/bench/goals/run.sh [--bundle DIR | --fovea BIN] [--quick] [--cpu-check] [--config DIR]
#     --bundle DIR: bins.tar.xz from tools/gpu/pack-bins.sh (fovea, optionally fovea_vision_encoder_bench, lib/),
#       default gpu-bundle-goals
#     --quick: the 8B config and fewer repetitions (the dry run); --cpu-check: the tiny config on the CPU (no GPU)
#     --engine-only: steps 1 and 3 alone (no peers, no server), decode at batch 1 only: the per-op profile of the
#       1-token step and the prefill, written into goals-run.log and engine.log only (for a second config in a call)
set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
bundle=gpu-bundle-goals
fovea_bin=""
config=$repo/tools/bench/engine/configs/qwen3-vl-32b
device=cuda
batches=1,64
batch_large=64
context=1024
decode_steps=32
prefill=2048
prefill_iters=3
prompts=10
vision_iters=20
copy_mib=512
gemm_size=8192
engine_only=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --bundle) bundle="$2"; shift 2 ;;
    --fovea) fovea_bin="$2"; shift 2 ;;
    --config) config=$(cd "$2" && pwd); shift 2 ;;
    --engine-only) engine_only=1; batches=1; decode_steps=16; shift ;;
    --quick) config=$repo/tools/bench/engine/configs/qwen3-vl-8b; decode_steps=16; prompts=6; vision_iters=10
      shift ;;
    --cpu-check) config=$repo/tools/bench/goals/configs/qwen3-vl-small; device=cpu; batches=1,4; batch_large=4
      context=64; decode_steps=2; prefill=128; prefill_iters=1; prompts=2; vision_iters=1; copy_mib=64
      gemm_size=512; shift ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
out_dir=${OUT:-/tmp/fovea-goals}
work=${GOALS_WORK:-/tmp/goals-work}
rm -rf "$work"
mkdir -p "$out_dir" "$work"
exec > >(tee "$out_dir/goals-run.log") 2>&1
t0=$(date +%s)
say() { echo "== [$(( $(date +%s) - t0 )) s] $*"; }
steps_json=""
step_start=0
begin() { step_start=$(date +%s); say "$1"; }
finish() {
  local took=$(( $(date +%s) - step_start ))
  steps_json+="${steps_json:+, }\"$1\": $took"
  say "$1 done in $took s"
}
export PYTHONUNBUFFERED=1
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:/usr/local/cuda/targets/x86_64-linux/lib:${LD_LIBRARY_PATH:-}

if [[ -z "$fovea_bin" ]]; then
  if [[ ! -f "$bundle/bins.tar.xz" ]]; then echo "run.sh: no $bundle/bins.tar.xz and no --fovea BIN" >&2; exit 2; fi
  mkdir -p "$work/bin"
  tar -xJf "$bundle/bins.tar.xz" -C "$work/bin" || exit 2
  fovea_bin=$work/bin/fovea
fi
fovea_dir=$(cd "$(dirname "$fovea_bin")" && pwd)
# env execs fovea, so `"${fovea[@]}" serve ... &` leaves the server's own pid in $! (kill reaches it).
fovea=(env "LD_LIBRARY_PATH=$fovea_dir/lib:$LD_LIBRARY_PATH" "$fovea_dir/$(basename "$fovea_bin")")
if [[ $device == cuda ]]; then
  say "device: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | head -1)"
fi
say "config $config, fovea $("${fovea[@]}" --version 2>/dev/null | head -1)"
model=$work/w4a16
# The TTFT prompt: the image's LLM tokens + the question + the 10 tokens Qwen3-VL's chat template puts around them
# (fovea's server counted 920 for 880 + 30); the table prints the server's own count beside it.
ttft_tokens=$(cd "$here" && python3 -c "
import json, hf_vision_peer as h
v = json.load(open('$config/config.json'))['vision_config']
t, gh, gw = h.image_grid(v, 1280, 720)
print(t * gh * gw // v['spatial_merge_size'] ** 2 + 30 + 10)")

# 1. The checkpoint (GPU only while drawing; the shards are written while the peer runs).
begin checkpoint_gpu
python3 "$here/make_w4a16_checkpoint.py" --config "$config" --out "$model" --device "$device" \
  --tokenizer-from "$repo/tests/data/models/qwen3-vl-tiny" --gpu-done "$work/gen-gpu-done" >"$work/gen.log" 2>&1 &
gen_pid=$!
while [[ ! -e "$work/gen-gpu-done" ]] && kill -0 $gen_pid 2>/dev/null; do sleep 0.5; done
finish checkpoint_gpu
tail -2 "$work/gen.log"

# 2. The peers, on the GPU alone (the shards are written on the CPU meanwhile).
if [[ $engine_only == 0 ]]; then
  begin torch_int4_peer
  python3 "$repo/tools/bench/engine/torch_peer.py" --model "$config" --device "$device" --int4 --label goals \
    --batch-sizes "$batches" --context-len "$context" --decode-steps "$decode_steps" \
    --prefill-lens "$prefill,$ttft_tokens" --prefill-iters "$prefill_iters" --output-json "$work/torch-int4.json" \
    2>&1 | grep -v "Enum subclass"
  finish torch_int4_peer
  begin hf_vision_peer
  python3 "$here/hf_vision_peer.py" --model "$config" --device "$device" --iters "$vision_iters" \
    --output-json "$work/hf-vision.json" 2>&1 | grep -v "Enum subclass"
  finish hf_vision_peer
fi

begin checkpoint_write
wait $gen_pid
gen_rc=$?
finish checkpoint_write
cat "$work/gen.log"
if [[ $gen_rc != 0 ]]; then say "the checkpoint generator failed (exit $gen_rc)"; fi

# 3. fovea bench-engine on the checkpoint.
begin engine
"${fovea[@]}" bench-engine --model "$model" --device "$device" --kv-cache-dtype fp8 --batch-sizes "$batches" \
  --context-len "$context" --decode-steps "$decode_steps" --prefill-lens "$prefill,$batch_large,1" --prefill-iters "$prefill_iters" \
  --copy-mib "$copy_mib" --gemm-size "$gemm_size" --profile-prefill --label goals \
  --output-json "$work/fovea-engine.json" >"$out_dir/engine.log" 2>&1
engine_rc=$?
finish engine
if [[ $engine_only == 1 ]]; then
  cat "$out_dir/engine.log"
else
  grep -E "^  (decode|prefill) |limits measured|weights .* loaded" "$out_dir/engine.log"
fi
if [[ $engine_rc != 0 ]]; then say "fovea bench-engine failed (exit $engine_rc)"; tail -5 "$out_dir/engine.log"; fi

# The vision tower alone (fovea_vision_encoder_bench, when the bundle has it), with its per-op profile.
vision_tool=$fovea_dir/fovea_vision_encoder_bench
if [[ -x "$vision_tool" ]]; then
  begin vision_encoder
  env "LD_LIBRARY_PATH=$fovea_dir/lib:$LD_LIBRARY_PATH" "$vision_tool" --model "$model" --device "$device" \
    --iters "$vision_iters" --output-json "$work/fovea-vision.json" >>"$out_dir/engine.log" 2>&1 \
    || say "fovea_vision_encoder_bench failed"
  finish vision_encoder
  grep -E "vision encoder .* median" "$out_dir/engine.log"
fi

if [[ $engine_only == 1 ]]; then
  say "total $(( $(date +%s) - t0 )) s"
  [[ $gen_rc == 0 && $engine_rc == 0 ]]
  exit
fi

# 4. The server: TTFT and the encoder time per image.
begin serve_load
port=8392
while curl -s -o /dev/null http://127.0.0.1:$port/health 2>/dev/null; do port=$((port + 1)); done  # port taken
url=http://127.0.0.1:$port
"${fovea[@]}" serve "$model" --device "$device" --host 127.0.0.1 --port $port --served-model-name goals \
  --kv-cache-dtype fp8 --max-model-len 8192 --gpu-memory-utilization 0.85 >"$out_dir/serve.log" 2>&1 &
server_pid=$!
trap 'kill $server_pid 2>/dev/null' EXIT
ready=0
for _ in $(seq 1 600); do
  if curl -fs $url/health >/dev/null 2>&1; then ready=1; break; fi
  if ! kill -0 $server_pid 2>/dev/null; then break; fi
  sleep 0.5
done
finish serve_load
bench_flags=(--base-url $url --model goals --dataset random-mm --random-mm-image-size 1280x720 --random-input-len 30
  --random-output-len 1 --max-concurrency 1 --disable-tqdm)
if [[ $ready == 1 ]]; then
  begin serve_bench
  # Warm-up (its ready-check request is a copy of its first: cache hits), then fresh images for the measured run.
  "${fovea[@]}" bench "${bench_flags[@]}" --num-prompts 3 --seed 1 --json "$work/ttft-warmup.json" 2>&1 \
    | grep -E "Successful|Failed|Median TTFT" | sed 's/^/warm-up: /'
  curl -s $url/metrics >"$work/metrics-before.txt"
  "${fovea[@]}" bench "${bench_flags[@]}" --num-prompts "$prompts" --seed 2 --ready-check-timeout-sec 0 --num-warmups 0 \
    --json "$work/ttft.json" 2>&1 | grep -E "Successful|Failed|TTFT|input tokens"
  curl -s $url/metrics >"$work/metrics-after.txt"
  finish serve_bench
else
  say "the server did not become ready"; tail -20 "$out_dir/serve.log"
fi
kill $server_pid 2>/dev/null
wait $server_pid 2>/dev/null

echo "{$steps_json}" >"$work/steps.json"
say "table"
python3 "$here/goals_table.py" --config "$config/config.json" --engine "$work/fovea-engine.json" \
  --peer "$work/torch-int4.json" --vision-peer "$work/hf-vision.json" --serve-bench "$work/ttft.json" \
  --fovea-vision "$work/fovea-vision.json" \
  --metrics-before "$work/metrics-before.txt" --metrics-after "$work/metrics-after.txt" --steps "$work/steps.json" \
  --batch-large "$batch_large" --prefill-tokens "$prefill" --ttft-peer-tokens "$ttft_tokens" \
  --engine-log "$out_dir/engine.log" \
  --output-md "$out_dir/goals.md" --output-json "$out_dir/goals.json"
say "total $(( $(date +%s) - t0 )) s"
[[ $gen_rc == 0 && $engine_rc == 0 && $ready == 1 ]]
