#!/usr/bin/env bash
# cpu_vs_llamacpp.sh: fovea's CPU prefill and decode tok/s beside llama.cpp's llama-bench on the same random-weight
# Qwen3-0.6B checkpoint (bf16), both measured back to back in one run (issue 3, "Speed"). Builds llama-bench from
# the llama-cpp-python sdist and the checkpoint/GGUF when missing; large files live under $FOVEA_LLAMA_DIR, never in
# the repository. Prints one table (fovea, llama.cpp, ratio, goal) and writes the raw results next to the GGUF.
#
# Environment (defaults in brackets):
#   FOVEA_LLAMA_DIR [/work/llama]             work folder: sdist, llama.cpp build, venv, checkpoint, GGUF, results
#   LLAMA_SDIST_VERSION [0.3.36]              llama-cpp-python sdist (fetched with pip download when absent)
#   QWEN3_TOKENIZER_DIR [/work/shared/assets/qwen3-tokenizer]  tokenizer.json + tokenizer_config.json for the
#                                             converter, copied into the checkpoint folder (fovea does not read them)
#   FOVEA_BUILD_DIR [<repo>/build-bench-cpu]  fovea build folder (configured with -DFOVEA_CUDA=OFF when absent)
#   THREADS [2] PROMPT_TOKENS [512] GEN_TOKENS [128] REPS [5]
#   WAIT_FOR_QUIET_MIN [30]                   minutes to wait (polling each minute) for the 1-minute load to drop
#   LOAD_LIMIT [2.5]                          below LOAD_LIMIT before measuring; 0 minutes measures at once
#   BENCH_NICE [0]                            nice level of both benchmarks (the same for both), each run in its own
#                                             session whose scheduler autogroup gets this nice too (with autogroups
#                                             on, a plain nice only ranks a session's own processes); a negative
#                                             value (root only) keeps other sessions' builds from skewing timings
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK_DIR="${FOVEA_LLAMA_DIR:-/work/llama}"
SDIST_VERSION="${LLAMA_SDIST_VERSION:-0.3.36}"
SDIST_DIR="$WORK_DIR/llama_cpp_python-$SDIST_VERSION"
LLAMA_SRC="$SDIST_DIR/vendor/llama.cpp"
LLAMA_BUILD="$WORK_DIR/build"
LLAMA_BENCH="$LLAMA_BUILD/bin/llama-bench"
VENV="$WORK_DIR/venv"
CHECKPOINT="$WORK_DIR/qwen3-0.6b-random"
GGUF="$WORK_DIR/qwen3-0.6b-random-bf16.gguf"
TOKENIZER_DIR="${QWEN3_TOKENIZER_DIR:-/work/shared/assets/qwen3-tokenizer}"
FOVEA_BUILD="${FOVEA_BUILD_DIR:-$REPO_DIR/build-bench-cpu}"
FOVEA_BENCH="$FOVEA_BUILD/tools/bench/cpu_engine/fovea_cpu_engine_bench"
THREADS="${THREADS:-2}"
PROMPT_TOKENS="${PROMPT_TOKENS:-512}"
GEN_TOKENS="${GEN_TOKENS:-128}"
REPS="${REPS:-5}"
WAIT_FOR_QUIET_MIN="${WAIT_FOR_QUIET_MIN:-30}"
LOAD_LIMIT="${LOAD_LIMIT:-2.5}"
BENCH_NICE="${BENCH_NICE:-0}"

log() { echo "cpu_vs_llamacpp: $*" >&2; }
# Runs a benchmark command at BENCH_NICE in a new session, its autogroup set to the same nice where there is one.
run_niced() {
  setsid bash -c 'if [[ -w /proc/self/autogroup ]]; then echo "$0" >/proc/self/autogroup; fi; exec nice -n "$0" "$@"' \
    "$BENCH_NICE" "$@"
}
load_1min() { cut -d' ' -f1 /proc/loadavg; }

mkdir -p "$WORK_DIR"

# (a) llama-bench from the sdist's vendored llama.cpp.
if [[ ! -d "$LLAMA_SRC" ]]; then
  if [[ ! -f "$WORK_DIR/llama_cpp_python-$SDIST_VERSION.tar.gz" ]]; then
    log "fetching the llama-cpp-python $SDIST_VERSION sdist from PyPI"
    python3 -m pip download --no-deps --no-binary :all: "llama-cpp-python==$SDIST_VERSION" -d "$WORK_DIR"
  fi
  tar -xzf "$WORK_DIR/llama_cpp_python-$SDIST_VERSION.tar.gz" -C "$WORK_DIR"
fi
if [[ ! -x "$LLAMA_BENCH" ]]; then
  log "building llama-bench (Release, GGML_NATIVE=ON); this takes a while on 2 cores"
  nice -n 10 cmake -S "$LLAMA_SRC" -B "$LLAMA_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON \
    -DLLAMA_CURL=OFF >"$WORK_DIR/configure.log" 2>&1
  nice -n 10 cmake --build "$LLAMA_BUILD" --target llama-bench -j2 >"$WORK_DIR/build.log" 2>&1
fi

# (b) the random-weight checkpoint (fovea reads its bf16 safetensors directly).
if [[ ! -f "$CHECKPOINT/model.safetensors" ]]; then
  log "writing the random-weight Qwen3-0.6B checkpoint to $CHECKPOINT"
  nice -n 10 python3 "$REPO_DIR/tools/bench/cpu_engine/make_random_qwen3.py" "$CHECKPOINT" --seed 0
fi

# (c) the same weights as a bf16 GGUF through the sdist's own converter, in a venv that sees the system torch and
# transformers (the converter puts the sdist's gguf-py on its path itself).
if [[ ! -f "$GGUF" ]]; then
  if [[ ! -x "$VENV/bin/python" ]]; then
    python3 -m venv --system-site-packages "$VENV"
  fi
  # Only what the system python lacks: the converter's pinned requirements file would pull a second torch.
  if ! "$VENV/bin/python" -c "import torch, numpy, transformers, yaml, tqdm, requests" 2>/dev/null; then
    log "the converter needs torch, numpy, transformers, pyyaml, tqdm and requests in the system python"
    exit 1
  fi
  if ! "$VENV/bin/python" -c "import sentencepiece" 2>/dev/null; then
    "$VENV/bin/python" -m pip install -q "sentencepiece>=0.1.98,<0.3.0"
  fi
  for name in tokenizer.json tokenizer_config.json; do
    [[ -f "$TOKENIZER_DIR/$name" ]] || { log "missing $TOKENIZER_DIR/$name (set QWEN3_TOKENIZER_DIR)"; exit 1; }
    cp "$TOKENIZER_DIR/$name" "$CHECKPOINT/$name"
  done
  log "converting to $GGUF"
  nice -n 10 "$VENV/bin/python" "$LLAMA_SRC/convert_hf_to_gguf.py" "$CHECKPOINT" --outtype bf16 --outfile "$GGUF" \
    >"$WORK_DIR/convert.log" 2>&1 || { tail -20 "$WORK_DIR/convert.log"; exit 1; }
fi

# fovea's benchmark (only its own target).
if [[ ! -f "$FOVEA_BUILD/build.ninja" ]]; then
  nice -n 10 cmake -S "$REPO_DIR" -B "$FOVEA_BUILD" -G Ninja -DFOVEA_CUDA=OFF >/dev/null
fi
nice -n 10 cmake --build "$FOVEA_BUILD" --target fovea_cpu_engine_bench -j2 >/dev/null

# (d) wait for a quiet machine (other builds skew timings), then both benchmarks back to back.
waited_min=0
while awk -v load="$(load_1min)" -v limit="$LOAD_LIMIT" 'BEGIN { exit !(load >= limit) }' &&
  ((waited_min < WAIT_FOR_QUIET_MIN)); do
  log "1-minute load $(load_1min) >= $LOAD_LIMIT; waiting ($waited_min/$WAIT_FOR_QUIET_MIN min)"
  sleep 60
  waited_min=$((waited_min + 1))
done

RESULTS_DIR="$WORK_DIR/results"
mkdir -p "$RESULTS_DIR"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
LLAMA_JSON="$RESULTS_DIR/llama-bench-$STAMP.json"
FOVEA_OUT="$RESULTS_DIR/fovea-$STAMP.txt"
LOAD_BEFORE="$(cat /proc/loadavg)"
log "load before: $LOAD_BEFORE; both benchmarks at nice $BENCH_NICE"
run_niced "$LLAMA_BENCH" -m "$GGUF" -t "$THREADS" -p "$PROMPT_TOKENS" -n "$GEN_TOKENS" -r "$REPS" \
  -o json >"$LLAMA_JSON" 2>"$RESULTS_DIR/llama-bench-$STAMP.log"
LOAD_MIDDLE="$(cat /proc/loadavg)"
run_niced "$FOVEA_BENCH" --model "$CHECKPOINT" --threads "$THREADS" --prompt-tokens "$PROMPT_TOKENS" \
  --gen-tokens "$GEN_TOKENS" --reps "$REPS" >"$FOVEA_OUT"
LOAD_AFTER="$(cat /proc/loadavg)"

CPU_MODEL="$(lscpu | sed -n 's/^Model name: *//p')"
SIMD_FLAGS="$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' |
  grep -E '^(avx2|fma|f16c|avx512f|avx512bw|avx512_bf16|avx512_vnni)$' | tr '\n' ' ')"
sed '$d' "$FOVEA_OUT"
python3 - "$LLAMA_JSON" "$FOVEA_OUT" "$RESULTS_DIR/summary-$STAMP.json" "$CPU_MODEL" "$SIMD_FLAGS" "$THREADS" \
  "$LOAD_BEFORE" "$LOAD_MIDDLE" "$LOAD_AFTER" "$BENCH_NICE" <<'PY'
import json, sys
(llama_path, fovea_path, summary_path, cpu_model, simd, threads, load_before, load_middle, load_after,
 bench_nice) = sys.argv[1:]
llama = json.load(open(llama_path))
fovea = json.loads(open(fovea_path).read().strip().splitlines()[-1])
pp = next(r for r in llama if r["n_prompt"] > 0 and r["n_gen"] == 0)
tg = next(r for r in llama if r["n_gen"] > 0 and r["n_prompt"] == 0)
# (test, fovea tok/s, its stddev, llama.cpp tok/s, its stddev, goal ratio of issue 3)
rows = [
    (f"prefill pp{pp['n_prompt']}", fovea["prefill_tok_s"], fovea["prefill_tok_s_stddev"], pp["avg_ts"],
     pp["stddev_ts"], 0.5),
    (f"decode tg{tg['n_gen']}", fovea["decode_tok_s"], fovea["decode_tok_s_stddev"], tg["avg_ts"], tg["stddev_ts"],
     0.7),
]
print(f"machine: {cpu_model}, {threads} threads; SIMD: {simd.strip()}")
print(f"llama.cpp {pp.get('build_commit', '?')} ({pp.get('model_type', '?')}, type_k {pp.get('type_k', '?')}, "
      f"flash_attn {pp.get('flash_attn', '?')}); fovea {fovea['activation_dtype']} activations and KV cache")
print(f"load average before / between / after: {load_before} | {load_middle} | {load_after}; nice {bench_nice}")
print()
print(f"| {'test':<14} | {'fovea tok/s':>16} | {'llama.cpp tok/s':>16} | {'ratio':>6} | {'goal':>6} | met |")
print(f"|{'-' * 16}|{'-' * 18}|{'-' * 18}|{'-' * 8}|{'-' * 8}|-----|")
summary = {"machine": cpu_model, "simd": simd.split(), "threads": int(threads),
           "loadavg": {"before": load_before, "between": load_middle, "after": load_after}, "nice": int(bench_nice),
           "llama_cpp": {"build_commit": pp.get("build_commit"), "model_type": pp.get("model_type")}, "tests": []}
for name, f, fsd, l, lsd, goal in rows:
    ratio = f / l
    print(f"| {name:<14} | {f:>9.2f} ± {fsd:<5.2f} | {l:>9.2f} ± {lsd:<5.2f} | {ratio:>6.2f} | {goal:>6.2f} | "
          f"{'yes' if ratio >= goal else 'NO':<3} |")
    summary["tests"].append({"test": name, "fovea_tok_s": f, "llama_cpp_tok_s": l, "ratio": ratio, "goal": goal})
json.dump(summary, open(summary_path, "w"), indent=1)
print()
print(f"raw results: {llama_path}, {fovea_path}, {summary_path}")
PY
