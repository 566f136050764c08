#!/usr/bin/env python3
"""Makes the model-folder fixtures of io/ and `fovea inspect`: HF-layout folders as transformers writes them.

Writes tests/data/:
  tokenizers/qwen3/tokenizer.json   one copy of the Qwen3 tokenizer (model folders link to it)
  models/qwen3-vl-tiny/             transformers-5 config (rope_parameters), bf16, 2 shards + index,
                                    chat_template.jinja, generation/preprocessor/video_preprocessor configs
  models/qwen3-tiny/                legacy config (rope_theta + rope_scaling, torch_dtype), fp16, one
                                    model.safetensors, chat template inside tokenizer_config.json, no
                                    generation_config.json (ids come from config.json)
  models/qwen3-vl-tiny-legacy/      legacy qwen3_vl config (4.57 layout), chat_template.json, compressed-tensors
                                    pack-quantized W4A16 decoder (spec §6.1), legacy min_pixels/max_pixels
  models/qwen3-vl-32b-instruct/     config.json only, published Qwen3-VL-32B-Instruct shapes (spec §3.1)
  models/qwen3-vl-30b-a3b-instruct/ config.json only, published Qwen3-VL-30B-A3B-Instruct shapes (spec §3.2)
  models/expected.json              per folder, what transformers makes of it: parameter counts per component
                                    (from the model instantiated on the meta device), rope, generation and
                                    processor values as transformers loads them, files and bytes written
and the seed_* files of tests/fuzz/io/corpus/ (named regression inputs there are kept).

Configs come from transformers' own classes (Qwen3Config, Qwen3VLConfig, Qwen3VLMoeConfig); the legacy forms are
converted from them and checked to load back to the same values. Weights are small random tensors with the HF
names and shapes of spec §1.4/§2.4, checked against the transformers model's own parameter names and shapes.
torch is used for bf16 arrays and the meta-device parameter count.

Run: python3 tools/golden/make_model_folders.py   (seconds, CPU only)
"""
import json
import os
import pathlib
import shutil
import struct

import numpy as np
import torch
import transformers
from safetensors.torch import save_file
from transformers import (
    GenerationConfig,
    Qwen2VLImageProcessor,
    Qwen3Config,
    Qwen3ForCausalLM,
    Qwen3VLConfig,
    Qwen3VLForConditionalGeneration,
    Qwen3VLMoeConfig,
    Qwen3VLMoeForConditionalGeneration,
    Qwen3VLVideoProcessor,
)

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "assets"
DATA = ROOT / "tests" / "data"
MODELS = DATA / "models"
TOKENIZER = DATA / "tokenizers" / "qwen3" / "tokenizer.json"
TOKEN_IDS = dict(bos_token_id=151643, eos_token_id=151645)
COMPONENTS = ["vision_tower", "embeddings", "decoder_layers", "final_norm", "lm_head", "other"]


def component_of(name):
    """The component rule of io/parameter_census.cpp (classify_tensor)."""
    if name.startswith("model.visual.") or name.startswith("visual."):
        return "vision_tower"
    if name.startswith("lm_head."):
        return "lm_head"
    if "embed_tokens." in name:
        return "embeddings"
    if ".layers." in name:
        return "decoder_layers"
    if name in ("model.norm.weight", "model.language_model.norm.weight"):
        return "final_norm"
    return "other"


# ---- configs -------------------------------------------------------------------------------------------------


def tiny_vl_config(**overrides):
    text = dict(vocab_size=2048, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                num_key_value_heads=2, head_dim=16, max_position_embeddings=4096, **TOKEN_IDS,
                rope_parameters=dict(rope_type="default", rope_theta=5000000.0, mrope_section=[4, 2, 2],
                                     mrope_interleaved=True))
    vision = dict(depth=2, hidden_size=32, intermediate_size=64, num_heads=2, out_hidden_size=64,
                  num_position_embeddings=64, deepstack_visual_indexes=[0, 1])
    text.update(overrides.pop("text", {}))
    vision.update(overrides.pop("vision", {}))
    return Qwen3VLConfig(text_config=text, vision_config=vision, dtype="bfloat16",
                         architectures=["Qwen3VLForConditionalGeneration"], **overrides)


def to_legacy(config_dict, rope_owner, scaling_when_default):
    """Rewrites a transformers-5 config dict in the transformers-4.57 layout: rope_theta + rope_scaling beside the
    other fields, torch_dtype for dtype, num_experts for num_local_experts, no vision rope_parameters,
    tie_word_embeddings also in text_config."""
    owner = config_dict[rope_owner] if rope_owner else config_dict
    rope = dict(owner.pop("rope_parameters"))
    owner["rope_theta"] = rope.pop("rope_theta")
    owner["rope_scaling"] = rope if (scaling_when_default or rope.get("rope_type") != "default") else None
    if "num_local_experts" in owner:  # transformers 5's spelling; 4.57 and the published configs say num_experts
        owner["num_experts"] = owner.pop("num_local_experts")
    if "dtype" in config_dict:
        config_dict["torch_dtype"] = config_dict.pop("dtype")
    if rope_owner == "text_config":
        config_dict["vision_config"].pop("rope_parameters", None)
        config_dict["text_config"]["tie_word_embeddings"] = config_dict.get("tie_word_embeddings", False)
    return config_dict


def write_json(path, value):
    path.write_text(json.dumps(value, indent=2, sort_keys=True) + "\n")


def write_config(folder, config, legacy_rope_owner=None, scaling_when_default=True, extra=None):
    config_dict = json.loads(config.to_json_string(use_diff=True))
    if legacy_rope_owner is not None:
        config_dict = to_legacy(config_dict, legacy_rope_owner or None, scaling_when_default)
    if extra:
        config_dict.update(extra)
    write_json(folder / "config.json", config_dict)
    # The legacy layout must load back to the same RoPE values.
    loaded = type(config).from_pretrained(folder)
    want = config.text_config.rope_parameters if hasattr(config, "text_config") else config.rope_parameters
    got = loaded.text_config.rope_parameters if hasattr(loaded, "text_config") else loaded.rope_parameters
    assert dict(want) == dict(got), (folder, want, got)
    # Everything else of the text config loads back too (the legacy renames included; the legacy layout adds
    # tie_word_embeddings to text_config on purpose).
    want_text, got_text = config.get_text_config().to_dict(), loaded.get_text_config().to_dict()
    differing = {key for key in set(want_text) | set(got_text)
                 if key != "tie_word_embeddings" and want_text.get(key) != got_text.get(key)}
    assert not differing, (folder, {key: (want_text.get(key), got_text.get(key)) for key in differing})
    return loaded


# ---- weights -------------------------------------------------------------------------------------------------


def vision_shapes(v):
    hidden, inter, out = v.hidden_size, v.intermediate_size, v.out_hidden_size
    merged = hidden * v.spatial_merge_size ** 2
    shapes = {
        "model.visual.patch_embed.proj.weight": [hidden, v.in_channels, v.temporal_patch_size, v.patch_size,
                                                 v.patch_size],
        "model.visual.patch_embed.proj.bias": [hidden],
        "model.visual.pos_embed.weight": [v.num_position_embeddings, hidden],
    }
    for i in range(v.depth):
        p = f"model.visual.blocks.{i}."
        shapes.update({p + "norm1.weight": [hidden], p + "norm1.bias": [hidden], p + "norm2.weight": [hidden],
                       p + "norm2.bias": [hidden], p + "attn.qkv.weight": [3 * hidden, hidden],
                       p + "attn.qkv.bias": [3 * hidden], p + "attn.proj.weight": [hidden, hidden],
                       p + "attn.proj.bias": [hidden], p + "mlp.linear_fc1.weight": [inter, hidden],
                       p + "mlp.linear_fc1.bias": [inter], p + "mlp.linear_fc2.weight": [hidden, inter],
                       p + "mlp.linear_fc2.bias": [hidden]})
    mergers = [("model.visual.merger.", hidden)]
    mergers += [(f"model.visual.deepstack_merger_list.{k}.", merged) for k in range(len(v.deepstack_visual_indexes))]
    for prefix, norm_width in mergers:
        shapes.update({prefix + "norm.weight": [norm_width], prefix + "norm.bias": [norm_width],
                       prefix + "linear_fc1.weight": [merged, merged], prefix + "linear_fc1.bias": [merged],
                       prefix + "linear_fc2.weight": [out, merged], prefix + "linear_fc2.bias": [out]})
    return shapes


def text_shapes(t, prefix, tie):
    hidden, hd = t.hidden_size, t.head_dim
    shapes = {prefix + "embed_tokens.weight": [t.vocab_size, hidden]}
    for i in range(t.num_hidden_layers):
        p = f"{prefix}layers.{i}."
        shapes.update({p + "input_layernorm.weight": [hidden],
                       p + "self_attn.q_proj.weight": [t.num_attention_heads * hd, hidden],
                       p + "self_attn.k_proj.weight": [t.num_key_value_heads * hd, hidden],
                       p + "self_attn.v_proj.weight": [t.num_key_value_heads * hd, hidden],
                       p + "self_attn.o_proj.weight": [hidden, t.num_attention_heads * hd],
                       p + "self_attn.q_norm.weight": [hd], p + "self_attn.k_norm.weight": [hd],
                       p + "post_attention_layernorm.weight": [hidden],
                       p + "mlp.gate_proj.weight": [t.intermediate_size, hidden],
                       p + "mlp.up_proj.weight": [t.intermediate_size, hidden],
                       p + "mlp.down_proj.weight": [hidden, t.intermediate_size]})
    shapes[prefix + "norm.weight"] = [hidden]
    if not tie:
        shapes["lm_head.weight"] = [t.vocab_size, hidden]
    return shapes


def checkpoint_shapes(config):
    if isinstance(config, Qwen3VLConfig):
        shapes = vision_shapes(config.vision_config)
        shapes.update(text_shapes(config.text_config, "model.language_model.", config.tie_word_embeddings))
        return shapes
    return text_shapes(config, "model.", config.tie_word_embeddings)


def meta_parameters(model_class, config):
    """Names and shapes of the parameters transformers instantiates (tied ones once)."""
    with torch.device("meta"):
        model = model_class(config)
    return {name: list(param.shape) for name, param in model.named_parameters()}


def random_tensors(shapes, dtype, seed):
    rng = np.random.default_rng(seed)
    return {name: torch.from_numpy(rng.standard_normal(shape).astype(np.float32) * 0.02).to(dtype)
            for name, shape in shapes.items()}


def pack_int4(values):
    """compressed-tensors pack_to_int32: nibble i of word j holds column 8j+i, stored as q + 8 (spec §6.1)."""
    rows, cols = values.shape
    unsigned = (values + 8).astype(np.uint32).reshape(rows, cols // 8, 8)
    words = np.zeros((rows, cols // 8), dtype=np.uint32)
    for i in range(8):
        words |= unsigned[:, :, i] << np.uint32(4 * i)
    return words.view(np.int32)


QUANTIZED_LINEARS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def quantize_w4a16(tensors, group_size, seed):
    """Replaces each decoder Linear weight by weight_packed / weight_scale / weight_shape (symmetric, group)."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, tensor in tensors.items():
        module = name.rsplit(".", 2)
        if name.endswith(".weight") and ".layers." in name and module[-2] in QUANTIZED_LINEARS:
            rows, cols = tensor.shape
            base = name[: -len(".weight")]
            q = rng.integers(-8, 8, size=(rows, cols)).astype(np.int32)
            out[base + ".weight_packed"] = torch.from_numpy(pack_int4(q))
            scale = rng.uniform(0.001, 0.01, size=(rows, cols // group_size)).astype(np.float32)
            out[base + ".weight_scale"] = torch.from_numpy(scale).to(torch.bfloat16)
            out[base + ".weight_shape"] = torch.tensor([rows, cols], dtype=torch.int64)
        else:
            out[name] = tensor
    return out


def write_weights(folder, tensors, num_shards, num_parameters):
    names = sorted(tensors)
    if num_shards == 1:
        save_file({name: tensors[name] for name in names}, folder / "model.safetensors", metadata={"format": "pt"})
        os.chmod(folder / "model.safetensors", 0o644)
        return ["model.safetensors"]
    # Shards split the name-sorted tensors into equal runs, like a size-capped save_pretrained.
    per_shard = (len(names) + num_shards - 1) // num_shards
    weight_map, files = {}, []
    for shard_idx in range(num_shards):
        shard_name = f"model-{shard_idx + 1:05d}-of-{num_shards:05d}.safetensors"
        shard = {name: tensors[name] for name in names[shard_idx * per_shard:(shard_idx + 1) * per_shard]}
        save_file(shard, folder / shard_name, metadata={"format": "pt"})
        os.chmod(folder / shard_name, 0o644)
        weight_map.update({name: shard_name for name in shard})
        files.append(shard_name)
    total_size = sum(t.numel() * t.element_size() for t in tensors.values())
    write_json(folder / "model.safetensors.index.json",
               {"metadata": {"total_parameters": num_parameters, "total_size": total_size}, "weight_map": weight_map})
    return files


# ---- expectations --------------------------------------------------------------------------------------------


def census(parameters, packed_names=()):
    counts = {component: 0 for component in COMPONENTS}
    for name, shape in parameters.items():
        counts[component_of(name)] += int(np.prod(shape, dtype=np.int64))
    return {"components": counts, "total": sum(counts.values())}


def rope_expectation(config):
    text = config.text_config if hasattr(config, "text_config") else config
    rope = text.rope_parameters
    return {"rope_type": rope["rope_type"], "rope_theta": rope["rope_theta"],
            "mrope_section": rope.get("mrope_section", []), "mrope_interleaved": rope.get("mrope_interleaved", False)}


def generation_expectation(folder, config):
    if (folder / "generation_config.json").exists():
        gen, source = GenerationConfig.from_pretrained(folder), "generation_config.json"
    else:
        gen, source = GenerationConfig.from_model_config(config), ""
    defaults = GenerationConfig._get_default_generation_params()
    value = lambda key: getattr(gen, key) if getattr(gen, key) is not None else defaults[key]
    eos = gen.eos_token_id
    return {"source_file": source, "eos_token_id": eos if isinstance(eos, list) else ([] if eos is None else [eos]),
            "temperature": value("temperature"), "top_p": value("top_p"), "top_k": value("top_k")}


def processor_expectation(folder):
    image = Qwen2VLImageProcessor.from_pretrained(folder)
    video = Qwen3VLVideoProcessor.from_pretrained(folder)
    return {"image_processor": {"patch_size": image.patch_size, "min_pixels": image.size["shortest_edge"],
                                "max_pixels": image.size["longest_edge"]},
            "video_processor": {"fps": video.fps, "min_pixels": video.size["shortest_edge"],
                                "max_pixels": video.size["longest_edge"]}}


def file_expectation(folder, files):
    total_bytes, num_tensors = 0, 0
    for file_name in files:
        data = (folder / file_name).read_bytes()
        header = json.loads(data[8:8 + struct.unpack("<Q", data[:8])[0]])
        for name, info in header.items():
            if name != "__metadata__":
                num_tensors += 1
                total_bytes += info["data_offsets"][1] - info["data_offsets"][0]
    return {"present": bool(files), "num_shards": len(files), "files": files, "num_tensors": num_tensors,
            "total_bytes": total_bytes}


def copy_file(source, destination):
    """Copies contents only (the shared assets are read-only; the fixtures should not be)."""
    destination = pathlib.Path(destination)
    if destination.exists():
        destination.unlink()
    shutil.copyfile(source, destination)


def link_tokenizer(folder):
    link = folder / "tokenizer.json"
    if link.is_symlink() or link.exists():
        link.unlink()
    os.symlink(os.path.relpath(TOKENIZER, folder), link)


def fresh(name):
    folder = MODELS / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


# ---- folders -------------------------------------------------------------------------------------------------


def make_vl_tiny():
    folder = fresh("qwen3-vl-tiny")
    config = write_config(folder, tiny_vl_config(tie_word_embeddings=False))
    shapes = checkpoint_shapes(config)
    hf = meta_parameters(Qwen3VLForConditionalGeneration, config)
    assert shapes == hf, set(shapes.items()) ^ set(hf.items())
    files = write_weights(folder, random_tensors(shapes, torch.bfloat16, seed=1), 2, census(hf)["total"])
    copy_file(SHARED / "chat-templates" / "qwen3-vl-style.jinja", folder / "chat_template.jinja")
    copy_file(SHARED / "qwen3-tokenizer" / "tokenizer_config.json", folder / "tokenizer_config.json")
    link_tokenizer(folder)
    GenerationConfig(bos_token_id=151643, eos_token_id=[151645, 151643], pad_token_id=151643, do_sample=True,
                     temperature=0.7, top_p=0.8, top_k=20, repetition_penalty=1.0).save_pretrained(folder)
    Qwen2VLImageProcessor(patch_size=16, image_mean=[0.5] * 3, image_std=[0.5] * 3,
                          size={"shortest_edge": 65536, "longest_edge": 16777216}).to_json_file(
        folder / "preprocessor_config.json")
    Qwen3VLVideoProcessor(size={"shortest_edge": 4096, "longest_edge": 25165824}).to_json_file(
        folder / "video_preprocessor_config.json")
    return folder, config, hf, files, {"chat_template_origin": "chat_template.jinja", "quantization": None}


def make_qwen3_tiny():
    folder = fresh("qwen3-tiny")
    config = Qwen3Config(vocab_size=2048, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, head_dim=16, max_position_embeddings=4096,
                         rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}, tie_word_embeddings=True,
                         dtype="float16", architectures=["Qwen3ForCausalLM"], **TOKEN_IDS)
    config = write_config(folder, config, legacy_rope_owner="", scaling_when_default=False)
    shapes = checkpoint_shapes(config)
    hf = meta_parameters(Qwen3ForCausalLM, config)
    assert shapes == hf, set(shapes.items()) ^ set(hf.items())
    files = write_weights(folder, random_tensors(shapes, torch.float16, seed=2), 1, census(hf)["total"])
    copy_file(SHARED / "qwen3-tokenizer" / "tokenizer_config.json", folder / "tokenizer_config.json")
    link_tokenizer(folder)
    return folder, config, hf, files, {"chat_template_origin": "tokenizer_config.json", "quantization": None}


def make_vl_tiny_legacy():
    folder = fresh("qwen3-vl-tiny-legacy")
    group_size = 32
    quantization = {
        "quant_method": "compressed-tensors", "format": "pack-quantized", "quantization_status": "compressed",
        "config_groups": {"group_0": {
            "targets": ["Linear"], "input_activations": None, "output_activations": None,
            "weights": {"num_bits": 4, "type": "int", "symmetric": True, "strategy": "group",
                        "group_size": group_size, "dynamic": False, "actorder": None, "observer": "minmax",
                        "block_structure": None}}},
        "ignore": ["lm_head", "re:model[.]visual[.].*"], "kv_cache_scheme": None, "global_compression_ratio": None,
        "sparsity_config": {}, "version": "0.12.2"}
    base = tiny_vl_config(tie_word_embeddings=True, text={"num_hidden_layers": 3},
                          vision={"depth": 3, "deepstack_visual_indexes": [1]})
    config = write_config(folder, base, legacy_rope_owner="text_config", extra={"quantization_config": quantization})
    shapes = checkpoint_shapes(base)
    hf = meta_parameters(Qwen3VLForConditionalGeneration, base)
    assert shapes == hf, set(shapes.items()) ^ set(hf.items())
    tensors = quantize_w4a16(random_tensors(shapes, torch.bfloat16, seed=3), group_size, seed=4)
    files = write_weights(folder, tensors, 1, census(hf)["total"])
    write_json(folder / "chat_template.json",
               {"chat_template": (SHARED / "chat-templates" / "qwen3-vl-style.jinja").read_text()})
    copy_file(SHARED / "qwen3-tokenizer" / "tokenizer_config.json", folder / "tokenizer_config.json")
    link_tokenizer(folder)
    # The processor layout of older checkpoints: min_pixels / max_pixels keys instead of `size`, no video file.
    image = Qwen2VLImageProcessor(patch_size=16, image_mean=[0.5] * 3, image_std=[0.5] * 3).to_dict()
    image.pop("size")
    image.update(min_pixels=3136, max_pixels=12845056)
    write_json(folder / "preprocessor_config.json", image)
    packed = sum(int(np.prod(t.shape)) * 8 for n, t in tensors.items() if n.endswith(".weight_packed"))
    return folder, config, hf, files, {"chat_template_origin": "chat_template.json",
                                       "quantization": {"method": "compressed-tensors", "bits": 4,
                                                        "group_size": group_size, "symmetric": True,
                                                        "strategy": "group", "format": "pack-quantized",
                                                        "ignore": quantization["ignore"]},
                                       "packed_parameters": packed}


def published_vl_text(**fields):
    text = dict(vocab_size=151936, head_dim=128, hidden_act="silu", rms_norm_eps=1e-6, attention_bias=False,
                max_position_embeddings=262144, **TOKEN_IDS,
                rope_parameters=dict(rope_type="default", rope_theta=5000000.0, mrope_section=[24, 20, 20],
                                     mrope_interleaved=True))
    text.update(fields)
    return text


PUBLISHED_VISION = dict(depth=27, hidden_size=1152, intermediate_size=4304, num_heads=16, patch_size=16,
                        temporal_patch_size=2, spatial_merge_size=2, in_channels=3, num_position_embeddings=2304,
                        deepstack_visual_indexes=[8, 16, 24])


def make_vl_32b():
    folder = fresh("qwen3-vl-32b-instruct")
    config = Qwen3VLConfig(
        text_config=published_vl_text(hidden_size=5120, intermediate_size=25600, num_hidden_layers=64,
                                      num_attention_heads=64, num_key_value_heads=8),
        vision_config=dict(PUBLISHED_VISION, out_hidden_size=5120), tie_word_embeddings=False, dtype="bfloat16",
        architectures=["Qwen3VLForConditionalGeneration"])
    config = write_config(folder, config, legacy_rope_owner="text_config")
    hf = meta_parameters(Qwen3VLForConditionalGeneration, config)
    return folder, config, hf, [], {"chat_template_origin": None, "quantization": None}


def make_vl_30b_a3b():
    folder = fresh("qwen3-vl-30b-a3b-instruct")
    config = Qwen3VLMoeConfig(
        text_config=published_vl_text(hidden_size=2048, intermediate_size=6144, num_hidden_layers=48,
                                      num_attention_heads=32, num_key_value_heads=4, num_experts=128,
                                      num_experts_per_tok=8, moe_intermediate_size=768, decoder_sparse_step=1,
                                      mlp_only_layers=[]),
        vision_config=dict(PUBLISHED_VISION, out_hidden_size=2048), tie_word_embeddings=False, dtype="bfloat16",
        architectures=["Qwen3VLMoeForConditionalGeneration"])
    config = write_config(folder, config, legacy_rope_owner="text_config")
    hf = meta_parameters(Qwen3VLMoeForConditionalGeneration, config)
    return folder, config, hf, [], {"chat_template_origin": None, "quantization": None}


def write_fuzz_seeds():
    """Seeds for tests/fuzz/io: small real files from the folders above (big weight files contribute headers)."""
    corpus = ROOT / "tests" / "fuzz" / "io" / "corpus"
    seeds = {"safetensors": {}, "index": {}, "config": {}}
    small = {"a": torch.zeros(2, 3, dtype=torch.bfloat16), "b": torch.arange(4, dtype=torch.int32),
             "c": torch.zeros((), dtype=torch.float32), "d": torch.zeros(0, 5, dtype=torch.float16),
             "e": torch.zeros(3, dtype=torch.float8_e4m3fn), "f": torch.zeros(2, dtype=torch.bool)}
    small_path = corpus / "small.tmp"
    small_path.parent.mkdir(parents=True, exist_ok=True)
    save_file(small, small_path, metadata={"format": "pt"})
    seeds["safetensors"]["seed_small.safetensors"] = small_path.read_bytes()
    small_path.unlink()
    for folder in ("qwen3-tiny", "qwen3-vl-tiny-legacy"):
        for path in sorted((MODELS / folder).glob("*.safetensors")):
            data = path.read_bytes()
            header_end = 8 + struct.unpack("<Q", data[:8])[0]
            seeds["safetensors"][f"seed_{folder}_header_only.safetensors"] = data[:header_end]
    seeds["index"]["seed_qwen3-vl-tiny.index.json"] = (MODELS / "qwen3-vl-tiny" / "model.safetensors.index.json").read_bytes()
    for folder in sorted(path.name for path in MODELS.iterdir() if path.is_dir()):
        for file_name in ("config.json", "generation_config.json", "preprocessor_config.json",
                          "video_preprocessor_config.json"):
            if (MODELS / folder / file_name).exists():
                seeds["config"][f"seed_{folder}_{file_name}"] = (MODELS / folder / file_name).read_bytes()
    for kind, files in seeds.items():
        folder = corpus / kind
        folder.mkdir(parents=True, exist_ok=True)
        for old_seed in folder.glob("seed_*"):
            old_seed.unlink()
        for name, data in files.items():
            (folder / name).write_bytes(data)


def main():
    TOKENIZER.parent.mkdir(parents=True, exist_ok=True)
    copy_file(SHARED / "qwen3-tokenizer" / "tokenizer.json", TOKENIZER)
    MODELS.mkdir(parents=True, exist_ok=True)
    expected = {"transformers_version": transformers.__version__, "torch_version": torch.__version__,
                "folders": {}}
    for make in (make_vl_tiny, make_qwen3_tiny, make_vl_tiny_legacy, make_vl_32b, make_vl_30b_a3b):
        folder, config, hf, files, extra = make()
        entry = {"model_type": config.model_type, "tie_word_embeddings": bool(config.tie_word_embeddings),
                 "rope": rope_expectation(config), "parameters": census(hf), "weights": file_expectation(folder, files),
                 "has_tokenizer_json": (folder / "tokenizer.json").exists()}
        entry.update(extra)
        entry.setdefault("packed_parameters", 0)
        if files:
            entry["generation_config"] = generation_expectation(folder, config)
        if isinstance(config, Qwen3VLConfig) and files:
            entry.update(processor_expectation(folder))
        expected["folders"][folder.name] = entry
        print(f"{folder.name}: {entry['parameters']['total']} parameters, {len(files)} weight files")
    write_json(MODELS / "expected.json", expected)
    write_fuzz_seeds()


if __name__ == "__main__":
    main()
