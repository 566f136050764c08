#!/usr/bin/env python3
"""The PyTorch peer of `fovea bench-engine` (../shared/docs/performance-goals.md: "PyTorch, bf16 cuBLAS, CUDA graph").

A plain PyTorch Qwen3-VL text decoder (gpt-fast style: fused qkv and gate/up matmuls through cuBLAS, torch RMSNorm,
rotary from a table, a static contiguous KV cache per batch size) with random bf16 weights of the shapes in
config.json, timed the same way as fovea's benchmark: decode steps of B sequences at a given context, each step a
CUDA-graph replay followed by a synchronize; prefill of one prompt (eager, causal SDPA with GQA). Decode attention
reads the whole static cache ([B, kv heads, context + steps, head_dim]) with positions past the current one masked.
With --int4 every decoder linear is an int4 weight-only matrix (group 128, bf16 scales and zeros) multiplied by
PyTorch's tinygemm kernel (torch._weight_int4pack_mm, as gpt-fast and torchao's int4 weight-only use it), random codes;
embeddings, norms and lm_head stay bf16 (the W4A16 checkpoints' layout).
Writes one JSON file with the same fields as fovea's --output-json. Must not contain fovea code.
"""
import argparse
import gc
import json
import math
import time

import torch
import torch.nn.functional as F


def text_config(path):
    with open(path) as f:
        config = json.load(f)
    text = config.get("text_config", config)
    rope = text.get("rope_parameters") or text.get("rope_scaling") or {}
    theta = rope.get("rope_theta", text.get("rope_theta", 5000000.0))
    return {
        "hidden": text["hidden_size"],
        "inter": text["intermediate_size"],
        "layers": text["num_hidden_layers"],
        "heads": text["num_attention_heads"],
        "kv_heads": text["num_key_value_heads"],
        "head_dim": text.get("head_dim", text["hidden_size"] // text["num_attention_heads"]),
        "vocab": text["vocab_size"],
        "eps": text.get("rms_norm_eps", 1e-6),
        "theta": float(theta),
    }


class Int4Weight:
    """An int4 weight-only [out, in] matrix in tinygemm's packed layout: codes from
    torch._convert_weight_to_int4pack, scales and zeros [in / group, out, 2] bf16. Random codes and scales."""

    def __init__(self, rows, cols, device, group_size, inner_k_tiles):
        if cols % group_size or cols % (16 * inner_k_tiles) or rows % 8:
            raise SystemExit(f"torch_peer: a {rows}x{cols} matrix does not fit tinygemm (group {group_size}, "
                             f"inner k tiles {inner_k_tiles})")
        self.rows, self.group_size = rows, group_size
        if device.type == "cuda":
            # PyTorch >= 2.5 takes two codes per uint8 [out, in / 2]; older versions one per int32 [out, in].
            try:
                codes = torch.randint(0, 256, (rows, cols // 2), dtype=torch.uint8, device=device)
                self.packed = torch.ops.aten._convert_weight_to_int4pack(codes, inner_k_tiles)
            except RuntimeError:
                codes = torch.randint(0, 16, (rows, cols), dtype=torch.int32, device=device)
                self.packed = torch.ops.aten._convert_weight_to_int4pack(codes, inner_k_tiles)
            self.mm = torch.ops.aten._weight_int4pack_mm
        else:
            codes = torch.randint(0, 16, (rows, cols), dtype=torch.int32, device=device)
            self.packed = torch.ops.aten._convert_weight_to_int4pack_for_cpu(codes, inner_k_tiles)
            self.mm = torch.ops.aten._weight_int4pack_mm_for_cpu
        scales = torch.empty(cols // group_size, rows, 1, device=device).uniform_(0.002, 0.004)
        zeros = torch.empty(cols // group_size, rows, 1, device=device).uniform_(-0.02, 0.02)
        self.scales_and_zeros = torch.cat([scales, zeros], dim=-1).to(torch.bfloat16).contiguous()

    def numel_bytes(self):
        return self.packed.numel() * self.packed.element_size() + self.scales_and_zeros.numel() * 2

    def __call__(self, x):
        flat = x.reshape(-1, x.shape[-1])
        return self.mm(flat, self.packed, self.group_size, self.scales_and_zeros).view(*x.shape[:-1], self.rows)


def linear(x, weight):
    return weight(x) if isinstance(weight, Int4Weight) else F.linear(x, weight)


class Decoder:
    """Weights and the forward pass; every tensor lives on `device` in `dtype` (the linears in int4 with `int4`)."""

    def __init__(self, cfg, device, dtype, seed, int4=None):
        torch.manual_seed(seed)
        self.cfg = cfg
        self.device = device
        self.dtype = dtype
        h, i, hd = cfg["hidden"], cfg["inter"], cfg["head_dim"]
        q_width, kv_width = cfg["heads"] * hd, cfg["kv_heads"] * hd

        def dense(rows, cols):
            bound = math.sqrt(3.0 / cols)
            return torch.empty(rows, cols, device=device, dtype=dtype).uniform_(-bound, bound)

        def matrix(rows, cols):
            if int4 is not None:
                return Int4Weight(rows, cols, device, int4["group_size"], int4["inner_k_tiles"])
            return dense(rows, cols)

        self.embed = torch.empty(cfg["vocab"], h, device=device, dtype=dtype).uniform_(-0.5, 0.5)
        self.lm_head = dense(cfg["vocab"], h)
        self.norm = torch.ones(h, device=device, dtype=dtype)
        self.layers = []
        for _ in range(cfg["layers"]):
            self.layers.append({
                "wqkv": matrix(q_width + 2 * kv_width, h),
                "wo": matrix(h, q_width),
                "w13": matrix(2 * i, h),
                "w2": matrix(h, i),
                "in_norm": torch.ones(h, device=device, dtype=dtype),
                "post_norm": torch.ones(h, device=device, dtype=dtype),
                "q_norm": torch.ones(hd, device=device, dtype=dtype),
                "k_norm": torch.ones(hd, device=device, dtype=dtype),
            })
        inv_freq = 1.0 / (cfg["theta"] ** (torch.arange(0, hd, 2, device=device, dtype=torch.float32) / hd))
        self.inv_freq = inv_freq

    def weight_bytes(self):
        total = self.embed.numel() + self.lm_head.numel() + self.norm.numel()
        total *= self.embed.element_size()
        for layer in self.layers:
            total += sum(t.numel_bytes() if isinstance(t, Int4Weight) else t.numel() * t.element_size()
                         for t in layer.values())
        return total

    def rope(self, positions):
        freqs = positions.float()[:, None] * self.inv_freq[None, :]
        emb = torch.cat([freqs, freqs], dim=-1)
        return emb.cos().to(self.dtype), emb.sin().to(self.dtype)

    @staticmethod
    def rotate(x, cos, sin):
        half = x.shape[-1] // 2
        rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
        return x * cos + rotated * sin

    def project(self, layer, x, cos, sin):
        """x [T, H] -> q [T, nh, hd], k, v [T, nkv, hd] after the q/k norms and rotary."""
        cfg = self.cfg
        hd = cfg["head_dim"]
        eps = cfg["eps"]
        qkv = linear(F.rms_norm(x, (cfg["hidden"],), layer["in_norm"], eps), layer["wqkv"])
        q, k, v = qkv.split([cfg["heads"] * hd, cfg["kv_heads"] * hd, cfg["kv_heads"] * hd], dim=-1)
        q = F.rms_norm(q.view(-1, cfg["heads"], hd), (hd,), layer["q_norm"], eps)
        k = F.rms_norm(k.view(-1, cfg["kv_heads"], hd), (hd,), layer["k_norm"], eps)
        return self.rotate(q, cos[:, None], sin[:, None]), self.rotate(k, cos[:, None], sin[:, None]), \
            v.view(-1, cfg["kv_heads"], hd)

    def finish_layer(self, layer, x, attn):
        cfg = self.cfg
        x = x + linear(attn, layer["wo"])
        gate, up = linear(F.rms_norm(x, (cfg["hidden"],), layer["post_norm"], cfg["eps"]), layer["w13"]).chunk(2, -1)
        return x + linear(F.silu(gate) * up, layer["w2"])

    def logits(self, x):
        return F.linear(F.rms_norm(x, (self.cfg["hidden"],), self.norm, self.cfg["eps"]), self.lm_head).float()

    def decode(self, tokens, position, cache_k, cache_v, mask):
        """One token for each of B sequences at `position` (a 1-element tensor); caches [B, nkv, L, hd]."""
        cfg = self.cfg
        batch = tokens.shape[0]
        group = cfg["heads"] // cfg["kv_heads"]
        cos, sin = self.rope(position.expand(batch))
        x = self.embed[tokens]
        scale = cfg["head_dim"] ** -0.5
        for layer, k_cache, v_cache in zip(self.layers, cache_k, cache_v):
            q, k, v = self.project(layer, x, cos, sin)
            k_cache.index_copy_(2, position, k[:, :, None, :])
            v_cache.index_copy_(2, position, v[:, :, None, :])
            # GQA without copies: the `group` query heads of a KV head form the rows of one batched matmul.
            q = q.view(batch, cfg["kv_heads"], group, cfg["head_dim"])
            scores = torch.matmul(q, k_cache.transpose(-1, -2)).float() * scale + mask
            attn = torch.matmul(scores.softmax(-1).to(self.dtype), v_cache)
            x = self.finish_layer(layer, x, attn.reshape(batch, -1))
        return self.logits(x)

    def prefill(self, tokens, cache_k, cache_v):
        """One prompt of N tokens into caches [1, nkv, L, hd]; logits of the last token."""
        cfg = self.cfg
        n = tokens.shape[0]
        cos, sin = self.rope(torch.arange(n, device=self.device))
        x = self.embed[tokens]
        for layer, k_cache, v_cache in zip(self.layers, cache_k, cache_v):
            q, k, v = self.project(layer, x, cos, sin)
            k_cache[0, :, :n] = k.transpose(0, 1)
            v_cache[0, :, :n] = v.transpose(0, 1)
            attn = F.scaled_dot_product_attention(q.transpose(0, 1)[None], k.transpose(0, 1)[None],
                                                  v.transpose(0, 1)[None], is_causal=True, enable_gqa=True)
            x = self.finish_layer(layer, x, attn[0].transpose(0, 1).reshape(n, -1))
        return self.logits(x[-1:])


def make_cache(model, batch, length):
    cfg = model.cfg
    shape = (batch, cfg["kv_heads"], length, cfg["head_dim"])
    zeros = lambda: torch.zeros(shape, device=model.device, dtype=model.dtype)  # noqa: E731
    return [zeros() for _ in model.layers], [zeros() for _ in model.layers]


def bench_decode(model, batch, context, steps, warmup, use_graph):
    length = context + warmup + steps
    cache_k, cache_v = make_cache(model, batch, length)
    tokens = torch.randint(0, model.cfg["vocab"], (batch,), device=model.device)
    position = torch.tensor([context], device=model.device)
    mask = torch.zeros(length, device=model.device)

    def set_position(pos):
        position.fill_(pos)
        mask.copy_(torch.where(torch.arange(length, device=model.device) <= pos, 0.0, float("-inf")))

    set_position(context)
    step = lambda: model.decode(tokens, position, cache_k, cache_v, mask)  # noqa: E731
    if use_graph:
        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream):
            for _ in range(2):
                step()
        torch.cuda.current_stream().wait_stream(stream)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            step()
        step = graph.replay
    times = []
    for idx in range(warmup + steps):
        set_position(context + idx)
        sync(model)
        start = time.perf_counter()
        step()
        sync(model)
        if idx >= warmup:
            times.append(time.perf_counter() - start)
    del cache_k, cache_v
    return times


def bench_prefill(model, length, iters, warmup):
    cache_k, cache_v = make_cache(model, 1, length)
    tokens = torch.randint(0, model.cfg["vocab"], (length,), device=model.device)
    times = []
    for idx in range(max(warmup, 1) + iters):
        sync(model)
        start = time.perf_counter()
        model.prefill(tokens, cache_k, cache_v)
        sync(model)
        if idx >= max(warmup, 1):
            times.append(time.perf_counter() - start)
    del cache_k, cache_v
    return times


def sync(model):
    if model.device.type == "cuda":
        torch.cuda.synchronize()


def release(model):
    """Returns the last run's cache and graph memory to the card, so the next batch size's larger cache fits."""
    gc.collect()
    if model.device.type == "cuda":
        torch.cuda.empty_cache()


def summary(phase, batch, new_tokens, context, times):
    ordered = sorted(times)
    total = sum(times)
    return {
        "phase": phase, "batch": batch, "new_tokens": new_tokens, "context": context, "steps": len(times),
        "mean_step_ms": 1e3 * total / len(times), "median_step_ms": 1e3 * ordered[len(ordered) // 2],
        "tokens_per_s": batch * new_tokens * len(times) / total,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="folder with config.json")
    parser.add_argument("--label", default=None)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--dtype", default="bfloat16", choices=["bfloat16", "float16", "float32"])
    parser.add_argument("--batch-sizes", default="1,8,32,64")
    parser.add_argument("--context-len", type=int, default=512)
    parser.add_argument("--decode-steps", type=int, default=16)
    parser.add_argument("--prefill-lens", default="512,2048")
    parser.add_argument("--prefill-iters", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--no-cuda-graph", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--int4", action="store_true",
                        help="int4 weight-only decoder linears through tinygemm (torch._weight_int4pack_mm)")
    parser.add_argument("--group-size", type=int, default=128, help="int4 group size")
    parser.add_argument("--inner-k-tiles", type=int, default=8, help="tinygemm's packing parameter (2, 4 or 8)")
    parser.add_argument("--output-json", default=None)
    args = parser.parse_args()

    device = torch.device(args.device)
    dtype = getattr(torch, args.dtype)
    cfg = text_config(args.model + "/config.json")
    start = time.perf_counter()
    with torch.no_grad():
        int4 = {"group_size": args.group_size, "inner_k_tiles": args.inner_k_tiles} if args.int4 else None
        model = Decoder(cfg, device, dtype, args.seed, int4)
        sync(model)
        load_s = time.perf_counter() - start
        use_graph = device.type == "cuda" and not args.no_cuda_graph
        results = []
        for batch in [int(b) for b in args.batch_sizes.split(",") if b]:
            times = bench_decode(model, batch, args.context_len, args.decode_steps, args.warmup, use_graph)
            results.append(summary("decode", batch, 1, args.context_len, times))
            release(model)
            print("  torch decode  batch %3d: %9.3f ms/step, %10.1f tok/s" %
                  (batch, results[-1]["mean_step_ms"], results[-1]["tokens_per_s"]), flush=True)
        for length in [int(n) for n in args.prefill_lens.split(",") if n]:
            times = bench_prefill(model, length, args.prefill_iters, args.warmup)
            results.append(summary("prefill", 1, length, 0, times))
            release(model)
            print("  torch prefill %5d tokens: %9.3f ms, %10.1f tok/s" %
                  (length, results[-1]["mean_step_ms"], results[-1]["tokens_per_s"]), flush=True)
    out = {
        "engine": "torch-int4" if args.int4 else "torch",
        "model": args.label or args.model,
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "torch": torch.__version__,
        "cuda_graph": use_graph,
        "weights": {"dtype": f"int4 group {args.group_size} (tinygemm), {args.dtype} lm_head" if args.int4 else args.dtype,
                    "bytes": model.weight_bytes(), "load_s": load_s},
        "results": results,
    }
    if args.output_json:
        with open(args.output_json, "w") as f:
            json.dump(out, f, indent=2)


if __name__ == "__main__":
    main()
