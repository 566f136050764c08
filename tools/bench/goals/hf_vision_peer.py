#!/usr/bin/env python3
"""The vision-tower peer of the goals table: HF transformers' Qwen3-VL vision model (Qwen3VLVisionModel) built from a
config.json's vision_config with random bf16 weights and SDPA attention, timed on the patches of one image of the
given size (smart_resize as the Qwen2-VL image processor does it: sides rounded to patch * merge, pixels clamped to
the processor's range). CUDA events around each forward (after warm-up), median of --iters. Writes JSON.
Must not contain fovea code.
"""
import argparse
import json
import math
import time

import torch


def smart_resize(height, width, factor, min_pixels, max_pixels):
    """Qwen2-VL's smart_resize (transformers image_processing_qwen2_vl): sides to multiples of factor, area in range."""
    h_bar = max(factor, round(height / factor) * factor)
    w_bar = max(factor, round(width / factor) * factor)
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt((height * width) / max_pixels)
        h_bar = max(factor, math.floor(height / beta / factor) * factor)
        w_bar = max(factor, math.floor(width / beta / factor) * factor)
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar = math.ceil(height * beta / factor) * factor
        w_bar = math.ceil(width * beta / factor) * factor
    return h_bar, w_bar


def image_grid(vision, width, height, min_pixels=65536, max_pixels=16777216):
    """(t, h, w) patch grid of one image; the defaults are the published Qwen3-VL processor's size range."""
    patch, merge = vision["patch_size"], vision["spatial_merge_size"]
    h_bar, w_bar = smart_resize(height, width, patch * merge, min_pixels, max_pixels)
    return 1, h_bar // patch, w_bar // patch


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="folder with config.json")
    parser.add_argument("--image-size", default="1280x720", help="WxH")
    parser.add_argument("--iters", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--output-json", default=None)
    args = parser.parse_args()

    from transformers import __version__ as transformers_version
    from transformers.models.qwen3_vl.configuration_qwen3_vl import Qwen3VLVisionConfig
    from transformers.models.qwen3_vl.modeling_qwen3_vl import Qwen3VLVisionModel

    with open(args.model + "/config.json") as f:
        vision = json.load(f)["vision_config"]
    width, height = (int(v) for v in args.image_size.lower().split("x"))
    grid = image_grid(vision, width, height)
    num_patches = grid[0] * grid[1] * grid[2]
    patch_elems = vision["in_channels"] * vision["temporal_patch_size"] * vision["patch_size"] ** 2
    device = torch.device(args.device)
    config = Qwen3VLVisionConfig(**vision)
    config._attn_implementation = "sdpa"
    torch.manual_seed(0)
    start = time.perf_counter()
    with torch.device(device):
        model = Qwen3VLVisionModel(config).to(torch.bfloat16).eval()
    pixels = torch.randn(num_patches, patch_elems, device=device, dtype=torch.bfloat16)
    grid_thw = torch.tensor([grid], device=device)
    build_s = time.perf_counter() - start
    times = []
    with torch.inference_mode():
        for idx in range(args.warmup + args.iters):
            if device.type == "cuda":
                begin, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                begin.record()
                model(pixels, grid_thw=grid_thw)
                end.record()
                end.synchronize()
                elapsed_ms = begin.elapsed_time(end)
            else:
                t0 = time.perf_counter()
                model(pixels, grid_thw=grid_thw)
                elapsed_ms = 1e3 * (time.perf_counter() - t0)
            if idx >= args.warmup:
                times.append(elapsed_ms)
    ordered = sorted(times)
    out = {
        "engine": "hf-transformers", "transformers": transformers_version, "torch": torch.__version__,
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "attention": "sdpa", "dtype": "bfloat16", "image_size": args.image_size, "grid_thw": list(grid),
        "num_patches": num_patches, "parameters": sum(p.numel() for p in model.parameters()),
        "build_s": build_s, "iters": len(times), "median_ms": ordered[len(ordered) // 2],
        "min_ms": ordered[0], "mean_ms": sum(times) / len(times),
    }
    print(f"  hf vision tower {args.image_size} ({num_patches} patches, grid {grid}): median {out['median_ms']:.2f} ms, "
          f"min {out['min_ms']:.2f} ms over {len(times)} runs", flush=True)
    if args.output_json:
        with open(args.output_json, "w") as f:
            json.dump(out, f, indent=2)


if __name__ == "__main__":
    main()
