#!/usr/bin/env bash
# Issue 8's GPU acceptance: `fovea serve --device cuda` on dummy weights of an 8B-shaped Qwen3-VL (the tiny
# checkpoint's tokenizer files make the folder servable); its start-up memory summary against NVML's used memory
# (nvidia-smi) within 2%, the GPU gauges on /metrics, and `fovea top --once --json` against /metrics.
# Prints one PASS/FAIL line per item and exits non-zero on any FAIL.
# Usage: tools/gpu/check-monitoring.sh BIN_DIR [CONFIG_NAME=qwen3-vl-8b] [MAX_MODEL_LEN=32768]
#   BIN_DIR: the unpacked bundle (fovea and lib/, from tools/gpu/pack-bins.sh).
set -u -o pipefail
bin_dir=$(cd "$1" && pwd)
config=${2:-qwen3-vl-8b}
max_len=${3:-32768}
port=8313
url=http://127.0.0.1:$port
fovea() { LD_LIBRARY_PATH="$bin_dir/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}" "$bin_dir/fovea" "$@"; }

work=$(mktemp -d)
model=$work/model
mkdir -p "$model"
cp "tools/bench/engine/configs/$config/config.json" "$model/"
tiny=tests/golden/model/data/checkpoints/qwen3-vl-tiny
cp "$tiny"/{tokenizer.json,tokenizer_config.json,chat_template.jinja,generation_config.json,processor_config.json} "$model/"

fovea serve "$model" --device cuda --load-format dummy --port $port --host 127.0.0.1 --served-model-name mon \
  --max-model-len "$max_len" --gpu-memory-utilization 0.9 >"$work/serve.log" 2>&1 &
server=$!
fovea check --url $url --timeout 600 >"$work/check.txt" 2>"$work/check.err"
check_rc=$?
# Right after ready and before any request: the card holds exactly what the summary describes.
smi_used_mib=$(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -i 0 | head -1)
curl -s $url/metrics >"$work/metrics.txt"
fovea top --url $url --once --json --interval 0.5 >"$work/top.json" 2>"$work/top.err"
top_rc=$?
curl -s $url/metrics >"$work/metrics-after.txt"
kill $server 2>/dev/null; wait $server 2>/dev/null

echo "== start-up log (summary)"
grep -E "loading \[|loaded weights|memory on|  (part|weights|activations|CUDA graphs|KV cache|other|used|free|total|NVML)" \
  "$work/serve.log" | sed 's/^/server: /'
echo "== fovea check --url: exit $check_rc: $(cat "$work/check.txt")"
python3 - "$work" "$check_rc" "$top_rc" "$smi_used_mib" <<'PY'
import json, re, sys
work, check_rc, top_rc, smi_used_mib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
log = open(f"{work}/serve.log").read()
failed = []

def result(name, ok, detail):
    print(f"{'PASS' if ok else 'FAIL'} {name}: {detail}")
    if not ok:
        failed.append(name)

def samples(path):
    out = {}
    for line in open(path).read().splitlines():
        if not line or line.startswith("#"):
            continue
        head, value = line.rsplit(" ", 1)
        name, _, labels = head.partition("{")
        out.setdefault(name, []).append((dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', labels)), float(value)))
    return out

result("check --url", check_rc == 0, open(f"{work}/check.txt").read().strip())

# 1. The summary's used memory (the parts add up to it) against nvidia-smi's memory.used.
def mib(amount, unit):
    return float(amount) * (1024 if unit == "GiB" else 1)

used = re.search(r"  used +([\d.]+) ([GM]iB)", log)
parts = {name: mib(v, unit) for name, v, unit in re.findall(
    r"  (weights|activations workspace|CUDA graphs|KV cache|other) +([\d.]+) ([GM]iB)", log)}
if used:
    summary_mib = mib(*used.groups())
    diff = (summary_mib - smi_used_mib) / smi_used_mib
    parts_mib = sum(parts.values())
    result("summary vs NVML used", abs(diff) <= 0.02,
           f"summary used {summary_mib:.0f} MiB (parts add to {parts_mib:.0f} MiB), nvidia-smi {smi_used_mib:.0f} MiB, "
           f"{diff * 100:+.2f}%")
else:
    result("summary vs NVML used", False, "no 'used' row in the start-up summary")

# 2. GPU gauges on /metrics, labelled by index and name.
metrics = samples(f"{work}/metrics.txt")
wanted = ["fovea:gpu_memory_used_bytes", "fovea:gpu_memory_total_bytes", "fovea:gpu_utilization_ratio",
          "fovea:gpu_temperature_celsius", "fovea:gpu_power_watts"]
missing = [name for name in wanted if not any(l.get("gpu") == "0" and l.get("name") for l, _ in metrics.get(name, []))]
shown = {name: metrics[name][0] for name in wanted if name in metrics}
result("/metrics GPU gauges", not missing, f"missing {missing}" if missing else json.dumps(shown))

# 3. fovea top --once --json against /metrics (memory used moves a little between scrapes: 1%).
if top_rc != 0:
    result("top --once --json vs /metrics", False, open(f"{work}/top.err").read().strip())
else:
    top = json.load(open(f"{work}/top.json"))
    after = samples(f"{work}/metrics-after.txt")
    def value(name, source=after):
        return source[name][0][1] if name in source else None
    gpu = top["gpus"][0] if top["gpus"] else {}
    checks = {
        "gpu name": (gpu.get("name"), after.get("fovea:gpu_memory_used_bytes", [({}, 0)])[0][0].get("name")),
        "memory total": (gpu.get("memory_total_bytes"), value("fovea:gpu_memory_total_bytes")),
        "kv total bytes": (top["kv_cache"]["total_bytes"], value("fovea:kv_cache_total_bytes")),
        "kv total blocks": (top["kv_cache"]["total_blocks"], value("fovea:kv_cache_total_blocks")),
        "kv usage": (top["kv_cache"]["usage"], value("vllm:kv_cache_usage_perc")),
        "running": (top["requests"]["running"], value("vllm:num_requests_running")),
    }
    bad = {k: v for k, v in checks.items() if v[0] != v[1]}
    used_top, used_metrics = gpu.get("memory_used_bytes"), value("fovea:gpu_memory_used_bytes")
    used_ok = used_top is not None and used_metrics and abs(used_top - used_metrics) <= 0.01 * used_metrics
    result("top --once --json vs /metrics", not bad and used_ok,
           f"mismatches {bad}, memory used top {used_top} vs /metrics {used_metrics}" if bad or not used_ok
           else f"gpu {gpu.get('name')}, memory used {used_top:.0f} B, kv {top['kv_cache']['total_bytes']:.0f} B")
sys.exit(1 if failed else 0)
PY
rc=$?
if [[ $rc != 0 ]]; then echo "== server log tail"; tail -30 "$work/serve.log"; fi
rm -rf "$work"
exit $rc
