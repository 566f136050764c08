#!/usr/bin/env python3
"""Reference prompts for --chat-template-content-format string with image parts, for
tests/unit/serve/string_content_golden_test.cpp and tests/server/test_content_format.py.

vLLM (entrypoints/chat_utils.py, string format, --interleave-mm-strings off) flattens each message's content into
one string: the text parts joined with "\\n"; each image part becomes the model's placeholder text (Qwen2-VL,
Qwen2.5-VL and Qwen3-VL: <|vision_start|><|image_pad|><|vision_end|>); placeholders the text already holds count
against the images (more of them than images is an error), the missing ones go in front of the text, joined with
"\\n". `flatten` below restates that rule (written from reading vLLM, not copied). The flattened conversation is
then rendered by transformers' apply_chat_template (the real jinja2 sandbox) with the text-only Qwen3 template,
a template vLLM's auto-detection resolves to "string", and tokenized by the tiny Qwen3-VL tokenizer.

Writes tests/unit/serve/data/string_content_golden.json:
  {"template": <path from the repository root>, "placeholder": ..., "image_url": <the URL every image part uses>,
   "cases": [{"name", "messages" (OpenAI request form), "add_generation_prompt",
              "flattened" (each message's content as vLLM hands it to the template), "prompt", "token_ids"}
             or {"name", "messages", "error": <vLLM's message>}]}

Run, never hand-edit:

    python3 tools/golden/make_string_content_golden.py
"""
import json
import pathlib

from transformers import AutoTokenizer

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHECKPOINTS = ROOT / "tests" / "golden" / "model" / "data" / "checkpoints"
TEMPLATE = CHECKPOINTS / "qwen3-tiny" / "chat_template.jinja"
TOKENIZER = CHECKPOINTS / "qwen3-vl-tiny"
OUT = ROOT / "tests" / "unit" / "serve" / "data" / "string_content_golden.json"

PLACEHOLDER = "<|vision_start|><|image_pad|><|vision_end|>"
# The unit test does not fetch images; the server test replaces this URL with a real image before sending.
IMAGE_URL = "data:image/png;base64,iVBORw0KGgo="


def image():
    return {"type": "image_url", "image_url": {"url": IMAGE_URL}}


def text(value):
    return {"type": "text", "text": value}


def flatten(message):
    """A message's content as vLLM's string format hands it to the template."""
    content = message.get("content")
    if content is None:
        parts = []
    elif isinstance(content, str):
        parts = [text(content)]
    else:
        parts = content
    texts = [part["text"] for part in parts if part["type"] == "text"]
    num_images = sum(1 for part in parts if part["type"] == "image_url")
    joined = "\n".join(texts)
    if num_images == 0:
        return joined
    num_written = joined.count(PLACEHOLDER)
    if num_written > num_images:
        raise ValueError(f"Found more '{PLACEHOLDER}' placeholders in input prompt than actual multimodal data items.")
    missing = [PLACEHOLDER] * (num_images - num_written)
    return "\n".join(missing + [joined]) if joined else "\n".join(missing)


CASES = [
    ("image_then_text", [{"role": "user", "content": [image(), text("What is in the picture?")]}]),
    ("text_then_image", [{"role": "user", "content": [text("Describe it."), image()]}]),
    ("interleaved", [{"role": "user", "content": [text("first"), image(), text("second"), image()]}]),
    ("images_only", [{"role": "user", "content": [image(), image()]}]),
    ("empty_text_and_image", [{"role": "user", "content": [text(""), image()]}]),
    ("placeholder_written_by_client",
     [{"role": "user", "content": [text("Left: " + PLACEHOLDER + " which side?"), image()]}]),
    ("one_of_two_placeholders_written",
     [{"role": "user", "content": [text("Second: " + PLACEHOLDER), image(), image()]}]),
    ("string_content_unchanged", [{"role": "user", "content": "plain\ntext"}]),
    ("conversation",
     [{"role": "system", "content": [text("Be brief."), text("Answer in English.")]},
      {"role": "user", "content": [image(), text("What colour?")]},
      {"role": "assistant", "content": "Red."},
      {"role": "user", "content": [text("And this one?"), image()]}]),
    ("more_placeholders_than_images",
     [{"role": "user", "content": [text(PLACEHOLDER + PLACEHOLDER), image()]}]),
]


def main():
    tokenizer = AutoTokenizer.from_pretrained(TOKENIZER)
    template = TEMPLATE.read_text()
    cases = []
    for name, messages in CASES:
        case = {"name": name, "messages": messages}
        try:
            flattened = [{**message, "content": flatten(message)} for message in messages]
        except ValueError as error:
            case["error"] = str(error)
            cases.append(case)
            continue
        prompt = tokenizer.apply_chat_template(flattened, chat_template=template, tokenize=False,
                                               add_generation_prompt=True)
        case["add_generation_prompt"] = True
        case["flattened"] = [message["content"] for message in flattened]
        case["prompt"] = prompt
        case["token_ids"] = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        cases.append(case)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    document = {"template": str(TEMPLATE.relative_to(ROOT)), "placeholder": PLACEHOLDER, "image_url": IMAGE_URL,
                "cases": cases}
    OUT.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(cases)} cases")


if __name__ == "__main__":
    main()
