#!/usr/bin/env python3
"""Makes the sampler's logits-processing goldens with Hugging Face's real logits processors.

Writes tests/unit/sampling/data/logits_processing_cases.json: a list of cases, each
  {"name", "vocab_size", "logits": [f32...], "prompt_ids": [...], "output_ids": [...],
   "repetition_penalty", "frequency_penalty", "presence_penalty", "temperature", "min_p", "top_k", "top_p",
   "expected": [f32 or null for -inf ...]}
The chain is vLLM v1's order: RepetitionPenaltyLogitsProcessor over prompt + output ids (HF), then vLLM's
frequency/presence formula (logits -= frequency * output_count + presence * (count > 0), written here in torch as
vllm/model_executor/layers/utils.py apply_penalties does), then TemperatureLogitsWarper, MinPLogitsWarper,
TopKLogitsWarper and TopPLogitsWarper (HF), each only when active. Random logits whose top-p or min-p boundary lies
within 1e-4 of the threshold are redrawn, so f32 summation order cannot flip a kept token.

Run: python3 tools/golden/make_sampling_goldens.py
"""
import json
import math
import pathlib
import random

import torch
from transformers.generation.logits_process import (MinPLogitsWarper, RepetitionPenaltyLogitsProcessor,
                                                    TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper)

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "unit" / "sampling" / "data" / "logits_processing_cases.json"
MARGIN = 1e-4


def chain(logits, case):
    scores = logits.clone().unsqueeze(0)
    history = case["prompt_ids"] + case["output_ids"]
    input_ids = torch.tensor([history if history else [0]], dtype=torch.long)
    if case["repetition_penalty"] != 1.0 and history:
        scores = RepetitionPenaltyLogitsProcessor(case["repetition_penalty"])(input_ids, scores)
    counts = torch.zeros_like(scores)
    for token in case["output_ids"]:
        counts[0, token] += 1
    scores = scores - case["frequency_penalty"] * counts - case["presence_penalty"] * (counts > 0).float()
    if case["temperature"] != 1.0:
        scores = TemperatureLogitsWarper(case["temperature"])(input_ids, scores)
    if case["min_p"] > 0:
        probs = torch.softmax(scores, dim=-1)
        ratio = probs / probs.max()
        if torch.min(torch.abs(ratio - case["min_p"])) < MARGIN:
            return None
        scores = MinPLogitsWarper(case["min_p"])(input_ids, scores)
    if case["top_k"] > 0:
        scores = TopKLogitsWarper(case["top_k"])(input_ids, scores)
    if case["top_p"] < 1.0:
        sorted_logits, _ = torch.sort(scores, descending=False)
        cumulative = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
        if torch.min(torch.abs(cumulative - (1 - case["top_p"]))) < MARGIN:
            return None
        scores = TopPLogitsWarper(case["top_p"])(input_ids, scores)
    return scores[0]


def make_case(rng, name, vocab_size, **params):
    case = {"name": name, "vocab_size": vocab_size, "repetition_penalty": 1.0, "frequency_penalty": 0.0,
            "presence_penalty": 0.0, "temperature": 1.0, "min_p": 0.0, "top_k": 0, "top_p": 1.0,
            "prompt_ids": [], "output_ids": []}
    case.update(params)
    for _ in range(1000):
        logits = torch.tensor([rng.gauss(0.0, 2.5) for _ in range(vocab_size)], dtype=torch.float32)
        expected = chain(logits, case)
        if expected is not None:
            break
    case["logits"] = [float(x) for x in logits.tolist()]
    case["expected"] = [None if math.isinf(x) else float(x) for x in expected.tolist()]
    return case


def main():
    rng = random.Random(20250701)
    cases = []
    ids = lambda n, v: [rng.randrange(v) for _ in range(n)]  # noqa: E731
    cases.append(make_case(rng, "repetition_1.3", 64, repetition_penalty=1.3, prompt_ids=ids(20, 64),
                           output_ids=ids(10, 64)))
    cases.append(make_case(rng, "repetition_0.7", 64, repetition_penalty=0.7, prompt_ids=ids(15, 64),
                           output_ids=ids(5, 64)))
    cases.append(make_case(rng, "frequency_presence", 64, frequency_penalty=0.6, presence_penalty=-0.4,
                           prompt_ids=ids(10, 64), output_ids=ids(30, 64)))
    cases.append(make_case(rng, "all_penalties", 96, repetition_penalty=1.15, frequency_penalty=-1.5,
                           presence_penalty=1.9, prompt_ids=ids(40, 96), output_ids=ids(25, 96)))
    cases.append(make_case(rng, "temperature_0.6", 64, temperature=0.6))
    cases.append(make_case(rng, "temperature_1.7", 64, temperature=1.7))
    for k in (1, 5, 40):
        cases.append(make_case(rng, f"top_k_{k}", 64, top_k=k))
    for p in (0.1, 0.5, 0.8, 0.95):
        cases.append(make_case(rng, f"top_p_{p}", 128, top_p=p))
    for m in (0.05, 0.2, 0.6):
        cases.append(make_case(rng, f"min_p_{m}", 64, min_p=m))
    cases.append(make_case(rng, "qwen3_thinking_defaults", 256, temperature=0.6, top_k=20, top_p=0.95))
    cases.append(make_case(rng, "qwen3_instruct_defaults", 256, temperature=0.7, top_k=20, top_p=0.8,
                           repetition_penalty=1.05, prompt_ids=ids(50, 256), output_ids=ids(20, 256)))
    cases.append(make_case(rng, "everything", 200, temperature=0.8, top_k=50, top_p=0.9, min_p=0.02,
                           repetition_penalty=1.2, frequency_penalty=0.3, presence_penalty=0.5,
                           prompt_ids=ids(60, 200), output_ids=ids(40, 200)))
    cases.append(make_case(rng, "min_p_then_top_p", 128, min_p=0.1, top_p=0.7))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(cases, indent=None, separators=(",", ":")) + "\n")
    print(f"wrote {len(cases)} cases to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
