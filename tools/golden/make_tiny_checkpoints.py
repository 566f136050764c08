#!/usr/bin/env python3
"""Makes the tiny random checkpoints of the model goldens and their reference outputs, with HF transformers.

Writes tests/golden/model/data/:
  checkpoints/<name>/   HF-layout folders (config.json, model.safetensors, tokenizer, processor, chat template)
                        saved by transformers itself; a small byte-level BPE vocabulary of their own (trained here
                        with HF tokenizers, Qwen's pre-tokenizer and special tokens) keeps them a few hundred KB.
  images/               the synthetic test images (PNG, JPEG, WebP), made here with PIL.
  cases/<name>.json     per case: messages, rendered prompt, prompt ids, image grids, the processor's resized
                        uint8 images (as PNG files next to it), last-position logits in float32 and bfloat16
                        activations, and greedy tokens with their top-2 log-prob margins in float32 and bfloat16.

Run: python3 tools/golden/make_tiny_checkpoints.py [--out DIR]   (CPU is enough; a few minutes on 2 cores)
The reference is the installed transformers/tokenizers/torch (versions are recorded in each case file).
"""
import argparse
import json
import math
import pathlib
import random
import shutil

import numpy as np
import PIL
import tokenizers
import torch
import transformers
from PIL import Image, ImageDraw
from tokenizers import Regex, decoders, models, normalizers, pre_tokenizers, trainers
from transformers import (
    PreTrainedTokenizerFast,
    Qwen2VLImageProcessor,
    Qwen3Config,
    Qwen3ForCausalLM,
    Qwen3VLConfig,
    Qwen3VLForConditionalGeneration,
    Qwen3VLProcessor,
    Qwen3VLVideoProcessor,
)

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "assets"
QWEN_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
NUM_GREEDY_STEPS = 16
# Everything whose version can change the outputs: the model code, the kernels, the tokenizer, the image codecs.
REFERENCE_VERSIONS = {
    "transformers": transformers.__version__,
    "torch": torch.__version__.split("+")[0],
    "tokenizers": tokenizers.__version__,
    "pillow": PIL.__version__,
}
# Small images keep the tiny models fast: at most 64 merged tokens per image.
MIN_PIXELS = 32 * 32 * 4
MAX_PIXELS = 32 * 32 * 64


def training_corpus():
    """Deterministic English-like text plus the chat markup, so common words become single tokens."""
    rng = random.Random(7)
    words = (
        "the a an image picture photo shows what is are there how many colour color red green blue yellow black "
        "white circle square triangle star left right top bottom of in on and or not yes no describe this that "
        "hello who you I am assistant user system tool call answer question think because which more fewer "
        "shape shapes count one two three four five six seven eight nine ten small large big background with "
        "function name arguments result weather city today please thanks , . ? ! : ; ' \" ( ) [ ] { } - _ / "
        "0 1 2 3 4 5 6 7 8 9 10 100 2024 code def return print if else for while import json"
    ).split()
    lines = []
    for _ in range(4000):
        length = rng.randint(3, 14)
        sentence = " ".join(rng.choice(words) for _ in range(length))
        lines.append(sentence.capitalize() + rng.choice([".", "?", "!", "\n", "\n\n"]))
    lines.append((SHARED / "chat-templates" / "qwen3-vl-style.jinja").read_text())
    return lines


def qwen_added_tokens():
    """Qwen's added tokens (content and flags, in id order) from the real tokenizer.json."""
    real = json.loads((SHARED / "qwen3-tokenizer" / "tokenizer.json").read_text())
    return sorted(real["added_tokens"], key=lambda token: token["id"])


def build_tokenizer(vocab_size):
    tok = tokenizers.Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(QWEN_SPLIT), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False
    )
    tok.train_from_iterator(training_corpus(), trainer)
    for token in qwen_added_tokens():
        added = tokenizers.AddedToken(
            token["content"],
            single_word=token["single_word"],
            lstrip=token["lstrip"],
            rstrip=token["rstrip"],
            normalized=token["normalized"],
            special=token["special"],
        )
        tok.add_special_tokens([added]) if token["special"] else tok.add_tokens([added])
    return tok


def make_hf_tokenizer(tok, chat_template):
    hf = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        model_max_length=4096,
        clean_up_tokenization_spaces=False,
    )
    hf.chat_template = chat_template
    return hf


def init_weights(model, seed):
    """Weights far from HF's tiny default init, so logits are far from uniform and every path matters."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            # Every norm weight (q_norm and k_norm included), and the vision LayerNorms' weights and biases.
            if name.endswith("norm.weight") or ".norm1." in name or ".norm2." in name:
                param.copy_(1.0 + 0.2 * torch.randn(param.shape, generator=gen))
            elif name.endswith(".bias"):
                param.copy_(0.2 * torch.randn(param.shape, generator=gen))
            elif "embed_tokens" in name or "lm_head" in name or "pos_embed" in name:
                param.copy_(0.5 * torch.randn(param.shape, generator=gen))
            else:
                fan_in = param[0].numel() if param.dim() > 1 else param.numel()
                param.copy_(torch.randn(param.shape, generator=gen) / math.sqrt(fan_in))
    model.to(torch.bfloat16)


def text_config_args(vocab_size, layers, hidden, heads, kv_heads, head_dim, intermediate, tied):
    return dict(
        vocab_size=vocab_size,
        hidden_size=hidden,
        intermediate_size=intermediate,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=kv_heads,
        head_dim=head_dim,
        max_position_embeddings=4096,
        rms_norm_eps=1e-6,
        tie_word_embeddings=tied,
    )


def legacy_layout(folder):
    """Rewrites a saved Qwen3-VL folder in the transformers-4.57 form that published checkpoints use.

    rope_theta + rope_scaling instead of rope_parameters; preprocessor_config.json and
    video_preprocessor_config.json instead of processor_config.json; chat_template.json instead of .jinja.
    """
    processor = json.loads((folder / "processor_config.json").read_text())
    for key, file_name in (("image_processor", "preprocessor_config.json"),
                           ("video_processor", "video_preprocessor_config.json")):
        sub = {**processor[key], "processor_class": processor["processor_class"]}
        (folder / file_name).write_text(json.dumps(sub, indent=2, sort_keys=True) + "\n")
    (folder / "processor_config.json").unlink()
    template = (folder / "chat_template.jinja").read_text()
    (folder / "chat_template.json").write_text(json.dumps({"chat_template": template}, indent=2) + "\n")
    (folder / "chat_template.jinja").unlink()
    config_path = folder / "config.json"
    config = json.loads(config_path.read_text())
    text = config["text_config"]
    rope = text.pop("rope_parameters")
    text["rope_theta"] = rope.pop("rope_theta")
    text["rope_scaling"] = {"rope_type": rope.pop("rope_type"), **rope}
    config.pop("rope_parameters", None)
    config_path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")


# ---------------------------------------------------------------------------------------------------- images

def synthetic_image(width, height, seed, mode="RGB"):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    base = np.stack(
        [(xx * 255 // max(1, width - 1)), (yy * 255 // max(1, height - 1)), ((xx + yy) * 3) % 256], axis=-1
    ).astype(np.uint8)
    noise = rng.integers(0, 40, size=base.shape, dtype=np.uint8)
    image = Image.fromarray(base // 2 + noise + 40)
    draw = ImageDraw.Draw(image)
    for _ in range(4):
        x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
        size = int(rng.integers(4, max(5, min(width, height) // 2)))
        colour = tuple(int(c) for c in rng.integers(0, 256, size=3))
        draw.ellipse([x0, y0, x0 + size, y0 + size], fill=colour)
    if mode == "RGBA":
        alpha = Image.fromarray(((xx * 255) // max(1, width - 1)).astype(np.uint8))
        image.putalpha(alpha)
    elif mode == "L":
        image = image.convert("L")
    return image


IMAGES = {
    "scene.png": dict(size=(200, 120), seed=1, mode="RGB", format="PNG"),
    "portrait.jpg": dict(size=(96, 160), seed=2, mode="RGB", format="JPEG"),
    "tiny.png": dict(size=(40, 30), seed=3, mode="RGB", format="PNG"),
    "wide.png": dict(size=(600, 40), seed=4, mode="RGB", format="PNG"),
    "alpha.png": dict(size=(90, 90), seed=5, mode="RGBA", format="PNG"),
    "gray.jpg": dict(size=(128, 96), seed=6, mode="L", format="JPEG"),
    "photo.webp": dict(size=(160, 100), seed=7, mode="RGB", format="WEBP"),
}


def write_images(out_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, spec in IMAGES.items():
        image = synthetic_image(*spec["size"], spec["seed"], spec["mode"])
        options = {"quality": 90} if spec["format"] in ("JPEG", "WEBP") else {}
        image.save(out_dir / name, format=spec["format"], **options)


# ---------------------------------------------------------------------------------------------------- cases

def user(*parts):
    return {"role": "user", "content": list(parts)}


def text(value):
    return {"type": "text", "text": value}


def image(name):
    return {"type": "image", "image": name}


VL_CASES = {
    "text_only": [user(text("Hello, who are you?"))],
    "one_image": [user(image("scene.png"), text("Describe this image."))],
    "two_images": [user(image("scene.png"), image("portrait.jpg"), text("Which picture has more shapes?"))],
    "earlier_turn": [
        user(image("portrait.jpg"), text("What colour is the circle?")),
        {"role": "assistant", "content": [text("The circle is red.")]},
        user(text("And how many shapes are there?")),
    ],
    "tiny_image": [user(image("tiny.png"), text("What is this?"))],
    "wide_image": [user(image("wide.png"), text("Describe it."))],
    "alpha_image": [user(image("alpha.png"), text("What shape is on the left?"))],
    "gray_jpeg": [user(image("gray.jpg"), text("Is there a star?"))],
    "webp_image": [user(image("photo.webp"), text("Count the shapes."))],
}

TEXT_CASES = {
    "text_only": [{"role": "user", "content": "Hello, who are you?"}],
    "multi_turn": [
        {"role": "system", "content": "You answer briefly."},
        {"role": "user", "content": "How many shapes are there?"},
        {"role": "assistant", "content": "There are three shapes."},
        {"role": "user", "content": "Which colour is the square?"},
    ],
    "no_thinking": [{"role": "user", "content": "Describe a red circle."}],
}


def hf_messages(messages, image_dir):
    """Messages with image file names replaced by PIL images, as the processor takes them."""
    out = []
    for message in messages:
        content = message["content"]
        if isinstance(content, list):
            content = [
                {"type": "image", "image": Image.open(image_dir / part["image"])} if part["type"] == "image" else part
                for part in content
            ]
        out.append({**message, "content": content})
    return out


def unpatchify_to_uint8(pixel_values, grid_thw, patch_size, merge_size, temporal_patch_size):
    """Inverts the processor's normalise + patchify: the resized uint8 image (first frame) it started from."""
    t, h, w = (int(v) for v in grid_thw)
    channels = 3
    patches = pixel_values.reshape(
        t, h // merge_size, w // merge_size, merge_size, merge_size, channels, temporal_patch_size, patch_size,
        patch_size,
    )
    # (T, BH, BW, mh, mw, C, tp, py, px) -> (T, tp, C, BH, mh, py, BW, mw, px)
    frames = patches.permute(0, 6, 5, 1, 3, 7, 2, 4, 8).reshape(t * temporal_patch_size, channels, h * patch_size,
                                                                 w * patch_size)
    first = frames[0]
    pixels = torch.round(first * 127.5 + 127.5).clamp(0, 255).to(torch.uint8)
    renormalised = (pixels.float() / 255.0 - 0.5) / 0.5
    if not torch.equal(renormalised, first):
        # The fused fast path may compute (x - 127.5) / 127.5; accept that form too, bit for bit.
        if not torch.equal((pixels.float() - 127.5) / 127.5, first):
            raise SystemExit("pixel_values are not an exact normalisation of a uint8 image")
    return pixels.permute(1, 2, 0).numpy()


def json_floats(values):
    """Nine significant digits: every float32 (and bfloat16) value round-trips, and the files stay small."""
    return [float(f"{float(v):.9g}") for v in values]


def greedy(model, inputs):
    dtype = model.dtype
    kwargs = {k: (v.to(dtype) if k == "pixel_values" else v) for k, v in inputs.items()}
    with torch.no_grad():
        out = model.generate(
            **kwargs, max_new_tokens=NUM_GREEDY_STEPS, do_sample=False, output_logits=True,
            return_dict_in_generate=True, eos_token_id=None, pad_token_id=0,
        )
    prompt_len = inputs["input_ids"].shape[1]
    tokens = out.sequences[0, prompt_len:].tolist()
    margins = []
    for step_logits in out.logits:
        log_probs = torch.log_softmax(step_logits[0].float(), dim=-1)
        top = torch.topk(log_probs, 2).values
        margins.append(float(top[0] - top[1]))
    return tokens, margins


def run_case(models, processor, name, messages, image_dir, case_dir, is_vl):
    if is_vl:
        rendered = processor.apply_chat_template(hf_messages(messages, image_dir), tokenize=False,
                                                 add_generation_prompt=True)
        images = [Image.open(image_dir / part["image"]) for m in messages if isinstance(m["content"], list)
                  for part in m["content"] if part["type"] == "image"]
        inputs = processor(text=[rendered], images=images or None, return_tensors="pt")
    else:
        rendered = processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True,
                                                 enable_thinking=False)
        inputs = processor([rendered], return_tensors="pt", add_special_tokens=False)
    model_inputs = ("input_ids", "attention_mask", "pixel_values", "image_grid_thw", "mm_token_type_ids")
    inputs = {k: v for k, v in inputs.items() if k in model_inputs}
    case = {
        "name": name,
        "messages": messages,
        "rendered_prompt": rendered,
        "prompt_ids": inputs["input_ids"][0].tolist(),
        "images": [],
        "reference": REFERENCE_VERSIONS,
    }
    if "image_grid_thw" in inputs:
        ip = processor.image_processor
        offset = 0
        for idx, grid in enumerate(inputs["image_grid_thw"]):
            num_patches = int(grid.prod())
            rows = inputs["pixel_values"][offset:offset + num_patches]
            offset += num_patches
            pixels = unpatchify_to_uint8(rows, grid, ip.patch_size, ip.merge_size, ip.temporal_patch_size)
            resized_name = f"{name}.image{idx}.png"
            Image.fromarray(pixels).save(case_dir / resized_name)
            case["images"].append({"grid_thw": grid.tolist(), "resized": resized_name})

    with torch.no_grad():
        logits = models[torch.float32](**{k: v for k, v in inputs.items()}).logits[0, -1].float()
    case["last_logits_f32"] = json_floats(logits)
    bf16_inputs = {k: (v.to(torch.bfloat16) if k == "pixel_values" else v) for k, v in inputs.items()}
    with torch.no_grad():
        logits = models[torch.bfloat16](**bf16_inputs).logits[0, -1].float()
    case["last_logits_bf16"] = json_floats(logits)
    case["greedy_f32"], case["greedy_f32_margins"] = greedy(models[torch.float32], inputs)
    case["greedy_bf16"], case["greedy_bf16_margins"] = greedy(models[torch.bfloat16], inputs)
    return case


# ---------------------------------------------------------------------------------------------------- models

def make_processor(hf_tokenizer, chat_template):
    image_processor = Qwen2VLImageProcessor(
        patch_size=16, temporal_patch_size=2, merge_size=2, image_mean=[0.5] * 3, image_std=[0.5] * 3,
        size={"shortest_edge": MIN_PIXELS, "longest_edge": MAX_PIXELS},
    )
    video_processor = Qwen3VLVideoProcessor(
        patch_size=16, temporal_patch_size=2, merge_size=2, image_mean=[0.5] * 3, image_std=[0.5] * 3,
        size={"shortest_edge": MIN_PIXELS, "longest_edge": MAX_PIXELS * 4},
    )
    return Qwen3VLProcessor(image_processor=image_processor, tokenizer=hf_tokenizer, video_processor=video_processor,
                            chat_template=chat_template)


def vl_config(tok, vocab_size, tied, layers, depth, deepstack):
    ids = {t: tok.token_to_id(t) for t in ("<|image_pad|>", "<|video_pad|>", "<|vision_start|>", "<|vision_end|>")}
    text = text_config_args(vocab_size, layers, hidden=64, heads=4, kv_heads=2, head_dim=16, intermediate=96,
                            tied=tied)
    text["rope_parameters"] = {"rope_type": "default", "rope_theta": 5000000.0, "mrope_section": [2, 3, 3],
                               "mrope_interleaved": True}
    config = Qwen3VLConfig(
        text_config=text,
        vision_config=dict(depth=depth, hidden_size=32, intermediate_size=64, num_heads=2, out_hidden_size=64,
                           num_position_embeddings=64, deepstack_visual_indexes=deepstack, patch_size=16,
                           spatial_merge_size=2, temporal_patch_size=2, in_channels=3),
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        tie_word_embeddings=tied,
    )
    config.eos_token_id = tok.token_to_id("<|im_end|>")
    return config


def save_checkpoint(model, processor_or_tokenizer, folder):
    if folder.exists():
        shutil.rmtree(folder)
    model.save_pretrained(folder, safe_serialization=True)
    processor_or_tokenizer.save_pretrained(folder)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "tests" / "golden" / "model" / "data"))
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    torch.manual_seed(0)

    tok = build_tokenizer(vocab_size=1800)
    vocab_size = (tok.get_vocab_size() + 63) // 64 * 64
    image_dir = out / "images"
    write_images(image_dir)

    vl_template = (SHARED / "chat-templates" / "qwen3-vl-style.jinja").read_text()
    text_template = (SHARED / "chat-templates" / "qwen3.jinja").read_text()

    specs = [
        ("qwen3-vl-tiny", dict(tied=True, layers=3, depth=3, deepstack=[0, 2], seed=11), False),
        ("qwen3-vl-tiny-untied-legacy", dict(tied=False, layers=4, depth=4, deepstack=[1, 2, 3], seed=12), True),
    ]
    for name, spec, legacy in specs:
        config = vl_config(tok, vocab_size, **{k: v for k, v in spec.items() if k != "seed"})
        model = Qwen3VLForConditionalGeneration(config).eval()
        init_weights(model, spec["seed"])
        if config.tie_word_embeddings:
            model.tie_weights()
        processor = make_processor(make_hf_tokenizer(tok, vl_template), vl_template)
        folder = out / "checkpoints" / name
        save_checkpoint(model, processor, folder)
        if legacy:
            legacy_layout(folder)
        reloaded = load_per_dtype(Qwen3VLForConditionalGeneration, folder)
        processor = Qwen3VLProcessor.from_pretrained(folder)
        write_cases(out, name, reloaded, processor, VL_CASES, image_dir, is_vl=True)

    config = Qwen3Config(**text_config_args(vocab_size, 2, hidden=64, heads=4, kv_heads=2, head_dim=16,
                                            intermediate=128, tied=True))
    config.rope_parameters = {"rope_type": "default", "rope_theta": 1000000.0}
    config.eos_token_id = tok.token_to_id("<|im_end|>")
    model = Qwen3ForCausalLM(config).eval()
    init_weights(model, 13)
    model.tie_weights()
    folder = out / "checkpoints" / "qwen3-tiny"
    save_checkpoint(model, make_hf_tokenizer(tok, text_template), folder)
    reloaded = load_per_dtype(Qwen3ForCausalLM, folder)
    hf_tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    write_cases(out, "qwen3-tiny", reloaded, hf_tokenizer, TEXT_CASES, image_dir, is_vl=False)


def load_per_dtype(model_class, folder):
    """The saved checkpoint loaded once per activation dtype, as a user would load it.

    Never convert one model between dtypes with .to()/.float(): that also casts the non-persistent rotary inv_freq
    buffers, so a bf16 round trip leaves bf16-rounded frequencies behind (from_pretrained keeps them float32).
    """
    models = {dtype: model_class.from_pretrained(folder, dtype=dtype).eval()
              for dtype in (torch.float32, torch.bfloat16)}
    for model in models.values():
        for buffer_name, buffer in model.named_buffers():
            if buffer_name.endswith("inv_freq") and buffer.dtype != torch.float32:
                raise SystemExit(f"{buffer_name} is {buffer.dtype}; the reference needs float32 rotary frequencies")
    return models


def write_cases(out, name, models, processor, cases, image_dir, is_vl):
    case_dir = out / "cases" / name
    if case_dir.exists():
        shutil.rmtree(case_dir)
    case_dir.mkdir(parents=True)
    results = []
    for case_name, messages in cases.items():
        results.append(run_case(models, processor, case_name, messages, image_dir, case_dir, is_vl))
        print(f"{name}/{case_name}: {len(results[-1]['prompt_ids'])} prompt tokens, "
              f"greedy {results[-1]['greedy_f32'][:6]}...")
    (case_dir / "cases.json").write_text(json.dumps({"checkpoint": name, "cases": results}) + "\n")


if __name__ == "__main__":
    main()
