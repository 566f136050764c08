#!/usr/bin/env python3
"""Makes the quantized tiny checkpoints of tests/golden/quant and their reference outputs, with the real libraries.

Every checkpoint starts from a tiny bf16 checkpoint of tests/golden/model/data/checkpoints (made by
make_tiny_checkpoints.py) and is written by the producer library's own code:
  ct-*        llm-compressor (oneshot with QuantizationModifier / AWQModifier / GPTQModifier) and compressed-tensors,
              saved with save_compressed=True; the vision tower and lm_head ignored as the published Qwen3-VL recipes do.
  awq-gemm    AutoAWQ: its quantizer's pseudo_quantize_tensor (round to nearest, zero point, group 32) and
              WQLinear_GEMM.from_linear packing; config written as AutoAWQ writes it. (AutoAWQ's own calibration
              loop needs its model classes and the Hub, so round-to-nearest stands in for the search: the file
              format is the same.)
  gptq-*      GPTQModel: its Quantizer (find_params) for scales and zeros, TorchLinear.pack_original, and its v2->v1
              conversion of the zero points for the v1 files; act-order as a random permutation of input columns
              (desc_act), so g_idx is arbitrary as GPTQ's act-order makes it.
  fp8-block   transformers' own FP8 quantizer op (Fp8Quantize, what FineGrainedFP8Config runs) with
              weight_block_size [32, 32] (HF's op only quantizes tiles that divide the matrix; the tiny models are
              64-128 wide).

Reference, per checkpoint: HF transformers loading the written folder on CPU (compressed-tensors decompresses,
FP8 dequantizes to bf16, AWQ and GPTQ load through GPTQModel's torch kernels), then
  - each quantized Linear's dequantised weight, in the dtype the library produces it in: SHA-256 of its bytes,
    its shape, dtype, the first values and the fp64 sum; the full values of one small layer (base64);
  - the model with every quantized Linear replaced by a dense one holding that dequantised weight, run in float32
    (what fovea's kernels compute: dequantise, then fp32 products): last-position logits and 8 greedy tokens for
    the prompts of the base checkpoint's cases (same case format as tests/golden/model/data/cases).

Writes tests/golden/quant/data/{checkpoints/<name>/, cases/<name>.json}.
Run: python3 tools/golden/make_quant_goldens.py [--only NAME]   (CPU; a few minutes)
Needs (as used for the committed files; each case file records the versions):
  pip install autoawq==0.2.9 compressed-tensors==0.20.0 gptqmodel==7.7.0 optimum==2.3.0 datasets
  pip install --no-deps llmcompressor==0.14.0.1   # it pins torch<=2.14 / transformers<=5.17; 0.14 runs on 5.24
"""
import argparse
import base64
import copy
import hashlib
import importlib.metadata
import json
import pathlib
import shutil
import types

import torch
from safetensors.torch import load_file, save_file

ROOT = pathlib.Path(__file__).resolve().parents[2]
BASE = ROOT / "tests" / "golden" / "model" / "data"
OUT = ROOT / "tests" / "golden" / "quant" / "data"
NUM_GREEDY_STEPS = 8
GROUP = 32
VISION_IGNORE = ["lm_head", "re:model.visual.*"]


def versions(*packages):
    out = {}
    for name in ("torch", "transformers", *packages):
        out[name] = importlib.metadata.version(name).split("+")[0]
    return out


def load_base(name):
    from transformers import AutoModelForCausalLM, Qwen3VLForConditionalGeneration

    folder = BASE / "checkpoints" / name
    cls = Qwen3VLForConditionalGeneration if "vl" in name else AutoModelForCausalLM
    return cls.from_pretrained(folder, dtype=torch.bfloat16).eval()


def quantized_linear_names(state_dict_keys):
    names = set()
    for key in state_dict_keys:
        for suffix in (".weight_packed", ".qweight", ".weight_scale_inv"):
            if key.endswith(suffix):
                names.add(key[: -len(suffix)])
        if key.endswith(".weight_scale") and not key.endswith("_inv"):
            names.add(key[: -len(".weight_scale")])
    return sorted(names)


def finish_folder(folder, base_name):
    """Keeps only what the goldens need: config, generation config, weights (the tokenizer is the base one)."""
    for path in folder.iterdir():
        if path.name not in ("config.json", "generation_config.json", "model.safetensors"):
            path.unlink() if path.is_file() else shutil.rmtree(path)
    gen = BASE / "checkpoints" / base_name / "generation_config.json"
    if not (folder / "generation_config.json").exists():
        shutil.copy(gen, folder / "generation_config.json")


# ------------------------------------------------------------------------------------------------ producers

def llmcompressor_checkpoint(base_name, folder, recipe_fn, calibrate):
    from llmcompressor import oneshot
    from llmcompressor.pipelines.cache import IntermediatesCache

    # llm-compressor 0.14's AWQ pins calibration activations in page-locked memory, which needs a CUDA driver; the
    # pinning only speeds up host-to-GPU copies, so on this CPU-only machine it is skipped.
    IntermediatesCache.pin_memory = lambda self, *args, **kwargs: None
    model = load_base(base_name)
    kwargs = {}
    if calibrate:
        from datasets import Dataset

        gen = torch.Generator().manual_seed(5)
        ids = torch.randint(0, model.config.get_text_config().vocab_size - 64, (16, 32), generator=gen)
        kwargs = dict(dataset=Dataset.from_dict({"input_ids": ids.tolist(), "attention_mask": [[1] * 32] * 16}),
                      num_calibration_samples=16, max_seq_length=32)
    oneshot(model=model, recipe=recipe_fn(), **kwargs)
    model.save_pretrained(folder, save_compressed=True)
    finish_folder(folder, base_name)
    return versions("llmcompressor", "compressed-tensors")


def scheme(num_bits, symmetric, strategy, group_size=None, actorder=None, type_="int", block=None, dynamic_input=False):
    from compressed_tensors.quantization import QuantizationArgs, QuantizationScheme

    weights = QuantizationArgs(num_bits=num_bits, type=type_, symmetric=symmetric, strategy=strategy,
                               group_size=group_size, actorder=actorder, block_structure=block)
    inputs = None
    if dynamic_input:
        inputs = QuantizationArgs(num_bits=8, type="float", symmetric=True, strategy="token", dynamic=True)
    return {"group_0": QuantizationScheme(targets=["Linear"], weights=weights, input_activations=inputs)}


def ct_quantization_modifier(config_groups, ignore):
    from llmcompressor.modifiers.quantization import QuantizationModifier

    return lambda: QuantizationModifier(config_groups=config_groups, ignore=ignore)


def ct_awq_modifier(ignore):
    from llmcompressor.modifiers.awq import AWQModifier

    return lambda: AWQModifier(config_groups=scheme(4, False, "group", GROUP), ignore=ignore)


def ct_gptq_modifier(ignore):
    from llmcompressor.modifiers.quantization import GPTQModifier

    # compressed-tensors 0.20 no longer writes actorder "group" (weight_g_idx); "weight" reorders only while
    # quantizing, so the file has contiguous groups. Act-order g_idx is covered by the GPTQModel checkpoint.
    return lambda: GPTQModifier(config_groups=scheme(4, True, "group", GROUP, actorder="weight"), ignore=ignore)


def decoder_linears(model):
    return [(name, module) for name, module in model.named_modules()
            if isinstance(module, torch.nn.Linear) and ".layers." in name and "visual" not in name]


def write_folder(model, folder, tensors, quantization_config):
    folder.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in tensors.items()}, folder / "model.safetensors", metadata={"format": "pt"})
    config = model.config.to_dict()
    config["quantization_config"] = quantization_config
    (folder / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")


def base_tensors(base_name, skip_modules):
    tensors = load_file(BASE / "checkpoints" / base_name / "model.safetensors")
    return {k: v for k, v in tensors.items() if k.rsplit(".", 1)[0] not in skip_modules}


def awq_checkpoint(base_name, folder):
    from awq.modules.linear.gemm import WQLinear_GEMM
    from awq.quantize.quantizer import AwqQuantizer

    model = load_base(base_name)
    linears = decoder_linears(model)
    tensors = base_tensors(base_name, {name for name, _ in linears})
    quantizer = types.SimpleNamespace(w_bit=4, group_size=GROUP, zero_point=True)
    for name, linear in linears:
        linear = copy.deepcopy(linear).to(torch.float16)
        w_dq, scales, zeros = AwqQuantizer.pseudo_quantize_tensor(quantizer, linear.weight.data)
        linear.weight.data = w_dq
        # As AwqQuantizer._apply_quant hands them over: [groups, out].
        packed = WQLinear_GEMM.from_linear(linear, 4, GROUP, scales=scales.t().contiguous(),
                                           zeros=zeros.t().contiguous())
        for key in ("qweight", "qzeros", "scales"):
            tensors[f"{name}.{key}"] = getattr(packed, key)
    write_folder(model, folder, tensors, {"quant_method": "awq", "bits": 4, "group_size": GROUP, "zero_point": True,
                                          "version": "gemm", "modules_to_not_convert": None})
    finish_folder(folder, base_name)
    return versions("autoawq")


def gptq_checkpoint(base_name, folder, bits, sym, desc_act):
    from gptqmodel.nn_modules.qlinear.torch import TorchLinear
    from gptqmodel.quantization.config import QuantizeConfig
    from gptqmodel.quantization.quantizer import Quantizer
    from gptqmodel.utils.model import convert_gptq_v2_to_v1_format_module

    model = load_base(base_name)
    linears = decoder_linears(model)
    tensors = base_tensors(base_name, {name for name, _ in linears})
    gen = torch.Generator().manual_seed(17)
    qcfg = QuantizeConfig(bits=bits, group_size=GROUP, sym=sym, desc_act=desc_act)
    for name, linear in linears:
        weight = linear.weight.data.float()
        num_out, num_in = weight.shape
        perm = torch.randperm(num_in, generator=gen) if desc_act else torch.arange(num_in)
        quantizer = Quantizer(qcfg)
        quantizer.configure(perchannel=True)
        scales, zeros = [], []
        for start in range(0, num_in, GROUP):
            columns = perm[start:start + GROUP]
            quantizer.find_params(weight[:, columns], weight=True)
            scales.append(quantizer.scale.reshape(-1).clone())
            zeros.append(quantizer.zero.reshape(-1).clone())
        scales = torch.stack(scales, dim=1)  # [N, groups]
        zeros = torch.stack(zeros, dim=1)
        g_idx = torch.empty(num_in, dtype=torch.int32)
        g_idx[perm] = torch.arange(num_in, dtype=torch.int32) // GROUP
        module = TorchLinear(bits=bits, group_size=GROUP, sym=sym, desc_act=desc_act, in_features=num_in,
                             out_features=num_out, bias=False, pack_dtype=torch.int32)
        fp16_linear = torch.nn.Linear(num_in, num_out, bias=False)
        fp16_linear.weight.data = weight.clone()
        module.pack_original(fp16_linear, scales.to(torch.float16), zeros.to(torch.int32), g_idx=g_idx)
        convert_gptq_v2_to_v1_format_module(module, qcfg)
        for key in ("qweight", "qzeros", "scales", "g_idx"):
            tensors[f"{name}.{key}"] = getattr(module, key)
    write_folder(model, folder, tensors, {"quant_method": "gptq", "bits": bits, "group_size": GROUP, "sym": sym,
                                          "desc_act": desc_act, "checkpoint_format": "gptq", "true_sequential": True,
                                          "static_groups": False, "damp_percent": 0.01})
    finish_folder(folder, base_name)
    return versions("gptqmodel")


def fp8_block_checkpoint(base_name, folder):
    from transformers import FineGrainedFP8Config
    from transformers.integrations.finegrained_fp8 import Fp8Quantize

    model = load_base(base_name)
    linears = decoder_linears(model)
    tensors = base_tensors(base_name, {name for name, _ in linears})
    config = FineGrainedFP8Config(weight_block_size=[32, 32])
    op = Fp8Quantize(types.SimpleNamespace(quantization_config=config))
    for name, linear in linears:
        tensors.update(op._quantize_one(f"{name}.weight", linear.weight.data))
    quant = {"quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic", "weight_block_size": [32, 32],
             "modules_to_not_convert": ["lm_head"]}
    write_folder(model, folder, tensors, quant)
    finish_folder(folder, base_name)
    return versions()


CHECKPOINTS = {
    "ct-w4a16-sym": ("qwen3-vl-tiny", lambda f: llmcompressor_checkpoint(
        "qwen3-vl-tiny", f, ct_quantization_modifier(scheme(4, True, "group", GROUP), VISION_IGNORE), False)),
    "ct-w4a16-asym-awq": ("qwen3-tiny", lambda f: llmcompressor_checkpoint(
        "qwen3-tiny", f, ct_awq_modifier(["lm_head"]), True)),
    "ct-w4a16-gptq": ("qwen3-tiny", lambda f: llmcompressor_checkpoint(
        "qwen3-tiny", f, ct_gptq_modifier(["lm_head"]), True)),
    "ct-w8a16": ("qwen3-tiny", lambda f: llmcompressor_checkpoint(
        "qwen3-tiny", f, ct_quantization_modifier(scheme(8, True, "channel"), ["lm_head"]), False)),
    "ct-fp8-dynamic": ("qwen3-tiny", lambda f: llmcompressor_checkpoint(
        "qwen3-tiny", f, ct_quantization_modifier(scheme(8, True, "channel", type_="float", dynamic_input=True),
                                                  ["lm_head"]), False)),
    "ct-fp8-block": ("qwen3-tiny", lambda f: llmcompressor_checkpoint(
        "qwen3-tiny", f, ct_quantization_modifier(scheme(8, True, "block", type_="float", block=[128, 128]),
                                                  ["lm_head"]), False)),
    "awq-gemm": ("qwen3-tiny", lambda f: awq_checkpoint("qwen3-tiny", f)),
    "gptq-int4-desc-act": ("qwen3-tiny", lambda f: gptq_checkpoint("qwen3-tiny", f, 4, True, True)),
    "gptq-int8-asym": ("qwen3-tiny", lambda f: gptq_checkpoint("qwen3-tiny", f, 8, False, False)),
    "fp8-block": ("qwen3-tiny", lambda f: fp8_block_checkpoint("qwen3-tiny", f)),
}


# ------------------------------------------------------------------------------------------------ reference

def hf_load(folder, base_name):
    """transformers loading the quantized folder on CPU; returns the model and {module: dequantised weight}."""
    from transformers import AutoModelForCausalLM, Qwen3VLForConditionalGeneration

    config = json.loads((folder / "config.json").read_text())
    method = config["quantization_config"]["quant_method"]
    cls = Qwen3VLForConditionalGeneration if "vl" in base_name else AutoModelForCausalLM
    kwargs = {}
    if method == "compressed-tensors":
        from transformers import CompressedTensorsConfig

        kwargs["quantization_config"] = CompressedTensorsConfig(dequantize=True)
    model = cls.from_pretrained(folder, dtype=torch.bfloat16, device_map="cpu",
                                **kwargs).eval()
    names = quantized_linear_names(load_file(folder / "model.safetensors").keys())
    dequantised = {}
    for name in names:
        module = model.get_submodule(name)
        if hasattr(module, "dequantize_weight"):
            dequantised[name] = module.dequantize_weight().T.contiguous()  # GPTQModel: [in, out]
        else:
            dequantised[name] = module.weight.data.clone()
    return model, dequantised


def densified_float_model(model, dequantised):
    for name, weight in dequantised.items():
        parent_name, child = name.rsplit(".", 1)
        parent = model.get_submodule(parent_name)
        old = getattr(parent, child)
        dense = torch.nn.Linear(weight.shape[1], weight.shape[0], bias=getattr(old, "bias", None) is not None)
        dense.weight.data = weight.float()
        if dense.bias is not None:
            dense.bias.data = old.bias.data.float()
        setattr(parent, child, dense)
    return torch.nn.Module.float(model)  # transformers refuses .float() on a model it loaded quantized


def layer_record(weight):
    raw = weight.contiguous().view(torch.uint8).numpy().tobytes() if weight.dtype != torch.float32 else \
        weight.contiguous().numpy().tobytes()
    return {"dtype": str(weight.dtype).replace("torch.", ""), "shape": list(weight.shape),
            "sha256": hashlib.sha256(raw).hexdigest(), "first_values": [float(v) for v in weight.flatten()[:8]],
            "sum": float(weight.double().sum())}


def base_case_inputs(base_name):
    cases = json.loads((BASE / "cases" / base_name / "cases.json").read_text())["cases"]
    wanted = ("text_only", "one_image") if "vl" in base_name else ("text_only", "multi_turn")
    return [case for case in cases if case["name"] in wanted]


def model_inputs(base_name, case):
    if not case["images"]:
        return {"input_ids": torch.tensor([case["prompt_ids"]])}
    from PIL import Image
    from transformers import Qwen3VLProcessor

    processor = Qwen3VLProcessor.from_pretrained(BASE / "checkpoints" / base_name)
    images = [Image.open(BASE / "cases" / base_name / image["resized"]) for image in case["images"]]
    inputs = processor(text=[case["rendered_prompt"]], images=images, return_tensors="pt")
    if inputs["input_ids"][0].tolist() != case["prompt_ids"]:
        raise SystemExit(f"{base_name}/{case['name']}: the processor's ids differ from the base case")
    return {k: v for k, v in inputs.items() if k in ("input_ids", "attention_mask", "pixel_values", "image_grid_thw",
                                                      "mm_token_type_ids")}


def f32(value):
    """The shortest text that reads back as the same float32 (keeps the case files small)."""
    return float(f"{float(value):.9g}")


def run_cases(model, base_name):
    results = []
    for case in base_case_inputs(base_name):
        inputs = model_inputs(base_name, case)
        inputs = {k: (v.float() if k == "pixel_values" else v) for k, v in inputs.items()}
        with torch.no_grad():
            logits = model(**inputs).logits[0, -1].float()
            out = model.generate(**inputs, max_new_tokens=NUM_GREEDY_STEPS, do_sample=False, output_logits=True,
                                 return_dict_in_generate=True, eos_token_id=None, pad_token_id=0)
        prompt_len = inputs["input_ids"].shape[1]
        margins = []
        for step_logits in out.logits:
            top = torch.topk(torch.log_softmax(step_logits[0].float(), dim=-1), 2).values
            margins.append(f32(top[0] - top[1]))
        results.append({"name": case["name"], "prompt_ids": case["prompt_ids"], "images": case["images"],
                        "last_logits_f32": [f32(v) for v in logits],
                        "greedy_f32": out.sequences[0, prompt_len:].tolist(), "greedy_f32_margins": margins})
    return results


def make(name):
    base_name, producer = CHECKPOINTS[name]
    folder = OUT / "checkpoints" / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    producer_versions = producer(folder)
    model, dequantised = hf_load(folder, base_name)
    layers = {module: layer_record(weight) for module, weight in dequantised.items()}
    sample = sorted(dequantised)[0]
    sample_weight = dequantised[sample].contiguous()
    sample_bytes = sample_weight.view(torch.uint8).numpy().tobytes() if sample_weight.dtype != torch.float32 else \
        sample_weight.numpy().tobytes()
    model = densified_float_model(model, dequantised)
    record = {
        "checkpoint": name,
        "base_checkpoint": base_name,
        "producer": producer_versions,
        "reference": versions("compressed-tensors", "gptqmodel", "optimum"),
        "quantization_config": json.loads((folder / "config.json").read_text())["quantization_config"],
        "layers": layers,
        "sample_layer": {"module": sample, "dtype": layers[sample]["dtype"], "shape": layers[sample]["shape"],
                         "values_base64": base64.b64encode(sample_bytes).decode()},
        "cases": run_cases(model, base_name),
    }
    (OUT / "cases").mkdir(parents=True, exist_ok=True)
    (OUT / "cases" / f"{name}.json").write_text(json.dumps(record) + "\n")
    print(f"{name}: {len(layers)} quantized linears, greedy {record['cases'][0]['greedy_f32']}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=sorted(CHECKPOINTS))
    args = parser.parse_args()
    torch.manual_seed(0)
    for name in args.only or sorted(CHECKPOINTS):
        make(name)


if __name__ == "__main__":
    main()
