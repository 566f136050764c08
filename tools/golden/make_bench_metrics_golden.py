#!/usr/bin/env python3
"""Reference numbers for fovea bench's metrics (tests/unit/bench/data/metrics_golden.json).

Random request records (seeded) and the metrics vLLM's `bench serve` computes from them, written with numpy exactly
as vllm/benchmarks/serve.py's calculate_metrics does: per successful request TTFT and latency, TPOT =
(latency - ttft) / (output_tokens - 1) when output_tokens > 1, all ITL gaps pooled; np.mean / np.median / np.std /
np.percentile (linear) of `values or 0`, times 1000; throughputs over the duration; the peak output chunks per
one-second bucket and the peak number of requests in flight.
Usage: make_bench_metrics_golden.py OUT.json
"""
import json
import sys

import numpy as np

PERCENTILES = [50.0, 90.0, 99.0, 99.9]


def make_records(rng, count):
    records = []
    for idx in range(count):
        success = bool(rng.random() > 0.15)
        start = float(rng.uniform(0.0, 3.0))
        ttft = float(rng.uniform(0.01, 0.5))
        num_chunks = int(rng.integers(0, 12)) if idx % 5 else 0
        itl = [float(x) for x in rng.uniform(0.005, 0.08, size=num_chunks)]
        latency = ttft + sum(itl) + float(rng.uniform(0.0, 0.01))
        records.append({
            "success": success,
            "start_time_s": start,
            "ttft_s": ttft if success else 0.0,
            "latency_s": latency if success else 0.0,
            "itl_s": itl if success else [],
            "prompt_tokens": int(rng.integers(1, 500)) if success else 0,
            "output_tokens": (num_chunks + 1) if success else 0,
            "num_images": int(rng.integers(0, 3)) if success else 0,
        })
    return records


def stats(values):
    values = values or 0
    return {
        "mean_ms": float(np.mean(values) * 1000),
        "median_ms": float(np.median(values) * 1000),
        "std_ms": float(np.std(values) * 1000),
        "percentiles_ms": [[p, float(np.percentile(values, p) * 1000)] for p in PERCENTILES],
    }


def metrics(records, duration):
    ok = [r for r in records if r["success"]]
    ttfts = [r["ttft_s"] for r in ok]
    e2els = [r["latency_s"] for r in ok]
    tpots = [(r["latency_s"] - r["ttft_s"]) / (r["output_tokens"] - 1) for r in ok if r["output_tokens"] > 1]
    itls = [gap for r in ok for gap in r["itl_s"]]
    total_input = sum(r["prompt_tokens"] for r in ok)
    total_output = sum(r["output_tokens"] for r in ok)
    images = sum(r["num_images"] for r in ok)
    min_start = min(r["start_time_s"] for r in ok)
    max_end = max(r["start_time_s"] + r["latency_s"] for r in ok)
    num_buckets = int(np.ceil(max_end - min_start)) + 1
    per_second = np.zeros(num_buckets)
    for r in ok:
        times = [r["start_time_s"] + r["ttft_s"]]
        for gap in r["itl_s"]:
            times.append(times[-1] + gap)
        for t in times:
            bucket = int(t - min_start)
            if 0 <= bucket < num_buckets:
                per_second[bucket] += 1
    events = sorted([(r["start_time_s"], 1) for r in ok] + [(r["start_time_s"] + r["latency_s"], -1) for r in ok])
    peak = current = 0
    for _, delta in events:
        current += delta
        peak = max(peak, current)
    return {
        "completed": len(ok),
        "failed": len(records) - len(ok),
        "total_input_tokens": total_input,
        "total_output_tokens": total_output,
        "total_input_images": images,
        "request_throughput": len(ok) / duration,
        "output_throughput": total_output / duration,
        "total_token_throughput": (total_input + total_output) / duration,
        "image_throughput": images / duration,
        "max_output_tokens_per_s": float(np.max(per_second)),
        "max_concurrent_requests": peak,
        "ttft": stats(ttfts),
        "tpot": stats(tpots),
        "itl": stats(itls),
        "e2el": stats(e2els),
    }


def main():
    rng = np.random.default_rng(20261127)
    cases = []
    for count in (1, 7, 40):
        records = make_records(rng, count)
        if not any(r["success"] for r in records):
            records[0]["success"] = True
            records[0].update(ttft_s=0.1, latency_s=0.2, prompt_tokens=3, output_tokens=1, itl_s=[])
        duration = max(r["start_time_s"] + r["latency_s"] for r in records) + 0.05
        cases.append({"records": records, "duration_s": duration, "percentiles": PERCENTILES,
                      "expected": metrics(records, duration)})
    with open(sys.argv[1], "w") as out:
        json.dump({"generator": "tools/golden/make_bench_metrics_golden.py", "numpy": np.__version__,
                   "cases": cases}, out, indent=1)
        out.write("\n")


if __name__ == "__main__":
    main()
