#!/usr/bin/env python3
"""Reference outputs of single backend ops from the real HF / PyTorch code, for tests/unit/backend/op_golden_test.cpp.

Each case records inputs and the output PyTorch (CPU) produces with the modules and functions HF transformers uses in
Qwen3-VL: Qwen3VLTextRMSNorm, Qwen3VLTextRotaryEmbedding + apply_rotary_pos_emb (interleaved MRoPE),
Qwen3VLVisionRotaryEmbedding + apply_rotary_pos_emb_vision, LayerNorm, SiLU-gated MLP, GELU (tanh, erf), Linear,
SDPA attention (GQA, a prefill chunk seeing earlier cache entries), softmax, top-k/argmax and the fp8 e4m3 cast.
Values are written as JSON numbers (every bf16/f32 value is exact in a double). Run, never hand-edit:

    python3 tools/golden/make_backend_op_goldens.py tests/unit/backend/data/backend_op_goldens.json
"""
import json
import sys

import torch
import torch.nn.functional as F
import transformers
from transformers.models.qwen3_vl import modeling_qwen3_vl as qwen3_vl
from transformers.models.qwen3_vl.configuration_qwen3_vl import Qwen3VLTextConfig, Qwen3VLVisionConfig


def values(t):
    # Nine significant digits round-trip any float32 (and bf16) value and keep the file small.
    return [float(f"{v:.9g}") for v in t.detach().to(torch.float32).reshape(-1).tolist()]


def case(name, dtype, inputs, outputs, **params):
    return {
        "name": name,
        "dtype": dtype,
        "inputs": {k: {"shape": list(v.shape), "values": values(v)} for k, v in inputs.items()},
        "outputs": {k: {"shape": list(v.shape), "values": values(v)} for k, v in outputs.items()},
        "params": params,
    }


def main(out_path):
    torch.manual_seed(1234)
    cases = []
    bf16 = torch.bfloat16

    for dtype, tag in ((bf16, "bf16"), (torch.float32, "f32")):
        # RMSNorm over rows and per head (q_norm on [T, heads, hd]).
        norm = qwen3_vl.Qwen3VLTextRMSNorm(64, eps=1e-6)
        with torch.no_grad():
            norm.weight.copy_(torch.rand(64) + 0.5)
        norm = norm.to(dtype)
        x = (torch.randn(3, 64) * 2).to(dtype)
        cases.append(case("rms_norm", tag, {"x": x, "weight": norm.weight}, {"out": norm(x)}, eps=1e-6))
        heads = (torch.randn(2, 4, 64) * 3).to(dtype)
        cases.append(case("rms_norm", tag, {"x": heads, "weight": norm.weight}, {"out": norm(heads)}, eps=1e-6))

        # LayerNorm with bias (vision blocks and mergers).
        ln = torch.nn.LayerNorm(96, eps=1e-6)
        with torch.no_grad():
            ln.weight.copy_(torch.rand(96) + 0.5)
            ln.bias.copy_(torch.randn(96) * 0.1)
        ln = ln.to(dtype)
        x = (torch.randn(3, 96) * 2 + 0.5).to(dtype)
        cases.append(case("layer_norm", tag, {"x": x, "weight": ln.weight, "bias": ln.bias}, {"out": ln(x)}, eps=1e-6))

        # SiLU-gated MLP product, GELU tanh / erf.
        gate = (torch.randn(2, 200) * 3).to(dtype)
        up = torch.randn(2, 200).to(dtype)
        cases.append(case("swiglu", tag, {"gate": gate, "up": up}, {"out": F.silu(gate) * up}))
        x = (torch.randn(2, 200) * 3).to(dtype)
        cases.append(case("gelu_tanh", tag, {"x": x}, {"out": F.gelu(x, approximate="tanh")}))
        cases.append(case("gelu_erf", tag, {"x": x}, {"out": F.gelu(x)}))

        # Linear with bias.
        x = torch.randn(3, 96).to(dtype)
        w = (torch.randn(24, 96) * 0.1).to(dtype)
        b = (torch.randn(24) * 0.1).to(dtype)
        cases.append(case("linear", tag, {"x": x, "weight": w, "bias": b}, {"out": F.linear(x, w, b)}))

        # Text rotary: interleaved MRoPE cos/sin (fp32) and the rotation in the activation dtype.
        config = Qwen3VLTextConfig(head_dim=128, hidden_size=256, num_attention_heads=2, num_key_value_heads=1,
                                   rope_parameters={"rope_type": "default", "rope_theta": 5000000.0,
                                                    "mrope_section": [24, 20, 20], "mrope_interleaved": True})
        rotary = qwen3_vl.Qwen3VLTextRotaryEmbedding(config)
        positions = torch.tensor([[0, 7, 300, 4096, 200001], [0, 9, 310, 4096, 200001], [0, 3, 290, 4100, 199999]])
        cos, sin = rotary(torch.zeros(1, dtype=torch.float32), positions[:, None, :])
        q = torch.randn(1, 2, 5, 128).to(dtype)
        k = torch.randn(1, 2, 5, 128).to(dtype)
        q_rot, _ = qwen3_vl.apply_rotary_pos_emb(q, k, cos.to(dtype), sin.to(dtype))
        cases.append(case("rope_mrope", tag, {"positions": positions.float(), "x": q[0].transpose(0, 1)},
                          {"cos": cos[0], "sin": sin[0], "out": q_rot[0].transpose(0, 1)},
                          theta=5000000.0, rotary_dim=128, mrope_section=[24, 20, 20]))

        # Vision rotary: 2-D (row, col) cos/sin and the rotation in fp32 with one rounding.
        vconfig = Qwen3VLVisionConfig(hidden_size=144, num_heads=2, depth=1, out_hidden_size=64)
        vrotary = qwen3_vl.Qwen3VLVisionRotaryEmbedding(vconfig)
        vpositions = torch.tensor([[0, 0, 1, 5, 47], [0, 1, 0, 9, 31]])
        vcos, vsin = vrotary(torch.zeros(1), vpositions.T)  # HF takes [N, 2] (row, col) pairs
        vq = torch.randn(5, 2, 72).to(dtype)
        vq_rot, _ = qwen3_vl.apply_rotary_pos_emb_vision(vq, vq, vcos, vsin)
        cases.append(case("rope_vision", tag, {"positions": vpositions.float(), "x": vq},
                          {"cos": vcos, "sin": vsin, "out": vq_rot},
                          theta=float(vconfig.rope_parameters["rope_theta"]), rotary_dim=72))

        # Attention (SDPA, what HF runs by default): 4 query heads on 2 kv heads, a 5-token chunk at the end of a
        # 24-token sequence, so query i sees keys j <= 19 + i.
        num_keys, num_queries = 24, 5
        q = torch.randn(1, 4, num_queries, 64).to(dtype)
        k = torch.randn(1, 2, num_keys, 64).to(dtype)
        v = torch.randn(1, 2, num_keys, 64).to(dtype)
        mask = torch.arange(num_keys)[None, :] <= (num_keys - num_queries + torch.arange(num_queries))[:, None]
        out = F.scaled_dot_product_attention(q, k.repeat_interleave(2, dim=1), v.repeat_interleave(2, dim=1),
                                             attn_mask=mask, scale=64 ** -0.5)
        cases.append(case("attention", tag, {"q": q[0].transpose(0, 1), "k": k[0].transpose(0, 1),
                                             "v": v[0].transpose(0, 1)}, {"out": out[0].transpose(0, 1)}))

    # Softmax / log-softmax in fp32 of bf16 logits (the sampler's view of the logits).
    logits = (torch.randn(2, 300) * 5).to(bf16)
    cases.append(case("softmax", "bf16", {"x": logits}, {"out": torch.softmax(logits.float(), -1),
                                                        "log_out": torch.log_softmax(logits.float(), -1)}))

    # Ranking with ties: values on a 0.5 grid.
    ranked = (torch.randint(-6, 7, (2, 64)).float() * 0.5)
    top = torch.topk(ranked, 10)
    cases.append(case("top_k", "f32", {"x": ranked}, {"values": top.values, "indices": top.indices.float(),
                                                      "argmax": torch.argmax(ranked, -1).float()}, k=10))

    # fp8 e4m3 cast inside the finite range (PyTorch does not saturate; fovea's KV cache write does).
    fp8_in = torch.cat([torch.randn(200) * 30, torch.tensor([0.0, -0.0, 1e-4, 0.001953125, 0.0029296875, 447.0,
                                                             -440.0, 15.5, 17.0, 0.5625])])
    cases.append(case("fp8_e4m3", "f32", {"x": fp8_in}, {"out": fp8_in.to(torch.float8_e4m3fn).float()}))

    with open(out_path, "w") as f:
        json.dump({"generator": "tools/golden/make_backend_op_goldens.py", "torch": torch.__version__,
                   "transformers": transformers.__version__, "cases": cases}, f, separators=(",", ":"))


if __name__ == "__main__":
    main(sys.argv[1])
