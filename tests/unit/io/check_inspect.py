#!/usr/bin/env python3
"""Runs the built `fovea inspect` on every fixture folder and compares its report with expected.json (what
tools/golden/make_model_folders.py wrote and what transformers made of each folder); then checks that a missing or
broken folder is a one-line `fovea: error: ...` with a non-zero exit.

Usage: check_inspect.py FOVEA_BINARY MODELS_DIR   (exit 1 and one line per mismatch)
"""
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile

problems = []


def check(condition, what):
    if not condition:
        problems.append(what)


def run(binary, *args):
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=60)


def check_folder(binary, folder, expected):
    name = folder.name
    result = run(binary, "inspect", str(folder), "--json")
    check(result.returncode == 0, f"{name}: exit {result.returncode}: {result.stderr.strip()}")
    if result.returncode != 0:
        return
    report = json.loads(result.stdout)
    check(report["model_type"] == expected["model_type"], f"{name}: model_type {report['model_type']}")
    check(report["supported"] == (not expected["model_type"].endswith("_moe")), f"{name}: supported")
    check(report["tie_word_embeddings"] == expected["tie_word_embeddings"], f"{name}: tie_word_embeddings")
    for key in ("present", "num_shards", "num_tensors", "total_bytes", "files"):
        if key in report["weights"] or expected["weights"]["present"]:
            check(report["weights"].get(key) == expected["weights"][key],
                  f"{name}: weights.{key} {report['weights'].get(key)} != {expected['weights'][key]}")
    parameters = report["parameters"]
    check(parameters["source"] == ("weights" if expected["weights"]["present"] else "config"), f"{name}: source")
    for census_key in ("parameters", "parameters_from_config"):
        census = report[census_key]
        check(census["total"] == expected["parameters"]["total"],
              f"{name}: {census_key}.total {census['total']} != {expected['parameters']['total']}")
        for component, count in expected["parameters"]["components"].items():
            got = census["components"][component]["parameters"]
            check(got == count, f"{name}: {census_key}.{component} {got} != {count}")
    check(parameters["total_packed"] == expected["packed_parameters"], f"{name}: total_packed")
    check(bool(parameters["packed_note"]) == (expected["packed_parameters"] > 0), f"{name}: packed_note")
    if expected["quantization"] is None:
        check(report["quantization"] is None, f"{name}: quantization should be null")
    else:
        for key, value in expected["quantization"].items():
            check(report["quantization"][key] == value, f"{name}: quantization.{key} {report['quantization'][key]}")
    origin = expected["chat_template_origin"]
    check(report["chat_template"]["found"] == (origin is not None), f"{name}: chat_template.found")
    check(report["chat_template"].get("origin") == origin, f"{name}: chat_template.origin")
    check(report["tokenizer"]["tokenizer_json"] == expected["has_tokenizer_json"], f"{name}: tokenizer_json")
    text = report["text_config"]
    for key, value in expected["rope"].items():
        check(text[key] == value, f"{name}: text_config.{key} {text[key]} != {value}")
    if "generation_config" in expected:
        for key, value in expected["generation_config"].items():
            check(report["generation_config"][key] == value, f"{name}: generation_config.{key}")
    for processor in ("image_processor", "video_processor"):
        for key, value in expected.get(processor, {}).items():
            check(report[processor][key] == value, f"{name}: {processor}.{key} {report[processor][key]} != {value}")

    human = run(binary, "inspect", str(folder))
    check(human.returncode == 0, f"{name}: human output exit {human.returncode}")
    for needle in ("architecture", "chat template", "weights", "component", "total"):
        check(needle in human.stdout, f"{name}: human output lacks '{needle}'")
    if not expected["weights"]["present"]:
        check("absent" in human.stdout and "computed from config.json" in human.stdout, f"{name}: absent weights")
    if expected["packed_parameters"]:
        check("8 parameters per int32 word" in human.stdout, f"{name}: packed note in human output")


def check_one_line_error(binary, folder, what):
    result = run(binary, "inspect", str(folder))
    lines = result.stderr.strip().splitlines()
    check(result.returncode != 0, f"{what}: exit 0")
    check(len(lines) == 1 and lines[0].startswith("fovea: error: "), f"{what}: stderr {result.stderr!r}")
    check(result.stdout == "", f"{what}: printed {result.stdout!r}")


def main():
    binary, models = sys.argv[1], pathlib.Path(sys.argv[2])
    if not pathlib.Path(binary).is_file():
        print(f"{binary} is not built; build the fovea target first")
        return 1
    expected = json.loads((models / "expected.json").read_text())
    for name, entry in sorted(expected["folders"].items()):
        check_folder(binary, models / name, entry)
    with tempfile.TemporaryDirectory() as temp:
        temp = pathlib.Path(temp)
        check_one_line_error(binary, temp / "missing", "missing folder")
        broken = temp / "broken"
        broken.mkdir()
        shutil.copy(models / "qwen3-tiny" / "config.json", broken / "config.json")
        data = (models / "qwen3-tiny" / "model.safetensors").read_bytes()
        (broken / "model.safetensors").write_bytes(data[: len(data) // 2])
        check_one_line_error(binary, broken, "truncated weights")
        (broken / "model.safetensors").unlink()
        (broken / "config.json").write_text('{"model_type": "llama"}')
        check_one_line_error(binary, broken, "unknown model type")
    for problem in problems:
        print(problem)
    print(f"{len(expected['folders'])} folders checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
