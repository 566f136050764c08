#!/usr/bin/env python3
"""Writes tests/golden/demo/data/: a few held-out scenes' questions with the demo model's greedy answers from HF
transformers (float32, the folder's default dtype), which tests/golden/demo makes fovea reproduce.

Run: python3 tools/demo_model/make_demo_golden.py [--model models/fovea-demo-vl] [--scenes 4]
Writes images/<case>.<n>.png (224x224, so neither side resizes) and cases.json: per case the messages, HF's prompt
ids, greedy token ids up to and including <|im_end|>, each step's top-2 log-prob margin, the answer text and the
scene's true answer. Re-run after every re-export of the model. Must not contain training or scoring code.
"""
import argparse
import json
import pathlib
import shutil
import sys

import PIL
import tokenizers
import torch
import transformers
from transformers import AutoProcessor, Qwen3VLForConditionalGeneration

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import model_spec  # noqa: E402
import scenes  # noqa: E402

GOLDEN_SEED = 4242  # neither the training stream's nor evaluate.py's seed
MAX_NEW_TOKENS = 24


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(model_spec.ROOT / "models" / "fovea-demo-vl"))
    parser.add_argument("--out", default=str(model_spec.ROOT / "tests" / "golden" / "demo" / "data"))
    parser.add_argument("--scenes", type=int, default=4)
    args = parser.parse_args()
    torch.set_num_threads(2)
    out = pathlib.Path(args.out)
    if out.exists():
        shutil.rmtree(out)
    (out / "images").mkdir(parents=True)
    processor = AutoProcessor.from_pretrained(args.model)
    model = Qwen3VLForConditionalGeneration.from_pretrained(args.model, dtype=torch.float32).eval()
    eos = processor.tokenizer.convert_tokens_to_ids("<|im_end|>")
    cases = []
    for idx, example in enumerate(scenes.eval_examples(GOLDEN_SEED, args.scenes)):
        name = f"{idx:02d}_{example['category']}"
        images, files = [], []
        for image_idx, scene in enumerate(example["scenes"]):
            image = scenes.render(scene)
            files.append(f"{name}.{image_idx}.png")
            image.save(out / "images" / files[-1])
            images.append(image)
        messages = [{"role": "user", "content": [{"type": "image", "image": f} for f in files]
                     + [{"type": "text", "text": example["question"]}]}]
        prompt = processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        inputs = processor(text=[prompt], images=images, return_tensors="pt")
        with torch.no_grad():
            generated = model.generate(**inputs, max_new_tokens=MAX_NEW_TOKENS, do_sample=False, output_logits=True,
                                       return_dict_in_generate=True, eos_token_id=eos, pad_token_id=eos)
        tokens = generated.sequences[0, inputs["input_ids"].shape[1]:].tolist()
        margins = []
        for step_logits in generated.logits[:len(tokens)]:
            top = torch.topk(torch.log_softmax(step_logits[0].float(), dim=-1), 2).values
            margins.append(round(float(top[0] - top[1]), 6))
        answer = processor.decode(tokens, skip_special_tokens=True).strip()
        cases.append({"name": name, "category": example["category"], "messages": messages,
                      "prompt_ids": inputs["input_ids"][0].tolist(), "greedy": tokens, "margins": margins,
                      "answer": answer, "true_answer": example["answer"]})
        print(f"{name}: {example['question']!r} -> {answer!r} (true {example['answer']!r}, "
              f"least margin {min(margins):.3f})")
    reference = {"transformers": transformers.__version__, "torch": torch.__version__.split("+")[0],
                 "tokenizers": tokenizers.__version__, "pillow": PIL.__version__}
    (out / "cases.json").write_text(json.dumps({"model": "models/fovea-demo-vl", "dtype": "float32",
                                                "reference": reference, "cases": cases}, indent=1) + "\n")


if __name__ == "__main__":
    main()
