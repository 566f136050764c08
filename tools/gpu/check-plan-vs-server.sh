#!/usr/bin/env bash
# Issue 5's measured check: what `fovea plan` predicts for a model on this GPU beside what `fovea serve` really
# allocates there (its start-up KV line, and the memory NVML reports used once the server is ready). Dummy weights of
# a published config (tools/bench/engine/configs), the tiny checkpoint's tokenizer files to make the folder servable.
# With TP > 1 (issue 12) every GPU of the group is compared: the plan's per-GPU row beside that GPU's NVML reading.
# Usage: tools/gpu/check-plan-vs-server.sh FOVEA_BIN [CONFIG_NAME=qwen3-vl-8b] [MAX_MODEL_LEN=32768] [TP=1]
set -u -o pipefail
fovea=$1
config=${2:-qwen3-vl-8b}
max_len=${3:-32768}
tp=${4:-1}
flags=(--max-model-len "$max_len" --gpu-memory-utilization 0.9 --max-num-seqs 64 --max-num-batched-tokens 2048
       --tensor-parallel-size "$tp")

model=$(mktemp -d)
cp "tools/bench/engine/configs/$config/config.json" "$model/"
tiny=tests/golden/model/data/checkpoints/qwen3-vl-tiny
cp "$tiny"/{tokenizer.json,tokenizer_config.json,chat_template.jinja,generation_config.json,processor_config.json} "$model/"

# One value per GPU of the group, comma-separated.
gpu_column() { nvidia-smi --query-gpu="$1" --format=csv,noheader,nounits | head -"$tp" | paste -sd, -; }
total_mib=$(gpu_column memory.total)
idle_mib=$(gpu_column memory.used)
log=$(mktemp)
"$fovea" serve "$model" --load-format dummy --port 8311 "${flags[@]}" >"$log" 2>&1 &
server=$!
ready=0
for _ in $(seq 1 300); do
  if curl -fs localhost:8311/health >/dev/null 2>&1; then ready=1; break; fi
  if ! kill -0 $server 2>/dev/null; then break; fi
  sleep 1
done
used_mib=$(gpu_column memory.used)
kill $server 2>/dev/null; wait $server 2>/dev/null
grep -E "KV cache|loaded|weights|workspace" "$log" | sed 's/^/server: /'
if [[ $ready != 1 ]]; then echo "check-plan: the server did not become ready"; tail -20 "$log"; exit 1; fi
# The CUDA runtime's total (what the server sees) is a little below nvidia-smi's.
cuda_total=$(python3 -c "import torch; print(torch.cuda.mem_get_info()[1])")
"$fovea" plan "$model" --gpu-memory "$cuda_total" "${flags[@]}" --json > "$model/plan.json" || exit 1
python3 - "$model/plan.json" "$log" "$total_mib" "$idle_mib" "$used_mib" <<'PY'
import json, re, sys
plan = json.load(open(sys.argv[1]))
log = open(sys.argv[2]).read()
total_mib, idle_mib, used_mib = ([int(x) for x in arg.split(",")] for arg in sys.argv[3:6])
m = re.search(r"KV cache: (\d+) tokens \((\d+) blocks\)", log)
served_tokens = int(m.group(1)) if m else None
parts = ("weights_bytes", "workspace_bytes", "overhead_bytes", "kv_cache_bytes")
rows = [("KV cache tokens", plan["per_gpu"][0]["kv_cache_tokens"], served_tokens)]
for idx, gpu in enumerate(plan["per_gpu"]):
    print(f"plan, GPU {idx}:", {k: gpu[k] for k in parts})
    rows.append((f"GPU {idx} memory used, MiB (NVML, minus idle)", round(sum(gpu[k] for k in parts) / 2**20),
                 used_mib[idx] - idle_mib[idx]))
print(f"| quantity | plan | server | difference |\n|---|---|---|---|")
for name, p, s in rows:
    diff = "n/a" if p in (None, 0) or s is None else f"{(s - p) / p * 100:+.2f}%"
    print(f"| {name} | {p} | {s} | {diff} |")
print(f"GPU total {total_mib} MiB, idle used {idle_mib} MiB, used with the server ready {used_mib} MiB")
PY
