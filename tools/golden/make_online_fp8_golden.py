#!/usr/bin/env python3
"""Reference for `--quantization fp8` on an unquantized checkpoint (vLLM's online FP8): per-tensor scale
amax / 448 (floored at 1 / (448 * 512)) and float8_e4m3fn codes of weight / scale, computed with torch on two
Linears of the tiny Qwen3 checkpoint. Writes tests/golden/quant/data/online-fp8/{cases.json, <module>.fp8}."""
import json
import pathlib

import torch
from safetensors import safe_open

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHECKPOINT = ROOT / "tests/golden/model/data/checkpoints/qwen3-tiny/model.safetensors"
OUT = ROOT / "tests/golden/quant/data/online-fp8"
MODULES = ["model.layers.0.self_attn.q_proj", "model.layers.1.mlp.down_proj"]
FP8_MAX = 448.0


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    cases = []
    with safe_open(str(CHECKPOINT), "pt") as f:
        for module in MODULES:
            weight = f.get_tensor(module + ".weight").float()
            scale = torch.clamp(weight.abs().max() / FP8_MAX, min=1.0 / (FP8_MAX * 512.0))
            codes = (weight / scale).clamp(-FP8_MAX, FP8_MAX).to(torch.float8_e4m3fn).view(torch.uint8)
            (OUT / f"{module}.fp8").write_bytes(codes.contiguous().numpy().tobytes())
            cases.append({"module": module, "shape": list(weight.shape), "scale": float(scale),
                          "scale_hex": float(scale).hex()})
    (OUT / "cases.json").write_text(json.dumps({"torch": torch.__version__, "cases": cases}, indent=1) + "\n")


if __name__ == "__main__":
    main()
