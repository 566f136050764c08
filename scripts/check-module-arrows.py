#!/usr/bin/env python3
"""Checks design.md's module arrows: a file in src/<module>/ includes only headers of modules it may depend on.

Also: CUDA headers appear only under src/backend/cuda/, and serve never includes backend or model.
Usage: check-module-arrows.py SRC_DIR   (exit 1 and one line per violation)
"""
import pathlib
import re
import sys

DIRECT = {
    "base": [],
    "tensor": ["base"],
    "io": ["base", "tensor"],
    "text": ["base"],
    "vision": ["base", "tensor"],
    "backend": ["base", "tensor"],
    "quant": ["io", "backend"],
    "model": ["io", "quant", "backend"],
    "engine": ["model", "text", "vision"],
    "plan": ["io", "quant"],
    "serve": ["engine", "plan"],
    "bench": ["base", "vision"],
    "monitor": ["base"],
    "cli": ["serve", "engine", "plan", "bench", "monitor", "model", "quant", "backend", "vision", "text", "io", "tensor", "base"],
}
FORBIDDEN = {"serve": {"backend", "model"}}
CUDA_HEADERS = re.compile(r'#\s*include\s*[<"](cuda|cublas|cublasLt|nccl|nvml|cuda_runtime)[^">]*[">]')
INCLUDE = re.compile(r'#\s*include\s*"([a-z_]+)/')


def closure(module):
    seen, stack = set(), [module]
    while stack:
        for dep in DIRECT[stack.pop()]:
            if dep not in seen:
                seen.add(dep)
                stack.append(dep)
    return seen | {module}


def main():
    src = pathlib.Path(sys.argv[1])
    problems = []
    for path in sorted(src.rglob("*")):
        if path.suffix not in {".h", ".cpp", ".cu", ".cuh"}:
            continue
        rel = path.relative_to(src)
        module = rel.parts[0]
        if module not in DIRECT:
            problems.append(f"{rel}: folder src/{module} is not a module of design.md")
            continue
        allowed = closure(module) - FORBIDDEN.get(module, set())
        text = path.read_text(errors="replace")
        for line_idx, line in enumerate(text.splitlines(), 1):
            match = INCLUDE.match(line.strip())
            if match and match.group(1) in DIRECT and match.group(1) not in allowed:
                problems.append(f"{rel}:{line_idx}: {module} may not include {match.group(1)}/")
            if CUDA_HEADERS.match(line.strip()) and not str(rel).startswith("backend/cuda/"):
                problems.append(f"{rel}:{line_idx}: CUDA headers belong under src/backend/cuda/ only")
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
