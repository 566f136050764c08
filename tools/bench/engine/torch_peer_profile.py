#!/usr/bin/env python3
"""Per-kernel CUDA time of one prefill of the PyTorch peer (torch_peer.py's Decoder), for comparing its ops with
`fovea bench-engine --profile-prefill`. Prints torch.profiler's table, kernels grouped by name, slowest first.
Must not contain fovea code."""
import argparse

import torch
from torch.profiler import ProfilerActivity, profile

import torch_peer


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="folder with config.json")
    parser.add_argument("--length", type=int, default=2048)
    parser.add_argument("--rows", type=int, default=25)
    args = parser.parse_args()
    device = torch.device("cuda")
    cfg = torch_peer.text_config(args.model + "/config.json")
    with torch.no_grad():
        model = torch_peer.Decoder(cfg, device, torch.bfloat16, 0)
        cache_k, cache_v = torch_peer.make_cache(model, 1, args.length)
        tokens = torch.randint(0, cfg["vocab"], (args.length,), device=device)
        for _ in range(2):
            model.prefill(tokens, cache_k, cache_v)
        torch.cuda.synchronize()
        with profile(activities=[ProfilerActivity.CUDA]) as prof:
            model.prefill(tokens, cache_k, cache_v)
            torch.cuda.synchronize()
    print("torch peer prefill %d tokens, %s:" % (args.length, args.model))
    print(prof.key_averages().table(sort_by="cuda_time_total", row_limit=args.rows, max_name_column_width=60))


if __name__ == "__main__":
    main()
