#!/usr/bin/env python3
"""Writes a random-valued W4A16 checkpoint (compressed-tensors pack-quantized, int4 group 128, symmetric) of a
Qwen3-VL config, laid out as llm-compressor / compressed-tensors 0.20 save it (the golden checkpoints of
tools/golden/make_quant_goldens.py): every decoder linear as weight_packed (I32 [out, in/8], nibble i of a word =
column 8j+i, stored as q + 8), weight_scale (BF16 [out, in/group]) and weight_shape (I64 [2]); the vision tower,
embeddings, norms and lm_head unquantized bf16 and named in the ignore list, as on the Hub's W4A16 Qwen3-VL repos.

Made for speed benchmarks: values are random (uniform codes, scales giving weights of std ~0.02), drawn on the GPU
when there is one, moved to host memory, then written shard by shard by a few threads with a plain safetensors
writer (header + raw bytes); safetensors.safe_open re-reads every header at the end. --gpu-done FILE is created once
the GPU is no longer used, so a driver can start timing other things while the shards are written.
Must not contain fovea code or timing.
"""
import argparse
import concurrent.futures
import json
import os
import shutil
import struct
import sys
import threading
import time
from pathlib import Path

import torch

QUANTIZED = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
DTYPE_NAMES = {torch.int32: "I32", torch.int64: "I64", torch.bfloat16: "BF16"}
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "generation_config.json",
                   "preprocessor_config.json", "video_preprocessor_config.json")

START = time.perf_counter()


def log(message):
    print(f"[make_w4a16 {time.perf_counter() - START:6.1f} s] {message}", flush=True)


def tensor_specs(config, group_size):
    """(name, kind, shape) of every tensor Qwen3VLForConditionalGeneration's state dict holds, the decoder linears
    replaced by their packed triple. kind: packed, scale, shape, dense, norm, bias."""
    text, vision = config["text_config"], config["vision_config"]
    hidden, inter = text["hidden_size"], text["intermediate_size"]
    head_dim = text.get("head_dim", hidden // text["num_attention_heads"])
    q_width, kv_width = text["num_attention_heads"] * head_dim, text["num_key_value_heads"] * head_dim
    specs = []

    def linear(prefix, rows, cols):
        if cols % group_size or cols % 8:
            sys.exit(f"make_w4a16: {prefix} has {cols} input features, not a multiple of group {group_size} and 8")
        specs.append((prefix + ".weight_packed", "packed", (rows, cols // 8)))
        specs.append((prefix + ".weight_scale", "scale", (rows, cols // group_size)))
        specs.append((prefix + ".weight_shape", "shape", (rows, cols)))

    lm = "model.language_model"
    specs.append((f"{lm}.embed_tokens.weight", "dense", (text["vocab_size"], hidden)))
    for layer in range(text["num_hidden_layers"]):
        p = f"{lm}.layers.{layer}"
        linear(f"{p}.self_attn.q_proj", q_width, hidden)
        linear(f"{p}.self_attn.k_proj", kv_width, hidden)
        linear(f"{p}.self_attn.v_proj", kv_width, hidden)
        linear(f"{p}.self_attn.o_proj", hidden, q_width)
        specs.append((f"{p}.self_attn.q_norm.weight", "norm", (head_dim,)))
        specs.append((f"{p}.self_attn.k_norm.weight", "norm", (head_dim,)))
        linear(f"{p}.mlp.gate_proj", inter, hidden)
        linear(f"{p}.mlp.up_proj", inter, hidden)
        linear(f"{p}.mlp.down_proj", hidden, inter)
        specs.append((f"{p}.input_layernorm.weight", "norm", (hidden,)))
        specs.append((f"{p}.post_attention_layernorm.weight", "norm", (hidden,)))
    specs.append((f"{lm}.norm.weight", "norm", (hidden,)))
    if not text.get("tie_word_embeddings", config.get("tie_word_embeddings", False)):
        specs.append(("lm_head.weight", "dense", (text["vocab_size"], hidden)))

    vh, vi = vision["hidden_size"], vision["intermediate_size"]
    merged = vh * vision["spatial_merge_size"] ** 2
    out = vision["out_hidden_size"]
    patch = (vh, vision["in_channels"], vision["temporal_patch_size"], vision["patch_size"], vision["patch_size"])
    ignore = []

    def dense(prefix, rows, cols):
        specs.append((prefix + ".weight", "dense", (rows, cols)))
        specs.append((prefix + ".bias", "bias", (rows,)))
        ignore.append(prefix)

    def layer_norm(prefix, width):
        specs.append((prefix + ".weight", "norm", (width,)))
        specs.append((prefix + ".bias", "bias", (width,)))

    v = "model.visual"
    specs.append((f"{v}.patch_embed.proj.weight", "dense", patch))
    specs.append((f"{v}.patch_embed.proj.bias", "bias", (vh,)))
    specs.append((f"{v}.pos_embed.weight", "dense", (vision["num_position_embeddings"], vh)))
    for block in range(vision["depth"]):
        p = f"{v}.blocks.{block}"
        layer_norm(f"{p}.norm1", vh)
        layer_norm(f"{p}.norm2", vh)
        dense(f"{p}.attn.qkv", 3 * vh, vh)
        dense(f"{p}.attn.proj", vh, vh)
        dense(f"{p}.mlp.linear_fc1", vi, vh)
        dense(f"{p}.mlp.linear_fc2", vh, vi)
    layer_norm(f"{v}.merger.norm", vh)
    dense(f"{v}.merger.linear_fc1", merged, merged)
    dense(f"{v}.merger.linear_fc2", out, merged)
    for idx in range(len(vision.get("deepstack_visual_indexes", []))):
        p = f"{v}.deepstack_merger_list.{idx}"
        layer_norm(f"{p}.norm", merged)
        dense(f"{p}.linear_fc1", merged, merged)
        dense(f"{p}.linear_fc2", out, merged)
    ignore.append("lm_head")
    return specs, ignore


def quantization_config(group_size, ignore):
    """What compressed-tensors 0.20 writes for a W4A16 group scheme (see the ct-w4a16-sym golden's config.json)."""
    return {
        "config_groups": {"group_0": {
            "format": "pack-quantized", "input_activations": None, "output_activations": None, "targets": ["Linear"],
            "weights": {"dynamic": False, "group_size": group_size, "num_bits": 4, "observer": "minmax",
                        "strategy": "group", "symmetric": True, "type": "int"}}},
        "format": "pack-quantized", "global_compression_ratio": None, "ignore": ignore, "kv_cache_scheme": None,
        "moe_sparsity_config": None, "quant_method": "compressed-tensors", "quantization_status": "compressed",
        "sparsity_config": {}, "transform_config": {}, "version": "0.20.0"}


def make_tensor(kind, shape, generator, device):
    numel = 1
    for size in shape:
        numel *= size
    if kind == "packed":
        return torch.randint(0, 256, (numel * 4,), dtype=torch.uint8, device=device,
                             generator=generator).view(torch.int32).view(shape)
    if kind == "shape":
        return torch.tensor(shape, dtype=torch.int64)
    if kind == "scale":
        # Codes are uniform in [-8, 7] (std ~4.6): scales near 0.0045 give weights of std ~0.02.
        values = torch.rand(shape, device=device, generator=generator, dtype=torch.float32) * 0.003 + 0.003
        return values.to(torch.bfloat16)
    values = torch.randn(shape, device=device, generator=generator, dtype=torch.float32)
    if kind == "norm":
        values = values * 0.05 + 1.0
    else:
        values = values * (0.02 if kind == "dense" else 0.01)
    return values.to(torch.bfloat16)


def nbytes(kind, shape):
    if kind == "shape":
        return 8 * len(shape)  # weight_shape holds the shape itself
    numel = 1
    for size in shape:
        numel *= size
    return numel * (4 if kind == "packed" else 2)


def shard_plan(specs, shard_bytes):
    """Name-sorted tensors cut into runs of at most shard_bytes (like save_pretrained's max_shard_size)."""
    shards, current, size = [], [], 0
    for spec in sorted(specs, key=lambda s: s[0]):
        spec_bytes = nbytes(spec[1], spec[2])
        if current and size + spec_bytes > shard_bytes:
            shards.append(current)
            current, size = [], 0
        current.append(spec)
        size += spec_bytes
    if current:
        shards.append(current)
    return shards


def write_shard(path, names, tensors):
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    for name in names:
        tensor = tensors[name]
        size = tensor.numel() * tensor.element_size()
        header[name] = {"dtype": DTYPE_NAMES[tensor.dtype], "shape": list(tensor.shape),
                        "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for name in names:
            tensor = tensors[name]
            raw = tensor.view(torch.int16) if tensor.dtype == torch.bfloat16 else tensor
            f.write(memoryview(raw.contiguous().numpy()).cast("B"))
    os.chmod(path, 0o644)
    return offset


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="config.json, or a folder holding one")
    parser.add_argument("--out", required=True, help="folder to write (replaced if it exists)")
    parser.add_argument("--group-size", type=int, default=128)
    parser.add_argument("--shard-gb", type=float, default=2.0, help="largest shard, GB")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--threads", type=int, default=8, help="shards written at once")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tokenizer-from", default=None,
                        help="folder whose tokenizer, chat template and processor files are copied in")
    parser.add_argument("--gpu-done", default=None, help="file created once the GPU is no longer needed")
    parser.add_argument("--check-hf", action="store_true",
                        help="check the tensor names and shapes against transformers' Qwen3VLForConditionalGeneration")
    args = parser.parse_args()

    config_path = Path(args.config)
    if config_path.is_dir():
        config_path = config_path / "config.json"
    config = json.loads(config_path.read_text())
    specs, ignore = tensor_specs(config, args.group_size)
    total = sum(nbytes(kind, shape) for _, kind, shape in specs)
    log(f"{len(specs)} tensors, {total / 1e9:.2f} GB, on {args.device}, into {args.out}")
    if args.check_hf:
        check_against_hf(config, specs)

    out = Path(args.out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    device = torch.device(args.device)
    generator = torch.Generator(device=device)
    generator.manual_seed(args.seed)
    tensors = {}
    done_bytes = 0
    next_report = 2e9
    with torch.no_grad():
        for name, kind, shape in specs:
            tensors[name] = make_tensor(kind, shape, generator, device).cpu()
            done_bytes += nbytes(kind, shape)
            if done_bytes >= next_report:
                log(f"drawn {done_bytes / 1e9:.1f} / {total / 1e9:.1f} GB")
                next_report += 2e9
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.empty_cache()
    log(f"all tensors drawn and in host memory ({total / 1e9:.2f} GB)")
    if args.gpu_done:
        Path(args.gpu_done).touch()

    shards = shard_plan(specs, int(args.shard_gb * 1e9))
    files = [f"model-{idx + 1:05d}-of-{len(shards):05d}.safetensors" for idx in range(len(shards))]
    written = [0]
    lock = threading.Lock()

    def write(idx):
        size = write_shard(out / files[idx], [spec[0] for spec in shards[idx]], tensors)
        with lock:
            written[0] += size
            log(f"wrote {files[idx]} ({size / 1e9:.2f} GB; {written[0] / 1e9:.1f} / {total / 1e9:.1f} GB)")

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.threads)) as pool:
        for future in [pool.submit(write, idx) for idx in range(len(shards))]:
            future.result()

    weight_map = {spec[0]: files[idx] for idx, shard in enumerate(shards) for spec in shard}
    (out / "model.safetensors.index.json").write_text(
        json.dumps({"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}, indent=2))
    config["quantization_config"] = quantization_config(args.group_size, ignore)
    (out / "config.json").write_text(json.dumps(config, indent=2))
    if args.tokenizer_from:
        for file in TOKENIZER_FILES:
            source = Path(args.tokenizer_from) / file
            if source.exists():
                shutil.copyfile(source, out / file)
    verify(out, files, weight_map)
    log(f"done: {len(files)} shards, {total / 1e9:.2f} GB in {out}")


def verify(out, files, weight_map):
    """Every shard's header through the safetensors library, every tensor named once."""
    from safetensors import safe_open
    seen = set()
    for file in files:
        with safe_open(str(out / file), framework="pt") as f:
            seen.update(f.keys())
    if seen != set(weight_map):
        sys.exit(f"make_w4a16: the shards hold {len(seen)} tensors, the index {len(weight_map)}")


def check_against_hf(config, specs):
    from transformers import Qwen3VLConfig, Qwen3VLForConditionalGeneration
    with torch.device("meta"):
        model = Qwen3VLForConditionalGeneration(Qwen3VLConfig(**config))
    expected = {name: tuple(t.shape) for name, t in model.state_dict().items()}
    ours = {}
    for name, kind, shape in specs:
        if kind == "packed":
            ours[name.replace(".weight_packed", ".weight")] = (shape[0], shape[1] * 8)
        elif kind not in ("scale", "shape"):
            ours[name] = tuple(shape)
    if ours != expected:
        diff = sorted(set(ours.items()) ^ set(expected.items()))[:10]
        sys.exit(f"make_w4a16: tensor names or shapes differ from transformers': {diff}")
    log(f"names and shapes agree with transformers {__import__('transformers').__version__} ({len(expected)} tensors)")


if __name__ == "__main__":
    main()
