#!/usr/bin/env python3
"""Makes the memory planner's fixtures: config.json files of published checkpoints and the bytes of their tensors.

Writes tests/data/plan/:
  qwen3-vl-32b-instruct/       Qwen/Qwen3-VL-32B-Instruct: bf16 (spec §3.1), preprocessor_config.json (§4.1)
  qwen3-vl-32b-instruct-fp8/   Qwen/Qwen3-VL-32B-Instruct-FP8: fp8 e4m3, block 128x128, dynamic activations (§6.4)
  qwen3-vl-32b-thinking-w4a16/ a Qwen3-VL-32B-Thinking W4A16 asymmetric group-128 compressed-tensors checkpoint as
                               llm-compressor's AWQ recipe writes it, vision tower and lm_head ignored (§6.1, §6.5)
  qwen3-32b-awq/               Qwen/Qwen3-32B-AWQ: AutoAWQ GEMM, 4 bits, group 128, zero point (§6.2)
  qwen3-vl-8b-instruct/        Qwen/Qwen3-VL-8B-Instruct: bf16 (spec §3.1), preprocessor_config.json (§4.1); the
                               model of profiles/small-vl.yaml
  weight_bytes.json            per checkpoint and component: the bytes and count of every tensor the checkpoint holds
and the seed_* files of tests/fuzz/plan/corpus/ (named regression inputs there are kept).

The tensor lists come from the real libraries, never from fovea's rules: transformers instantiates each model on
the meta device from the config written here (names, shapes, dtypes of the unquantized tensors); transformers'
own FP8Linear replacement (integrations/finegrained_fp8.py) gives the FP8 tensors; compressed-tensors (0.20)
initializes and compresses one real Linear of each distinct shape with its own compressor (weight_packed,
weight_scale, weight_zero_point, weight_shape); AutoAWQ's WQLinear_GEMM (0.2.9, built on the meta device) gives
qweight / qzeros / scales. Only the byte sums are committed, not the lists.

Needs: pip install compressed-tensors==0.20.0 loguru psutil; pip install --no-deps autoawq==0.2.9 accelerate
Run: python3 tools/golden/make_plan_fixtures.py   (about a minute, CPU only)
"""
import importlib.util
import json
import pathlib
import shutil
import sys
import types

import compressed_tensors
import torch
import transformers
from compressed_tensors.compressors import compress_module
from compressed_tensors.config import CompressionFormat
from compressed_tensors.quantization import (
    QuantizationArgs,
    QuantizationConfig,
    QuantizationScheme,
    QuantizationStatus,
    apply_quantization_config,
)
from compressed_tensors.quantization.lifecycle.initialize import initialize_module_for_quantization
from transformers import (
    FineGrainedFP8Config,
    Qwen2VLImageProcessor,
    Qwen3Config,
    Qwen3ForCausalLM,
    Qwen3VLConfig,
    Qwen3VLForConditionalGeneration,
)
from transformers.integrations.finegrained_fp8 import replace_with_fp8_linear

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "data" / "plan"
COMPONENTS = ["vision_tower", "embeddings", "decoder_layers", "final_norm", "lm_head", "other"]
TOKEN_IDS = dict(bos_token_id=151643, eos_token_id=151645)


def import_awq_gemm():
    """AutoAWQ's package __init__ pulls in its calibration stack (datasets); the Linear module needs none of it."""
    spec = importlib.util.find_spec("awq")
    package = types.ModuleType("awq")
    package.__path__ = list(spec.submodule_search_locations)
    sys.modules["awq"] = package
    from awq.modules.linear.gemm import WQLinear_GEMM

    return WQLinear_GEMM


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


def write_json(path, value):
    path.write_text(json.dumps(value, indent=2, sort_keys=True) + "\n")


def vl_32b_config():
    """Qwen3-VL-32B's published shapes (spec §3, §3.1)."""
    text = dict(vocab_size=151936, hidden_size=5120, intermediate_size=25600, num_hidden_layers=64,
                num_attention_heads=64, num_key_value_heads=8, head_dim=128, hidden_act="silu", rms_norm_eps=1e-6,
                attention_bias=False, max_position_embeddings=262144, **TOKEN_IDS,
                rope_parameters=dict(rope_type="default", rope_theta=5000000.0, mrope_section=[24, 20, 20],
                                     mrope_interleaved=True))
    vision = dict(depth=27, hidden_size=1152, intermediate_size=4304, num_heads=16, patch_size=16,
                  temporal_patch_size=2, spatial_merge_size=2, in_channels=3, num_position_embeddings=2304,
                  deepstack_visual_indexes=[8, 16, 24], out_hidden_size=5120)
    return Qwen3VLConfig(text_config=text, vision_config=vision, tie_word_embeddings=False, dtype="bfloat16",
                         architectures=["Qwen3VLForConditionalGeneration"])


def vl_8b_config():
    """Qwen3-VL-8B's published shapes (spec §3, §3.1): 36 layers, hidden 4096, 32 heads, intermediate 12288, untied."""
    text = dict(vocab_size=151936, hidden_size=4096, intermediate_size=12288, num_hidden_layers=36,
                num_attention_heads=32, num_key_value_heads=8, head_dim=128, hidden_act="silu", rms_norm_eps=1e-6,
                attention_bias=False, max_position_embeddings=262144, **TOKEN_IDS,
                rope_parameters=dict(rope_type="default", rope_theta=5000000.0, mrope_section=[24, 20, 20],
                                     mrope_interleaved=True))
    vision = dict(depth=27, hidden_size=1152, intermediate_size=4304, num_heads=16, patch_size=16,
                  temporal_patch_size=2, spatial_merge_size=2, in_channels=3, num_position_embeddings=2304,
                  deepstack_visual_indexes=[8, 16, 24], out_hidden_size=4096)
    return Qwen3VLConfig(text_config=text, vision_config=vision, tie_word_embeddings=False, dtype="bfloat16",
                         architectures=["Qwen3VLForConditionalGeneration"])


def qwen3_32b_awq_config():
    """Qwen/Qwen3-32B-AWQ's shapes (64 layers, hidden 5120, 64 heads, 8 KV heads, intermediate 25600, untied)."""
    return Qwen3Config(vocab_size=151936, hidden_size=5120, intermediate_size=25600, num_hidden_layers=64,
                       num_attention_heads=64, num_key_value_heads=8, head_dim=128, hidden_act="silu",
                       rms_norm_eps=1e-6, attention_bias=False, max_position_embeddings=40960,
                       tie_word_embeddings=False, dtype="float16", architectures=["Qwen3ForCausalLM"], **TOKEN_IDS,
                       rope_parameters=dict(rope_type="default", rope_theta=1000000.0))


def legacy_dict(config, rope_owner):
    """The transformers-4.57 layout the published files have: rope_theta + rope_scaling, torch_dtype."""
    config_dict = json.loads(config.to_json_string(use_diff=True))
    owner = config_dict[rope_owner] if rope_owner else config_dict
    rope = dict(owner.pop("rope_parameters"))
    owner["rope_theta"] = rope.pop("rope_theta")
    owner["rope_scaling"] = rope if rope.get("rope_type") != "default" or "mrope_section" in rope else None
    config_dict["torch_dtype"] = config_dict.pop("dtype")
    if rope_owner == "text_config":
        config_dict["vision_config"].pop("rope_parameters", None)
        config_dict["text_config"]["tie_word_embeddings"] = config_dict.get("tie_word_embeddings", False)
    return config_dict


def torch_dtype(config):
    return config.dtype if isinstance(config.dtype, torch.dtype) else getattr(torch, config.dtype)


def meta_model(model_class, config):
    with torch.device("meta"):
        return model_class(config).to(torch_dtype(config))


def linear_names(model, prefix_filter):
    return [name for name, module in model.named_modules()
            if isinstance(module, torch.nn.Linear) and prefix_filter(name)]


VL_EXAMPLES = ["model.language_model.layers.0.self_attn.q_proj", "model.language_model.layers.0.self_attn.k_proj",
               "model.language_model.layers.0.self_attn.o_proj", "model.language_model.layers.0.mlp.down_proj",
               "model.visual.blocks.0.attn.qkv", "lm_head"]


def linear_shapes(model):
    return {name: (module.out_features, module.in_features) for name, module in model.named_modules()
            if isinstance(module, torch.nn.Linear)}


def write_preprocessor(folder):
    # The Qwen3-VL checkpoints' preprocessor_config.json values (spec §4.1).
    Qwen2VLImageProcessor(patch_size=16, temporal_patch_size=2, merge_size=2, image_mean=[0.5, 0.5, 0.5],
                          image_std=[0.5, 0.5, 0.5],
                          size={"shortest_edge": 65536, "longest_edge": 16777216}).to_json_file(
                              folder / "preprocessor_config.json")


# ---- tensor lists ------------------------------------------------------------------------------------------------


def tensor_entry(tensor):
    return {"shape": list(tensor.shape), "dtype": str(tensor.dtype).replace("torch.", ""),
            "bytes": tensor.numel() * tensor.element_size()}


def plain_tensors(model):
    return {name: tensor_entry(tensor) for name, tensor in model.state_dict().items()}


def fp8_tensors(config_dict):
    config = vl_32b_config()
    model = meta_model(Qwen3VLForConditionalGeneration, config)
    quant = config_dict["quantization_config"]
    fp8_config = FineGrainedFP8Config(activation_scheme=quant["activation_scheme"],
                                      weight_block_size=tuple(quant["weight_block_size"]),
                                      modules_to_not_convert=quant["modules_to_not_convert"])
    replace_with_fp8_linear(model, modules_to_not_convert=fp8_config.modules_to_not_convert,
                            quantization_config=fp8_config, pre_quantized=True)
    tensors = {}
    for name, tensor in model.state_dict().items():
        entry = tensor_entry(tensor)
        # FP8Linear makes a new module whose (absent here) bias would be float32; the only float tensors it adds
        # are the f32 scales, so every other floating tensor keeps the checkpoint's dtype.
        tensors[name] = entry
    converted = [name for name, module in model.named_modules() if type(module).__name__ == "FP8Linear"]
    return tensors, converted


def compressed_tensors_list(config_dict):
    config = vl_32b_config()
    model = meta_model(Qwen3VLForConditionalGeneration, config)
    quant = QuantizationConfig.model_validate(config_dict["quantization_config"])
    quant.quantization_status = QuantizationStatus.FROZEN  # initialize qparams, do not expect compressed params
    apply_quantization_config(model, quant, show_progress=False)
    quantized = {name: module for name, module in model.named_modules() if hasattr(module, "quantization_scheme")}
    by_shape = {}
    tensors = {}
    for name, tensor in model.state_dict().items():
        module_name, _, leaf = name.rpartition(".")
        if module_name in quantized:
            continue
        tensors[name] = tensor_entry(tensor)
    for module_name, module in quantized.items():
        key = (module.out_features, module.in_features, module.bias is not None)
        if key not in by_shape:
            by_shape[key] = compressed_linear(module.out_features, module.in_features, module.bias is not None,
                                              module.quantization_scheme, torch_dtype(config))
        for leaf, entry in by_shape[key].items():
            tensors[f"{module_name}.{leaf}"] = entry
    return tensors, sorted(quantized)


def compressed_linear(out_features, in_features, has_bias, scheme, dtype):
    """compressed-tensors' own tensors for one Linear: initialize its qparams, then compress it (pack-quantized)."""
    linear = torch.nn.Linear(in_features, out_features, bias=has_bias, dtype=dtype)
    with torch.no_grad():
        linear.weight.zero_()
    initialize_module_for_quantization(linear, scheme, force_zero_point=True)
    with torch.no_grad():
        linear.weight_scale.fill_(1.0)
        if hasattr(linear, "weight_zero_point"):
            linear.weight_zero_point.zero_()
    compress_module(linear, format=CompressionFormat.pack_quantized)
    return {leaf: tensor_entry(tensor) for leaf, tensor in linear.state_dict().items()}


def awq_tensors(config):
    wq_linear_gemm = import_awq_gemm()
    model = meta_model(Qwen3ForCausalLM, config)
    # AutoAWQ's Qwen3 model quantizes every Linear of the decoder layers (q/k/v/o, gate/up/down); lm_head stays.
    quantized = linear_names(model, lambda name: ".layers." in name)
    tensors = {}
    for name, tensor in model.state_dict().items():
        if name.rpartition(".")[0] not in quantized:
            tensors[name] = tensor_entry(tensor)
    for module_name in quantized:
        module = model.get_submodule(module_name)
        awq = wq_linear_gemm(4, 128, module.in_features, module.out_features, module.bias is not None,
                             torch.device("meta"))
        for leaf, tensor in awq.state_dict().items():
            tensors[f"{module_name}.{leaf}"] = tensor_entry(tensor)
    return tensors, quantized


def example_linears(tensors, module_names, shapes):
    """The tensors of a few Linears as the library wrote them, for tests of the per-format byte rules."""
    examples = {}
    for module_name in module_names:
        entries = {name[len(module_name) + 1:]: entry for name, entry in tensors.items()
                   if name.startswith(module_name + ".") and "." not in name[len(module_name) + 1:]}
        out_features, in_features = shapes[module_name]
        examples[module_name] = {"out_features": out_features, "in_features": in_features, "tensors": entries}
    return examples


def component_sums(tensors):
    sums = {component: {"bytes": 0, "tensors": 0} for component in COMPONENTS}
    for name, entry in tensors.items():
        sums[component_of(name)]["bytes"] += entry["bytes"]
        sums[component_of(name)]["tensors"] += 1
    total = {"bytes": sum(s["bytes"] for s in sums.values()), "tensors": len(tensors)}
    dtypes = sorted({entry["dtype"] for entry in tensors.values()})
    return {"components": sums, "total": total, "dtypes": dtypes}


# ---- checkpoints ---------------------------------------------------------------------------------------------------


def fresh(name):
    folder = OUT / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def make_bf16():
    folder = fresh("qwen3-vl-32b-instruct")
    config = vl_32b_config()
    config_dict = legacy_dict(config, "text_config")
    write_json(folder / "config.json", config_dict)
    write_preprocessor(folder)
    model = meta_model(Qwen3VLForConditionalGeneration, config)
    tensors = plain_tensors(model)
    return (folder.name, tensors, "transformers Qwen3VLForConditionalGeneration on the meta device", [],
            example_linears(tensors, VL_EXAMPLES, linear_shapes(model)))


def make_vl_8b():
    folder = fresh("qwen3-vl-8b-instruct")
    config = vl_8b_config()
    write_json(folder / "config.json", legacy_dict(config, "text_config"))
    write_preprocessor(folder)
    model = meta_model(Qwen3VLForConditionalGeneration, config)
    tensors = plain_tensors(model)
    return (folder.name, tensors, "transformers Qwen3VLForConditionalGeneration on the meta device", [],
            example_linears(tensors, VL_EXAMPLES, linear_shapes(model)))


def make_fp8():
    folder = fresh("qwen3-vl-32b-instruct-fp8")
    config = vl_32b_config()
    model = meta_model(Qwen3VLForConditionalGeneration, config)
    # Assumed: Qwen keeps lm_head and every vision Linear in bf16 and names them one by one (see README.md).
    not_converted = ["lm_head"] + linear_names(model, lambda name: name.startswith("model.visual."))
    config_dict = legacy_dict(config, "text_config")
    config_dict["quantization_config"] = {"quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic",
                                          "weight_block_size": [128, 128],
                                          "modules_to_not_convert": not_converted}
    write_json(folder / "config.json", config_dict)
    write_preprocessor(folder)
    tensors, converted = fp8_tensors(config_dict)
    return (folder.name, tensors, "transformers FP8Linear (FineGrainedFP8Config, block 128x128)", converted,
            example_linears(tensors, VL_EXAMPLES, linear_shapes(model)))


def make_w4a16():
    folder = fresh("qwen3-vl-32b-thinking-w4a16")
    config = vl_32b_config()
    model = meta_model(Qwen3VLForConditionalGeneration, config)
    # llm-compressor expands the recipe's ignore patterns ("lm_head", "re:model.visual.*") into module names.
    ignore = linear_names(model, lambda name: name.startswith("model.visual.")) + ["lm_head"]
    weights = QuantizationArgs(num_bits=4, type="int", symmetric=False, strategy="group", group_size=128,
                               observer="mse")
    quant = QuantizationConfig(config_groups={"group_0": QuantizationScheme(targets=["Linear"], weights=weights)},
                               format=CompressionFormat.pack_quantized.value, ignore=ignore,
                               quantization_status=QuantizationStatus.COMPRESSED)
    config_dict = legacy_dict(config, "text_config")
    config_dict["quantization_config"] = json.loads(quant.model_dump_json())
    write_json(folder / "config.json", config_dict)
    write_preprocessor(folder)
    tensors, quantized = compressed_tensors_list(config_dict)
    return (folder.name, tensors, f"compressed-tensors {compressed_tensors.__version__} pack-quantized", quantized,
            example_linears(tensors, VL_EXAMPLES, linear_shapes(model)))


def make_awq():
    folder = fresh("qwen3-32b-awq")
    config = qwen3_32b_awq_config()
    config_dict = legacy_dict(config, None)
    config_dict["quantization_config"] = {"bits": 4, "group_size": 128, "modules_to_not_convert": None,
                                          "quant_method": "awq", "version": "gemm", "zero_point": True}
    write_json(folder / "config.json", config_dict)
    tensors, quantized = awq_tensors(config)
    examples = [name.replace("model.language_model.", "model.") for name in VL_EXAMPLES if "visual" not in name]
    return (folder.name, tensors, "AutoAWQ 0.2.9 WQLinear_GEMM on the meta device", quantized,
            example_linears(tensors, examples, linear_shapes(meta_model(Qwen3ForCausalLM, config))))


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    result = {"generator": "tools/golden/make_plan_fixtures.py",
              "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                           "compressed_tensors": compressed_tensors.__version__},
              "checkpoints": {}}
    for make in (make_bf16, make_fp8, make_w4a16, make_awq, make_vl_8b):
        name, tensors, source, quantized, examples = make()
        summary = component_sums(tensors)
        summary["example_linears"] = examples
        summary["source"] = source
        summary["num_quantized_linears"] = len(quantized)
        result["checkpoints"][name] = summary
        print(f"{name}: {summary['total']['tensors']} tensors, {summary['total']['bytes']} bytes")
    write_json(OUT / "weight_bytes.json", result)
    write_fuzz_seeds()


def write_fuzz_seeds():
    """Seeds of tests/fuzz/plan: the configs above and one value of each flag plan parses (regressions are kept)."""
    corpus = ROOT / "tests" / "fuzz" / "plan" / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for seed in corpus.glob("seed_*"):
        seed.unlink()
    for folder in sorted(path for path in OUT.iterdir() if path.is_dir()):
        shutil.copyfile(folder / "config.json", corpus / f"seed_config_{folder.name}.json")
    (corpus / "seed_limit_mm.json").write_text('{"image": 3, "video": 0}')
    (corpus / "seed_mm_kwargs.json").write_text('{"max_pixels": 2359296, "size": {"longest_edge": 1048576}}')
    (corpus / "seed_memory_size.txt").write_text("24GiB")
    (corpus / "seed_gpu_name.txt").write_text("rtx-4090")
    # The layout of the NVIDIA driver's /proc/driver/nvidia/gpus/<pci address>/information (serial numbers zeroed).
    (corpus / "seed_proc_gpu_information.txt").write_text(
        "Model: \t\t NVIDIA GeForce RTX 4090\nIRQ:   \t\t 186\n"
        "GPU UUID: \t GPU-00000000-0000-0000-0000-000000000000\nVideo BIOS: \t 95.02.18.80.5f\n"
        "Bus Type: \t PCIe\nDMA Size: \t 47 bits\nDMA Mask: \t 0x7fffffffffff\n"
        "Bus Location: \t 0000:01:00.0\nDevice Minor: \t 0\nGPU Excluded:\t No\n")


if __name__ == "__main__":
    main()
