#!/usr/bin/env python3
"""Trains the demo Qwen3-VL model (HF Qwen3VLForConditionalGeneration, ~3M parameters) on synthetic shape scenes
and exports it in the HF layout.

Run: python3 tools/demo_model/train.py --out models/fovea-demo-vl [--seed 1234] [--steps N] [--device cuda]
A fresh random stream of scenes per step (batch b is drawn from seed and b alone, whatever the worker count), a
teacher-forced exact-match check on held-out scenes every --eval-every steps (greedy decoding answers right exactly
when every answer token is the argmax given the right prefix). Must not contain the scene drawing (scenes.py) or
the tokenizer/config definition (model_spec.py).
"""
import argparse
import inspect
import json
import math
import os
import pathlib
import random
import sys
import time

import numpy as np
import tokenizers
import torch
from transformers import Qwen3VLForConditionalGeneration
from transformers.models.qwen3_vl import modeling_qwen3_vl

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import export  # noqa: E402
import model_spec  # noqa: E402
import scenes  # noqa: E402

IGNORE = -100


def encode_batch(encoder, pad_id, conversations):
    """Right-padded input ids, labels on each answer and its <|im_end|>, mm token types, uint8 images (patchified
    on the device: a tenth of the bytes through the loader's shared memory), grids."""
    rows, labels, pixels = [], [], []
    for ex in conversations:
        row, label = [], []
        for turn_idx, (question, answer) in enumerate(ex["turns"]):
            prompt = (encoder.prompt(len(ex["scenes"]), question) if turn_idx == 0 else encoder.follow_up(question))
            answer = encoder.answer(answer)
            row += prompt + answer
            label += [IGNORE] * len(prompt) + answer
        rows.append(row)
        labels.append(label)
        pixels += [torch.from_numpy(np.array(scenes.render(scene))) for scene in ex["scenes"]]
    length = max(len(r) for r in rows)
    input_ids = torch.full((len(rows), length), pad_id, dtype=torch.long)
    label_ids = torch.full((len(rows), length), IGNORE, dtype=torch.long)
    attention = torch.zeros((len(rows), length), dtype=torch.long)
    for idx, (row, label) in enumerate(zip(rows, labels)):
        input_ids[idx, :len(row)] = torch.tensor(row)
        label_ids[idx, :len(label)] = torch.tensor(label)
        attention[idx, :len(row)] = 1
    grid = torch.tensor([[1, model_spec.GRID, model_spec.GRID]] * len(pixels), dtype=torch.long)
    positions = torch.stack([mrope_positions(row, length, encoder.image_pad) for row in input_ids.tolist()], dim=1)
    return {"input_ids": input_ids, "labels": label_ids, "attention_mask": attention, "position_ids": positions,
            "mm_token_type_ids": (input_ids == encoder.image_pad).int(), "images": torch.stack(pixels),
            "image_grid_thw": grid}


def mrope_positions(row, length, image_pad):
    """[3, length] (t, h, w) M-RoPE positions of one right-padded row: text counts up on all three axes; an image's
    7x7 merged tokens take (start, start + row, start + column) and the text after it resumes at start + 7.
    HF's get_rope_index computes the same with a Python loop per sample; main() checks the two agree."""
    side = model_spec.GRID // model_spec.MERGE
    out = torch.ones((3, length), dtype=torch.long)
    idx, next_pos = 0, 0
    while idx < len(row):
        if row[idx] == image_pad:
            grid = torch.arange(side * side)
            out[0, idx:idx + side * side] = next_pos
            out[1, idx:idx + side * side] = next_pos + grid // side
            out[2, idx:idx + side * side] = next_pos + grid % side
            idx += side * side
            next_pos += side
        else:
            out[:, idx] = next_pos
            idx += 1
            next_pos += 1
    return out


class SceneStream(torch.utils.data.IterableDataset):
    """Batch b of the stream comes from random.Random((seed, b)); worker w makes the batches b = w mod workers, and
    the DataLoader interleaves workers in order, so the stream does not depend on the worker count."""

    def __init__(self, tok_json, seed, batch_size, num_batches, max_turns):
        self.tok_json, self.seed, self.batch_size, self.num_batches = tok_json, seed, batch_size, num_batches
        self.max_turns = max_turns

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        worker, num_workers = (info.id, info.num_workers) if info else (0, 1)
        tok = tokenizers.Tokenizer.from_str(self.tok_json)
        encoder = model_spec.FastEncoder(tok)
        pad_id = tok.token_to_id("<|endoftext|>")
        for batch_idx in range(worker, self.num_batches, num_workers):
            rng = random.Random(f"{self.seed}/{batch_idx}")
            conversations = [scenes.make_conversation(rng, self.max_turns) for _ in range(self.batch_size)]
            yield encode_batch(encoder, pad_id, conversations)


def batched_vision_attention(original):
    """Qwen3VLVisionAttention.forward for images of one size as one batched SDPA call instead of HF's per-image
    loop (same arithmetic, training speed only); any other input goes to HF's own forward."""

    def forward(self, hidden_states, cu_seqlens, *args, **kwargs):
        position_embeddings = kwargs.get("position_embeddings")
        lengths = cu_seqlens[1:] - cu_seqlens[:-1]
        if args or position_embeddings is None or int(lengths.min()) != int(lengths.max()):
            return original(self, hidden_states, cu_seqlens, *args, **kwargs)
        seq = hidden_states.shape[0]
        num_images, per_image = lengths.numel(), int(lengths[0])
        q, k, v = self.qkv(hidden_states).reshape(seq, 3, self.num_heads, -1).permute(1, 0, 2, 3).unbind(0)
        cos, sin = position_embeddings
        q, k = modeling_qwen3_vl.apply_rotary_pos_emb_vision(q, k, cos, sin)
        q, k, v = (t.reshape(num_images, per_image, self.num_heads, -1).transpose(1, 2) for t in (q, k, v))
        out = torch.nn.functional.scaled_dot_product_attention(q, k, v, scale=self.scaling)
        return self.proj(out.transpose(1, 2).reshape(seq, -1))

    return forward


def to_device(batch, device, own_positions=True):
    """The batch on the device, its uint8 images turned into the processor's pixel rows there; without
    own_positions HF computes the M-RoPE positions itself."""
    out = {k: v.to(device, non_blocking=True) for k, v in batch.items() if k not in ("images", "position_ids")}
    if own_positions:
        out["position_ids"] = batch["position_ids"].to(device, non_blocking=True)
    out["pixel_values"] = model_spec.patchify_batch(batch["images"].to(device, non_blocking=True))
    return out


def model_kwargs(model, batch):
    accepted = inspect.signature(model.model.forward).parameters
    return {k: v for k, v in batch.items() if k in accepted or k in ("labels", "position_ids")}


def own_positions_agree(model, batch, device):
    """Whether mrope_positions() gives the installed transformers' loss (else training lets HF compute them)."""
    model.eval()
    with torch.no_grad():
        theirs = model(**model_kwargs(model, to_device(batch, device, own_positions=False))).loss.item()
        ours = model(**model_kwargs(model, to_device(batch, device))).loss.item()
    model.train()
    return abs(theirs - ours) <= 1e-4 * max(1.0, abs(theirs)), theirs, ours


def answer_exact_match(logits, labels):
    """Per row: every answer token is the argmax given the right prefix (= greedy decoding gives the answer)."""
    predicted = logits[:, :-1].argmax(-1)
    target = labels[:, 1:]
    mask = target != IGNORE
    return ((predicted == target) | ~mask).all(-1)


def evaluate(model, batches, device, autocast, own_positions):
    model.eval()
    right, total = {}, {}
    with torch.no_grad(), autocast():
        for categories, batch in batches:
            batch = to_device(batch, device, own_positions)
            logits = model(**model_kwargs(model, {k: v for k, v in batch.items() if k != "labels"})).logits
            for category, ok in zip(categories, answer_exact_match(logits.float(), batch["labels"]).tolist()):
                right[category] = right.get(category, 0) + int(ok)
                total[category] = total.get(category, 0) + 1
    model.train()
    return {c: right[c] / total[c] for c in total}


def validation_batches(tok, seed, num_scenes, batch_size):
    encoder = model_spec.FastEncoder(tok)
    examples = scenes.eval_examples(seed, num_scenes)
    out = []
    for start in range(0, len(examples), batch_size):
        chunk = examples[start:start + batch_size]
        conversations = [{"scenes": e["scenes"], "turns": [(e["question"], e["answer"])]} for e in chunk]
        out.append(([e["category"] for e in chunk],
                    encode_batch(encoder, tok.token_to_id("<|endoftext|>"), conversations)))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="export folder (HF layout)")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--steps", type=int, default=3000,
                        help="training steps; 0 with --time-budget-s: as many as fit, fixed after 100 steps")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--workers", type=int, default=min(12, max(0, (os.cpu_count() or 1) - 2)))
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--time-budget-s", type=float, default=0, help="stop training after this long (0: never)")
    parser.add_argument("--eval-every", type=int, default=500)
    parser.add_argument("--val-scenes", type=int, default=100, help="held-out scenes for the in-training check")
    parser.add_argument("--turns", type=int, default=4, help="most questions per training scene (1: single-turn)")
    parser.add_argument("--init", default=None, help="start from this exported folder's weights (second stage)")
    parser.add_argument("--log", default=None)
    parser.add_argument("--tokenizer", default=None,
                        help="a tokenizer.json model_spec.py built earlier (default: build it now)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    log_file = open(args.log, "a") if args.log else None

    def log(message):
        print(message, flush=True)
        if log_file:
            log_file.write(message + "\n")
            log_file.flush()

    if args.tokenizer:
        tok_json = pathlib.Path(args.tokenizer).read_text()
        tok = tokenizers.Tokenizer.from_str(tok_json)
    else:
        tok, tok_json = model_spec.build_tokenizer()
    config = model_spec.make_config(tok)
    config._attn_implementation = "sdpa"
    if args.init:
        model = Qwen3VLForConditionalGeneration.from_pretrained(args.init, dtype=torch.float32)
        shape = {name: tuple(p.shape) for name, p in model.named_parameters()}
        if shape != {name: tuple(p.shape) for name, p in Qwen3VLForConditionalGeneration(config).named_parameters()}:
            raise SystemExit(f"{args.init} has another architecture than model_spec.make_config")
        model = model.to(args.device)
    else:
        model = Qwen3VLForConditionalGeneration(config).to(args.device)
    model.config._attn_implementation = "sdpa"
    model.tie_weights()
    attention = modeling_qwen3_vl.Qwen3VLVisionAttention
    attention.forward = batched_vision_attention(attention.forward)
    num_params = sum(p.numel() for p in model.parameters())
    log(f"params {num_params} device {args.device} seed {args.seed} steps {args.steps} batch {args.batch_size} "
        f"lr {args.lr} turns {args.turns} init {args.init} torch {torch.__version__}")

    use_bf16 = args.device.startswith("cuda")

    def autocast():
        return torch.autocast("cuda", dtype=torch.bfloat16, enabled=use_bf16)

    # Held-out scenes for the check come from another seed than both the training stream and evaluate.py's set.
    val = validation_batches(tok, args.seed + 777, args.val_scenes, 64)
    check = validation_batches(tok, args.seed + 778, 1, 8)[0][1]  # one scene's 7 questions, a two-image one too
    own_positions, theirs, ours = own_positions_agree(model, check, args.device)
    log(f"own M-RoPE positions {'agree' if own_positions else 'DIFFER'}: loss {theirs:.6f} (HF) vs {ours:.6f}")
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01, betas=(0.9, 0.98))

    def lr_at(step):
        if step < args.warmup:
            return (step + 1) / args.warmup
        progress = (step - args.warmup) / max(1, args.steps - args.warmup)
        return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_at)
    fit_steps = args.steps == 0
    if fit_steps and not args.time_budget_s:
        raise SystemExit("--steps 0 needs --time-budget-s")
    if fit_steps:
        args.steps = 10 ** 9
    loader = torch.utils.data.DataLoader(SceneStream(tok_json, args.seed, args.batch_size, args.steps, args.turns),
                                         batch_size=None, num_workers=args.workers,
                                         prefetch_factor=4 if args.workers else None,
                                         persistent_workers=False)
    model.train()
    start = time.time()
    step = 0
    for step, batch in enumerate(loader):
        batch = to_device(batch, args.device, own_positions)
        with autocast():
            loss = model(**model_kwargs(model, batch)).loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        elapsed = time.time() - start
        if step == 20:
            rate_start = elapsed
        if fit_steps and step == 100:
            # The schedule needs its length up front: what fits in 93% of the budget at the measured rate.
            rate = 80 / (elapsed - rate_start)
            args.steps = int(101 + rate * (args.time_budget_s - elapsed) * 0.93)
            log(f"{rate:.1f} steps/s: training {args.steps} steps (rerun with --steps {args.steps})")
        if step % 50 == 0:
            log(f"step {step} loss {loss.item():.4f} lr {scheduler.get_last_lr()[0]:.2e} t {elapsed:.0f}s")
        if (step + 1) % args.eval_every == 0:
            scores = evaluate(model, val, args.device, autocast, own_positions)
            log(f"step {step + 1} held-out exact match {json.dumps(scores)}")
        if args.time_budget_s and elapsed > args.time_budget_s:
            log(f"time budget reached at step {step + 1}")
            break
        if step + 1 >= args.steps:
            break
    train_s = time.time() - start
    final = evaluate(model, val, args.device, autocast, own_positions)
    log(f"trained {step + 1} steps in {train_s:.0f}s; held-out exact match {json.dumps(final)}")
    export.export_folder(model.cpu(), tok_json, pathlib.Path(args.out),
                         {"seed": args.seed, "steps": step + 1, "batch_size": args.batch_size, "lr": args.lr,
                          "turns": args.turns, "init": args.init, "device": args.device, "train_s": round(train_s),
                          "num_params": num_params, "held_out_exact_match": final})
    log(f"exported to {args.out}")


if __name__ == "__main__":
    main()
