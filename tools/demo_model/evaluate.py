#!/usr/bin/env python3
"""Measures the demo model on held-out scenes: per-category exact-match accuracy of greedy answers with HF
transformers (the reference), and optionally with a running `fovea serve` (OpenAI chat API), and their agreement.

Run: python3 tools/demo_model/evaluate.py --model models/fovea-demo-vl [--scenes 500] [--fovea http://127.0.0.1:8000]
     [--out results.json]
One question of each category per scene (scenes.eval_examples, seed 20261127 unless --seed): colour, shape, count,
position, describe, exists, compare (two images). Must not contain training code.
"""
import argparse
import base64
import concurrent.futures
import io
import json
import pathlib
import sys
import time
import urllib.request

import torch
from transformers import AutoProcessor, Qwen3VLForConditionalGeneration

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import model_spec  # noqa: E402
import scenes  # noqa: E402

EVAL_SEED = 20261127
MAX_NEW_TOKENS = 24


def hf_answers(model_dir, examples, batch_size, dtype):
    processor = AutoProcessor.from_pretrained(model_dir)
    processor.tokenizer.padding_side = "left"
    model = Qwen3VLForConditionalGeneration.from_pretrained(model_dir, dtype=dtype).eval()
    answers = []
    for start in range(0, len(examples), batch_size):
        chunk = examples[start:start + batch_size]
        prompts = [processor.apply_chat_template(model_spec.messages(len(e["scenes"]), e["question"]), tokenize=False,
                                                 add_generation_prompt=True) for e in chunk]
        images = [scenes.render(scene) for e in chunk for scene in e["scenes"]]
        inputs = processor(text=prompts, images=images, return_tensors="pt", padding=True)
        inputs["pixel_values"] = inputs["pixel_values"].to(dtype)
        with torch.no_grad():
            out = model.generate(**inputs, max_new_tokens=MAX_NEW_TOKENS, do_sample=False)
        new = out[:, inputs["input_ids"].shape[1]:]
        answers += [text.strip() for text in processor.batch_decode(new, skip_special_tokens=True)]
    return answers


def data_url(image):
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def served_model(url):
    with urllib.request.urlopen(url.rstrip("/") + "/v1/models", timeout=30) as response:
        return json.loads(response.read())["data"][0]["id"]


def fovea_answer(url, model, example):
    content = [{"type": "image_url", "image_url": {"url": data_url(scenes.render(s))}} for s in example["scenes"]]
    content.append({"type": "text", "text": example["question"]})
    body = {"model": model, "messages": [{"role": "user", "content": content}], "temperature": 0,
            "max_tokens": MAX_NEW_TOKENS}
    request = urllib.request.Request(url.rstrip("/") + "/v1/chat/completions", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())["choices"][0]["message"]["content"].strip()


def fovea_answers(url, examples, concurrency):
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        model = served_model(url)
        return list(pool.map(lambda e: fovea_answer(url, model, e), examples))


def accuracy(examples, answers):
    table = {}
    for example, answer in zip(examples, answers):
        right, total = table.get(example["category"], (0, 0))
        table[example["category"]] = (right + int(answer == example["answer"]), total + 1)
    return {category: round(right / total, 4) for category, (right, total) in table.items()}


def agreement(examples, first, second):
    table = {}
    for example, a, b in zip(examples, first, second):
        same, total = table.get(example["category"], (0, 0))
        table[example["category"]] = (same + int(a == b), total + 1)
    overall = sum(int(a == b) for a, b in zip(first, second)) / len(first)
    return {"overall": round(overall, 4), **{c: round(s / t, 4) for c, (s, t) in table.items()}}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--scenes", type=int, default=500)
    parser.add_argument("--seed", type=int, default=EVAL_SEED)
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--dtype", default="float32", choices=("float32", "bfloat16"))
    parser.add_argument("--fovea", default=None, help="base URL of a running `fovea serve` of the same folder")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-hf", action="store_true", help="with --fovea and --out: reuse the HF answers there")
    parser.add_argument("--fovea-only", action="store_true", help="with --fovea: no HF answers at all")
    parser.add_argument("--out", default=None, help="JSON file for the per-example answers and the summary")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    examples = scenes.eval_examples(args.seed, args.scenes)
    summary = {"model": args.model, "seed": args.seed, "num_scenes": args.scenes, "num_questions": len(examples)}
    if args.fovea_only:
        hf = None
    elif args.skip_hf:
        previous = json.loads(pathlib.Path(args.out).read_text())
        hf = [row["hf"] for row in previous["examples"]]
        summary.update({k: previous["summary"][k] for k in ("hf_accuracy", "hf_seconds", "hf_dtype")})
    else:
        start = time.time()
        hf = hf_answers(args.model, examples, args.batch_size, getattr(torch, args.dtype))
        summary.update({"hf_accuracy": accuracy(examples, hf), "hf_seconds": round(time.time() - start, 1),
                        "hf_dtype": args.dtype})
    rows = [{"category": e["category"], "question": e["question"], "answer": e["answer"]} for e in examples]
    if hf is not None:
        print("HF accuracy", json.dumps(summary["hf_accuracy"]), flush=True)
        for row, answer in zip(rows, hf):
            row["hf"] = answer
    if args.fovea:
        start = time.time()
        fovea = fovea_answers(args.fovea, examples, args.concurrency)
        summary.update({"fovea_accuracy": accuracy(examples, fovea), "fovea_seconds": round(time.time() - start, 1)})
        if hf is not None:
            summary["agreement"] = agreement(examples, hf, fovea)
        for row, answer in zip(rows, fovea):
            row["fovea"] = answer
        print("fovea accuracy", json.dumps(summary["fovea_accuracy"]))
        if hf is not None:
            print("agreement", json.dumps(summary["agreement"]))
    if args.out:
        pathlib.Path(args.out).write_text(json.dumps({"summary": summary, "examples": rows}, indent=1) + "\n")
    key = "hf" if hf is not None else "fovea"
    wrong = [r for r in rows if key in r and r[key] != r["answer"]][:10]
    for row in wrong:
        print("wrong:", json.dumps(row))


if __name__ == "__main__":
    main()
