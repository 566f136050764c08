#!/usr/bin/env python3
"""Writes the demo model's HF-layout folder: bf16 model.safetensors and config.json (save_pretrained), the
tokenizer.json in the real Qwen3 file's structure, tokenizer_config.json, the Qwen3-VL chat template,
preprocessor_config.json (224x224 images: 49 merged tokens), generation_config.json (greedy), training.json,
examples/red-circle-blue-square.png (the model card's curl example).

Also runnable alone to re-export a trained folder with the local transformers:
  python3 tools/demo_model/export.py --from DIR --out models/fovea-demo-vl
Must not contain training or evaluation code; the model card (README.md) is written by hand from evaluate.py's
numbers and is left alone here.
"""
import argparse
import json
import pathlib
import shutil
import sys

import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import model_spec  # noqa: E402
import scenes  # noqa: E402

KEEP = {"README.md"}
EXAMPLE = "examples/red-circle-blue-square.png"


def _write_json(path, value):
    path.write_text(json.dumps(value, indent=2, sort_keys=True) + "\n")


def export_folder(model, tok_json, out, training):
    out.mkdir(parents=True, exist_ok=True)
    for entry in out.iterdir():
        if entry.name not in KEEP:
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    model = model.to(torch.bfloat16)
    # bf16 weights (half the bytes) but float32 activations by default ("auto" in fovea and in HF): on a CPU the
    # tiny model costs nothing more, and the answers of the two agree more often than in bf16.
    model.save_pretrained(out, safe_serialization=True)
    config_path = out / "config.json"
    config = json.loads(config_path.read_text())
    for sub in (config, config["text_config"], config["vision_config"]):
        sub["dtype"] = "float32"
    _write_json(config_path, config)
    (out / "model.safetensors").chmod(0o644)
    processor = model_spec.make_processor(tok_json)
    processor.save_pretrained(out)
    # Published Qwen3-VL folders carry preprocessor_config.json + video_preprocessor_config.json and a
    # chat_template.jinja; transformers 5 writes one processor_config.json instead: split it the published way.
    processor_json = out / "processor_config.json"
    if processor_json.exists():
        merged = json.loads(processor_json.read_text())
        for key, name in (("image_processor", "preprocessor_config.json"),
                          ("video_processor", "video_preprocessor_config.json")):
            _write_json(out / name, {**merged[key], "processor_class": merged["processor_class"]})
        processor_json.unlink()
    (out / "tokenizer.json").write_text(tok_json)
    (out / "chat_template.jinja").write_text(model_spec.chat_template())
    tok_config = json.loads((out / "tokenizer_config.json").read_text())
    tok_config.pop("chat_template", None)
    _write_json(out / "tokenizer_config.json", tok_config)
    tok = __import__("tokenizers").Tokenizer.from_str(tok_json)
    _write_json(out / "generation_config.json", {
        "do_sample": False,
        "eos_token_id": tok.token_to_id("<|im_end|>"),
        "pad_token_id": tok.token_to_id("<|endoftext|>"),
        "max_new_tokens": 32,
    })
    _write_json(out / "training.json", training)
    (out / EXAMPLE).parent.mkdir(exist_ok=True)
    scenes.render(scenes.example_scene()).save(out / EXAMPLE)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", required=True, help="a folder train.py wrote")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    from transformers import Qwen3VLForConditionalGeneration
    source = pathlib.Path(args.source)
    model = Qwen3VLForConditionalGeneration.from_pretrained(source, dtype=torch.float32)
    training = json.loads((source / "training.json").read_text())
    tok_json = (source / "tokenizer.json").read_text()
    export_folder(model, tok_json, pathlib.Path(args.out), training)


if __name__ == "__main__":
    main()
