#!/usr/bin/env python3
"""Encode throughput of Hugging Face tokenizers on one thread, the reference for tokenizer_bench.

Builds the benchmark corpus when it does not exist yet: documents of about 2 KB made by joining random texts of
tests/golden/tokenizer/qwen3_encode.jsonl (prose in many scripts, code, emoji, whitespace, digits, special-token
text), written as a JSON list so tokenizer_bench encodes exactly the same documents.

Usage:
  TOKENIZERS_PARALLELISM=false RAYON_NUM_THREADS=1 \\
    tools/bench/tokenizer/hf_tokenizer_bench.py --corpus /tmp/tokenizer_corpus.json
  build/tools/bench/tokenizer/tokenizer_bench --corpus /tmp/tokenizer_corpus.json \\
    --tokenizer ../shared/assets/qwen3-tokenizer/tokenizer.json
"""
import argparse
import json
import os
import pathlib
import random
import time

REPO = pathlib.Path(__file__).resolve().parents[3]
DEFAULT_TOKENIZER = REPO.parent / "shared" / "assets" / "qwen3-tokenizer" / "tokenizer.json"
FIXTURE = REPO / "tests" / "golden" / "tokenizer" / "qwen3_encode.jsonl"


def make_corpus(path, num_documents, document_bytes, seed):
    texts = [json.loads(line)["text"] for line in FIXTURE.read_text(encoding="utf-8").split("\n")[1:] if line]
    rng = random.Random(seed)
    documents = []
    for _ in range(num_documents):
        parts, size = [], 0
        while size < document_bytes:
            text = rng.choice(texts)
            parts.append(text)
            size += len(text.encode("utf-8")) + 1
        documents.append(" ".join(parts))
    pathlib.Path(path).write_text(json.dumps(documents, ensure_ascii=False), encoding="utf-8")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", required=True, help="JSON list of documents (created when missing)")
    parser.add_argument("--tokenizer", default=str(DEFAULT_TOKENIZER))
    parser.add_argument("--documents", type=int, default=2000)
    parser.add_argument("--document-bytes", type=int, default=2048)
    parser.add_argument("--passes", type=int, default=4)
    args = parser.parse_args()
    if os.environ.get("TOKENIZERS_PARALLELISM") != "false" or os.environ.get("RAYON_NUM_THREADS") != "1":
        print("note: set TOKENIZERS_PARALLELISM=false RAYON_NUM_THREADS=1 to measure one thread")
    if not pathlib.Path(args.corpus).exists():
        make_corpus(args.corpus, args.documents, args.document_bytes, seed=1)

    from tokenizers import Tokenizer, __version__

    documents = json.loads(pathlib.Path(args.corpus).read_text(encoding="utf-8"))
    total_bytes = sum(len(document.encode("utf-8")) for document in documents)
    start = time.perf_counter()
    tokenizer = Tokenizer.from_file(args.tokenizer)
    load_seconds = time.perf_counter() - start
    print(f"tokenizers {__version__}: loaded in {load_seconds:.3f} s; corpus {len(documents)} documents, "
          f"{total_bytes / 1e6:.2f} MB")
    for pass_idx in range(args.passes):
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        num_tokens = sum(len(tokenizer.encode(document, add_special_tokens=False).ids) for document in documents)
        wall, cpu = time.perf_counter() - wall_start, time.process_time() - cpu_start
        label = "cold" if pass_idx == 0 else "warm"
        print(f"pass {pass_idx} ({label}): {num_tokens} tokens, {total_bytes / 1e6 / wall:.2f} MB/s wall, "
              f"{total_bytes / 1e6 / cpu:.2f} MB/s cpu")


if __name__ == "__main__":
    main()
