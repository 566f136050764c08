#!/usr/bin/env python3
"""Makes the reference vectors of the engine core's hashing with Python's hashlib (the reference SHA-256).

Writes tests/unit/engine/data/:
  sha256_vectors.txt      one line per case: <hex input> <hex sha256>   ('-' stands for the empty input)
                          inputs are seeded pseudo-random bytes of lengths around the 64-byte block boundaries
  block_hash_vectors.txt  one line per case: <parent> <tokens,...|-> <images,...|-> <salt hex|-> <hash>, an image
                          written <digest hex>@<start offset>; the serialization is the one documented in
                          src/engine/core/block_hash.cpp: parent digest; u32 little-endian token count and token ids;
                          u32 LE image count, per image its digest and i64 LE start offset; u32 LE salt length and
                          salt bytes. The first case's parent is the root, sha256("fovea prefix cache root v1").

Run: python3 tools/golden/make_engine_core_golden.py
"""
import hashlib
import pathlib
import random
import struct

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "unit" / "engine" / "data"


def hex_or_dash(data: bytes) -> str:
    return data.hex() if data else "-"


def block_hash(parent: bytes, tokens, images, salt: bytes) -> bytes:
    h = hashlib.sha256()
    h.update(parent)
    h.update(struct.pack("<I", len(tokens)))
    for token in tokens:
        h.update(struct.pack("<I", token & 0xFFFFFFFF))
    h.update(struct.pack("<I", len(images)))
    for image, offset in images:
        h.update(image)
        h.update(struct.pack("<q", offset))
    h.update(struct.pack("<I", len(salt)))
    h.update(salt)
    return h.digest()


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    rng = random.Random(20240601)
    lines = []
    for length in [0, 1, 3, 31, 55, 56, 57, 63, 64, 65, 111, 119, 120, 127, 128, 129, 200, 1000, 4097]:
        data = bytes(rng.randrange(256) for _ in range(length))
        lines.append(f"{hex_or_dash(data)} {hashlib.sha256(data).hexdigest()}")
    lines.append(f"{b'abc'.hex()} {hashlib.sha256(b'abc').hexdigest()}")
    (OUT / "sha256_vectors.txt").write_text("\n".join(lines) + "\n")

    root = hashlib.sha256(b"fovea prefix cache root v1").digest()
    lines = []
    parent = root
    for case_idx in range(12):
        tokens = [rng.randrange(-5, 160000) for _ in range(rng.choice([1, 4, 16]))]
        images = [(hashlib.sha256(bytes([case_idx, k])).digest(), rng.randrange(-300, 20))
                  for k in range(rng.randrange(3))]
        salt = b"tenant-%d" % case_idx if case_idx % 4 == 0 else b""
        digest = block_hash(parent, tokens, images, salt)
        token_text = ",".join(str(t) for t in tokens)
        image_text = ",".join(f"{image.hex()}@{offset}" for image, offset in images) or "-"
        lines.append(f"{parent.hex()} {token_text} {image_text} {hex_or_dash(salt)} {digest.hex()}")
        parent = digest
    (OUT / "block_hash_vectors.txt").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
