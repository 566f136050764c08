#!/usr/bin/env python3
"""One table of `fovea bench-engine` and torch_peer.py runs (their --output-json files): per model and shape, fovea's
tok/s, the peer's, and the limit fovea measured in its run; also writes them all into one JSON file."""
import argparse
import json


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="*", help="JSON files of fovea bench-engine --output-json and torch_peer.py")
    parser.add_argument("--output-json", default=None)
    args = parser.parse_args()
    runs = []
    for path in args.runs:
        try:
            with open(path) as f:
                runs.append(json.load(f))
        except (OSError, ValueError) as error:
            print(f"bench_table: skipping {path}: {error}")
    by_key = {}
    models = []
    for run in runs:
        if run["model"] not in models:
            models.append(run["model"])
        for row in run["results"]:
            key = (run["model"], row["phase"], row["batch"], row["new_tokens"], row["context"])
            by_key.setdefault(key, {})[run["engine"]] = row
    for run in runs:
        if run["engine"] != "fovea":
            continue
        limits = run["limits"]
        print(f"{run['model']} on {run['device']}: copy {limits['copy_bytes_per_s'] / 1e9:.0f} GB/s (read + write), "
              f"{run['activation_dtype']} GEMM {limits['gemm_size']}^3 {limits['gemm_flops_per_s'] / 1e12:.0f} "
              f"TFLOP/s; weights {run['weights']['bytes'] / 1e9:.1f} GB ({run['weights']['load_format']}, loaded in "
              f"{run['weights']['load_s']:.0f} s)")
    header = (f"{'model':<14} {'phase':<8} {'batch':>5} {'tokens':>6} {'ctx':>5} {'fovea tok/s':>12} "
              f"{'torch tok/s':>12} {'fovea/torch':>11} {'limit tok/s':>12} {'fovea':>6} {'torch':>6}")
    print(header)
    for key in sorted(by_key, key=lambda k: (models.index(k[0]), k[1] != "decode", k[2], k[3])):
        engines = by_key[key]
        fovea = engines.get("fovea")
        torch = engines.get("torch")
        limit = fovea.get("limit_tokens_per_s", 0) if fovea else 0
        f_rate = fovea["tokens_per_s"] if fovea else 0
        t_rate = torch["tokens_per_s"] if torch else 0
        ratio = f"{f_rate / t_rate:.2f}x" if f_rate and t_rate else "-"
        f_pct = f"{100 * f_rate / limit:.0f}%" if limit and f_rate else "-"
        t_pct = f"{100 * t_rate / limit:.0f}%" if limit and t_rate else "-"
        print(f"{key[0]:<14} {key[1]:<8} {key[2]:>5} {key[3]:>6} {key[4]:>5} {f_rate:>12.1f} {t_rate:>12.1f} "
              f"{ratio:>11} {limit:>12.1f} {f_pct:>6} {t_pct:>6}")
    print("decode: batch sequences x 1 token a step at the given context; prefill: one prompt of `tokens` tokens. "
          "Limits: decode = batch x copy bandwidth / (weights + KV read a step), prefill = tokens x GEMM peak / FLOPs.")
    if args.output_json:
        with open(args.output_json, "w") as f:
            json.dump({"runs": runs}, f, indent=2)


if __name__ == "__main__":
    main()
