#!/usr/bin/env python3
"""The goals table of ../shared/docs/performance-goals.md from one run of tools/bench/goals/run.sh: for every goal,
fovea's number, the limit (from the copy bandwidth and the GEMM peak fovea bench-engine measured in the same run, and
the bytes / FLOPs the config implies), the peer measured in the same run, and whether the goal is met or how far off.
Prints the table (markdown) and writes it as markdown and JSON. Reads the JSON files the run wrote; computes nothing
on the GPU. Must not contain fovea code.
"""
import argparse
import json
import math
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hf_vision_peer import image_grid  # noqa: E402

GOALS = {  # performance-goals.md, "Goals on one H100"
    "decode_b1": 150.0, "decode_b64": 2500.0, "prefill_2048": 8000.0, "ttft_ms": 150.0, "vision_ms": 12.0,
}
VLLM_TTFT_NOTE = "vLLM: 293 ms (Qwen2.5-VL-7B, one 1080p image, H100; published, not measured here)"


def load(path):
    if not path:
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as error:
        print(f"goals_table: {path}: {error}", file=sys.stderr)
        return None


def model_cost(config, group_size):
    """Bytes and FLOPs the Qwen3-VL config implies for W4A16 group `group_size` and an FP8 KV cache."""
    text, vision = config["text_config"], config["vision_config"]
    h, inter, layers = text["hidden_size"], text["intermediate_size"], text["num_hidden_layers"]
    hd = text.get("head_dim", h // text["num_attention_heads"])
    q_width, kv_width = text["num_attention_heads"] * hd, text["num_key_value_heads"] * hd
    linear_params = layers * (h * (q_width + 2 * kv_width) + q_width * h + 3 * h * inter)
    vocab = text["vocab_size"]
    cost = {
        "linear_params": linear_params,
        # int4 codes + one bf16 scale per group + norms + the bf16 lm_head: what one decode step must read.
        "decode_weight_bytes": linear_params / 2 + linear_params / group_size * 2
        + layers * (2 * h + 2 * hd) * 2 + h * 2 + vocab * h * 2,
        "kv_bytes_per_token": layers * 2 * kv_width * 1,  # FP8 K and V
        "linear_flops_per_token": 2 * linear_params,
        "lm_head_flops_per_row": 2 * vocab * h,
        "attention_flops_per_pair": layers * 4 * q_width,
    }
    vh, vi, depth = vision["hidden_size"], vision["intermediate_size"], vision["depth"]
    merge = vision["spatial_merge_size"] ** 2
    patch_elems = vision["in_channels"] * vision["temporal_patch_size"] * vision["patch_size"] ** 2
    num_mergers = 1 + len(vision.get("deepstack_visual_indexes", []))
    out = vision["out_hidden_size"]

    def vision_flops(num_patches):
        per_patch = 2 * patch_elems * vh + depth * (2 * (4 * vh * vh + 2 * vh * vi) + 4 * num_patches * vh)
        merged = num_patches // merge
        return num_patches * per_patch + num_mergers * merged * 2 * ((merge * vh) ** 2 + merge * vh * out)

    cost["vision_flops"] = vision_flops
    return cost


def prefill_flops(cost, tokens):
    return (tokens * cost["linear_flops_per_token"] + cost["lm_head_flops_per_row"]
            + cost["attention_flops_per_pair"] * tokens * (tokens + 1) / 2)


def row_of(run, phase, batch=None, tokens=None):
    if not run:
        return None
    for row in run.get("results", []):
        if row["phase"] == phase and (batch is None or row["batch"] == batch) and \
                (tokens is None or row["new_tokens"] == tokens):
            return row
    return None


def metric_delta(before, after, name):
    """(sum, count) of a Prometheus histogram between two /metrics scrapes."""
    def read(text):
        values = {}
        for line in (text or "").splitlines():
            for suffix in ("_sum", "_count"):
                if line.startswith(name + suffix):
                    values[suffix] = float(line.rsplit(" ", 1)[1])
        return values
    b, a = read(before), read(after)
    if "_sum" not in a or "_count" not in a:
        return None, 0
    count = a["_count"] - b.get("_count", 0.0)
    return (a["_sum"] - b.get("_sum", 0.0)) / count if count > 0 else None, count


def profile_sections(log_text):
    """{tokens: [(key, calls, total_ms, mean_us)]} from bench-engine --profile-prefill's per-op tables."""
    sections, current = {}, None
    for line in log_text.splitlines():
        head = re.match(r"\s*per-op device time of one (?:prefill of (\d+) tokens|(encode))", line)
        if head:
            current = sections.setdefault(int(head.group(1)) if head.group(1) else head.group(2), [])
            continue
        row = re.match(r"^\s+(\S.*?)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+[\d.]+%$", line)
        if current is not None and row:
            current.append((row.group(1), int(row.group(2)), float(row.group(3)), float(row.group(4))))
        elif current is not None and line.strip().startswith("sum of op times"):
            current = None
    return sections


def linear_rate(key, mean_us, group_size, bandwidth, peak):
    """What one call of a profiled linear ("linear M=1 N=8192 K=5120 bf16 int4") achieved: weight bytes read per
    second up to M = 64 (share of the copy rate), FLOP/s beyond (share of the bf16 GEMM peak)."""
    match = re.match(r"linear M=(\d+) N=(\d+) K=(\d+) \S+( int4| int8| fp8)?", key)
    if not match or mean_us <= 0:
        return ""
    m, n, k = int(match.group(1)), int(match.group(2)), int(match.group(3))
    seconds = mean_us * 1e-6
    if m > 64:
        flops = 2 * m * n * k / seconds
        return f"{flops / 1e12:,.0f} TFLOP/s" + (f" ({100 * flops / peak:.0f}% of GEMM peak)" if peak else "")
    if match.group(4) == " int4":
        size = n * k / 2 + n * k / group_size * 2
    else:
        size = n * k * (1 if match.group(4) else 2)
    rate = size / seconds
    return f"{rate / 1e9:,.0f} GB/s" + (f" ({100 * rate / bandwidth:.0f}% of copy)" if bandwidth else "")


def profile_lines(sections, tokens, bandwidth, peak, group_size, title, num_rows):
    rows = sections.get(tokens)
    if not rows:
        return []
    total = sum(r[2] for r in rows)
    lines = ["", f"{title} (per-op CUDA events, eager; sum {total:.2f} ms)",
             "", "| op | calls | total ms | share | mean µs | linears: achieved rate |", "|---|---|---|---|---|---|"]
    for key, calls, total_ms, mean_us in sorted(rows, key=lambda r: -r[2])[:num_rows]:
        rate = linear_rate(key, mean_us, group_size, bandwidth, peak)
        lines.append(f"| {key} | {calls} | {total_ms:.3f} | {100 * total_ms / total:.1f}% | {mean_us:.1f} | {rate} |")
    linear_ms = sum(r[2] for r in rows if r[0].startswith("linear"))
    lines.append(f"| all linears | | {linear_ms:.3f} | {100 * linear_ms / total:.1f}% | | |")
    return lines


def fmt(value, digits=1):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{digits}f}"


def verdict(value, goal, higher_is_better):
    if value is None:
        return "not measured"
    if higher_is_better:
        return "met" if value >= goal else f"gap: {goal / value:.2f}× to go ({fmt(value)} of {fmt(goal, 0)})"
    return "met" if value <= goal else f"gap: {value / goal:.2f}× to go ({fmt(value)} vs ≤ {fmt(goal, 0)})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="the benchmarked config.json")
    parser.add_argument("--engine", help="fovea bench-engine --output-json")
    parser.add_argument("--peer", help="torch_peer.py --int4 --output-json")
    parser.add_argument("--vision-peer", help="hf_vision_peer.py --output-json")
    parser.add_argument("--serve-bench", help="fovea bench --json of the measured TTFT run")
    parser.add_argument("--fovea-vision", help="fovea_vision_encoder_bench --output-json")
    parser.add_argument("--metrics-before", help="/metrics scraped before the measured TTFT run")
    parser.add_argument("--metrics-after", help="/metrics scraped after it")
    parser.add_argument("--steps", help="JSON of the run's step times (run.sh)")
    parser.add_argument("--engine-log", help="bench-engine's output with --profile-prefill tables")
    parser.add_argument("--group-size", type=int, default=128)
    parser.add_argument("--batch-large", type=int, default=64, help="the many-sequence decode batch")
    parser.add_argument("--prefill-tokens", type=int, default=2048, help="the prefill goal's prompt length")
    parser.add_argument("--image-size", default="1280x720")
    parser.add_argument("--question-tokens", type=int, default=30)
    parser.add_argument("--ttft-peer-tokens", type=int, default=0, help="prompt length of the peer's TTFT prefill")
    parser.add_argument("--output-md", required=True)
    parser.add_argument("--output-json", required=True)
    args = parser.parse_args()

    config = json.loads(Path(args.config).read_text())
    cost = model_cost(config, args.group_size)
    engine, peer, vision_peer = load(args.engine), load(args.peer), load(args.vision_peer)
    fovea_vision = load(args.fovea_vision) if args.fovea_vision and Path(args.fovea_vision).exists() else None
    serve = load(args.serve_bench)
    before = Path(args.metrics_before).read_text() if args.metrics_before and Path(args.metrics_before).exists() else ""
    after = Path(args.metrics_after).read_text() if args.metrics_after and Path(args.metrics_after).exists() else ""
    limits = (engine or {}).get("limits", {})
    bandwidth = limits.get("copy_bytes_per_s") or None
    peak = limits.get("gemm_flops_per_s") or None
    width, height = (int(v) for v in args.image_size.split("x"))
    grid = image_grid(config["vision_config"], width, height)
    num_patches = grid[0] * grid[1] * grid[2]
    image_tokens = num_patches // config["vision_config"]["spatial_merge_size"] ** 2
    rows = []

    def add(key, metric, unit, goal, fovea, limit, peer_value, peer_label, higher, note=""):
        rows.append({"key": key, "metric": metric, "unit": unit, "goal": goal, "fovea": fovea, "limit": limit,
                     "fovea_share_of_limit": fovea / limit if fovea and limit and higher else
                     (limit / fovea if fovea and limit else None),
                     "peer": peer_value, "peer_label": peer_label, "higher_is_better": higher,
                     "verdict": verdict(fovea, goal, higher), "note": note})

    for key, batch, metric in (("decode_b1", 1, "batch-1 decode, ≤2k context"),
                               ("decode_b64", args.batch_large, f"decode, {args.batch_large} concurrent sequences")):
        f_row, p_row = row_of(engine, "decode", batch), row_of(peer, "decode", batch)
        limit, note = None, ""
        if f_row and bandwidth:
            context = f_row["context"] + f_row["steps"] / 2
            step_bytes = cost["decode_weight_bytes"] + batch * context * cost["kv_bytes_per_token"]
            step_s = step_bytes / bandwidth
            if peak:
                flops = batch * (cost["linear_flops_per_token"] + cost["lm_head_flops_per_row"]
                                 + cost["attention_flops_per_pair"] * context)
                step_s = max(step_s, flops / peak)
            limit = batch / step_s
            note = f"context {f_row['context']}; {'CUDA graphs' if f_row.get('cuda_graphs') else 'eager'}"
        add(key, metric, "tok/s", GOALS[key], f_row and f_row["tokens_per_s"], limit,
            p_row and p_row["tokens_per_s"],
            f"PyTorch int4 tinygemm g128, {'CUDA graph' if (peer or {}).get('cuda_graph') else 'eager'}, bf16 KV",
            True, note)

    length = args.prefill_tokens
    f_row, p_row = row_of(engine, "prefill", tokens=length), row_of(peer, "prefill", tokens=length)
    limit = length * peak / prefill_flops(cost, length) if peak else None
    add("prefill_2048", f"prefill, one {length:,}-token prompt", "tok/s", GOALS["prefill_2048"],
        f_row and f_row["tokens_per_s"], limit, p_row and p_row["tokens_per_s"],
        "PyTorch int4 tinygemm g128, cuDNN/flash SDPA", True)

    vision_s, vision_count = metric_delta(before, after, "fovea:vision_encoder_seconds")
    vision_limit_ms = 1e3 * cost["vision_flops"](num_patches) / peak if peak else None
    peer_vision_ms = vision_peer and vision_peer["median_ms"]
    prompt_tokens = None
    if serve and serve.get("input_lens"):
        prompt_tokens = sum(serve["input_lens"]) / len(serve["input_lens"])
    ttft_tokens = prompt_tokens or args.ttft_peer_tokens or (image_tokens + args.question_tokens)
    ttft_limit = 1e3 * (cost["vision_flops"](num_patches) + prefill_flops(cost, ttft_tokens)) / peak if peak else None
    peer_prefill = row_of(peer, "prefill", tokens=args.ttft_peer_tokens) if args.ttft_peer_tokens else None
    peer_ttft = peer_vision_ms + peer_prefill["median_step_ms"] if peer_vision_ms and peer_prefill else None
    fovea_ttft = serve and serve.get("completed") and serve.get("median_ttft_ms")
    note = (f"fovea serve + fovea bench random-mm, {serve['completed']} requests at concurrency 1 after warm-up, "
            f"median (mean {fmt(serve.get('mean_ttft_ms'))} ms), {fmt(prompt_tokens, 0)} prompt tokens; "
            if serve and serve.get("completed") else "")
    note += (f"peer = HF vision tower + int4 prefill of {args.ttft_peer_tokens} tokens (no server); "
             f"{VLLM_TTFT_NOTE}")
    add("ttft_ms", f"time to first token, one {args.image_size} image + {args.question_tokens}-token question", "ms",
        GOALS["ttft_ms"], fovea_ttft, ttft_limit, peer_ttft, "HF vision + int4 prefill", False, note)
    server_note = (f"the server's encoder time per image (host clock around encode + sync): mean "
                   f"{1e3 * vision_s:.1f} ms of {int(vision_count)}" if vision_count else "")
    if fovea_vision:
        fovea_vision_ms = fovea_vision["median_ms"]
        vision_note = (f"fovea: fovea_vision_encoder_bench, encode + synchronize, median of {fovea_vision['iters']}"
                       + (f"; {server_note}" if server_note else ""))
    else:
        fovea_vision_ms = 1e3 * vision_s if vision_s else None
        vision_note = f"fovea: {server_note}" if server_note else ""
    add("vision_ms", f"vision tower alone, {args.image_size} ({num_patches} patches)", "ms", GOALS["vision_ms"],
        fovea_vision_ms, vision_limit_ms, peer_vision_ms,
        f"HF transformers {vision_peer['transformers'] if vision_peer else ''} Qwen3VLVisionModel, SDPA", False,
        vision_note)

    device = (engine or {}).get("device") or (peer or {}).get("device") or "?"
    header = [f"Goals of performance-goals.md, {config['text_config']['num_hidden_layers']}-layer "
              f"hidden-{config['text_config']['hidden_size']} Qwen3-VL shapes, W4A16 g{args.group_size} "
              f"(random values, compressed-tensors pack-quantized), FP8 KV; card: {device}",
              f"limits measured in this run: copy {fmt(bandwidth and bandwidth / 1e9, 0)} GB/s (read + write), "
              f"bf16 GEMM {fmt(peak and peak / 1e12, 0)} TFLOP/s; decode reads "
              f"{cost['decode_weight_bytes'] / 1e9:.2f} GB of weights a step; image: {num_patches} patches, "
              f"{image_tokens} LLM tokens, {cost['vision_flops'](num_patches) / 1e12:.2f} TFLOP in the vision tower", ""]
    lines = ["| metric | goal | fovea | limit | fovea / limit | peer | fovea vs peer | met? / gap |",
             "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        higher = row["higher_is_better"]
        goal = f"{'≥' if higher else '≤'} {fmt(row['goal'], 0)} {row['unit']}"
        share = f"{100 * row['fovea_share_of_limit']:.0f}%" if row["fovea_share_of_limit"] else "–"
        versus = "–"
        if row["fovea"] and row["peer"]:
            versus = f"{(row['fovea'] / row['peer'] if higher else row['peer'] / row['fovea']):.2f}×"
        lines.append(f"| {row['metric']} | {goal} | {fmt(row['fovea'])} | {fmt(row['limit'])} | {share} | "
                     f"{fmt(row['peer'])} ({row['peer_label']}) | {versus} | {row['verdict']} |")
    notes = [f"- {row['metric']}: {row['note']}" for row in rows if row["note"]]
    notes.append("- limits: decode = batch × copy bandwidth / (weights + KV read a step), or the FLOPs over the "
                 "GEMM peak where larger; prefill and vision = FLOPs over the bf16 GEMM peak; fovea / limit for "
                 "times is limit / fovea. fovea vs peer > 1 means fovea is ahead.")
    steps = load(args.steps)
    if steps:
        notes.append("- device time per step (s): " + ", ".join(f"{k} {v:.0f}" for k, v in steps.items()))
    sections = profile_sections(Path(args.engine_log).read_text()) if args.engine_log and \
        Path(args.engine_log).exists() else {}
    profiles = profile_lines(sections, 1, bandwidth, peak, args.group_size,
                             "Where a 1-token step goes (the batch-1 decode's linears; attention over no context)", 12)
    profiles += profile_lines(sections, args.batch_large, bandwidth, peak, args.group_size,
                              f"Where a {args.batch_large}-token step goes (the linears of a batch-{args.batch_large} "
                              f"decode; its attention is a causal prefill's)", 8)
    profiles += profile_lines(sections, args.prefill_tokens, bandwidth, peak, args.group_size,
                              f"Where the {args.prefill_tokens}-token prefill goes", 10)
    profiles += profile_lines(sections, "encode", bandwidth, peak, args.group_size,
                              f"Where the vision tower's {num_patches} patches go (fovea_vision_encoder_bench)", 12)
    if fovea_vision and fovea_vision.get("profiled_wall_ms") and sections.get("encode"):
        device_ms = sum(r[2] for r in sections["encode"])
        profiles.append(f"| wall of the profiled encode (host work and gaps: the rest) | | "
                        f"{fovea_vision['profiled_wall_ms']:.3f} | | | |")
        profiles.append(f"| host work and launch gaps (wall − device sum) | | "
                        f"{fovea_vision['profiled_wall_ms'] - device_ms:.3f} | | | |")
    text = "\n".join(header + lines + [""] + notes + profiles) + "\n"
    print(text)
    Path(args.output_md).write_text(text)
    Path(args.output_json).write_text(json.dumps({
        "device": device, "limits": limits, "image": {"size": args.image_size, "grid_thw": list(grid),
                                                      "patches": num_patches, "llm_tokens": image_tokens},
        "decode_weight_bytes": cost["decode_weight_bytes"], "rows": rows, "steps": steps,
        "profiles": {str(k): [dict(zip(("op", "calls", "total_ms", "mean_us"), r)) for r in v]
                     for k, v in sections.items()},
        "sources": {"engine": engine, "peer": peer, "vision_peer": vision_peer,
                    "serve_bench": {k: v for k, v in (serve or {}).items() if not isinstance(v, list)}},
    }, indent=2))


if __name__ == "__main__":
    main()
