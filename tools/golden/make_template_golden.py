#!/usr/bin/env python3
"""Reference renders of chat templates by HF transformers, for tests/golden/template/template_golden_test.cpp.

Writes tests/golden/template/:
  conversations.json   seeded random conversations (system/user/assistant/tool turns, tool definitions and calls
                       with arguments as JSON strings or objects, image/video content parts, <think> reasoning in
                       content and as reasoning_content, unicode and empty strings), each with its
                       add_generation_prompt and template kwargs (enable_thinking true/false/absent); "tools" is
                       null or a list of indices into tools.json
  tools.json           the tool definitions (JSON schemas) the conversations offer
  expected_<name>.json one entry per conversation: {"output": text} from tokenizer.apply_chat_template(...,
                       tokenize=False) with the template /work/shared/assets/chat-templates/<name>.jinja and the
                       bos/eos tokens of that model family, or {"error": "<Type>: message"} when the template raises
  inspect_messages.jinja  a template that prints what the template sees (messages after transformers' preprocessing:
                       None keys dropped, reasoning fields aliased; special tokens; kwargs), rendered like
                       the real ones into expected_inspect_messages.json
  snippets.json        small templates exercising one Jinja feature each (tools/golden/template_snippets.py),
                       rendered by the same sandboxed jinja2 environment transformers builds, all with the same
                       variables: {"variables": {...}, "snippets": [{"template", "output" | "error"}]}

and tests/golden/render/data/: inputs and expected stdout of `fovea render` on the model folders of
  tests/data/models (cases.json lists the arguments and either the expected output file or transformers' error;
  the reference is AutoTokenizer.from_pretrained(folder).apply_chat_template with the template transformers
  serves for the folder: the processor's where there is one, else the tokenizer's)

strftime_now is frozen at 2025-03-14 09:00:00 (the C++ test injects the same clock). Run, never hand-edit:

    python3 tools/golden/make_template_golden.py
"""
import datetime
import json
import pathlib
import random

import transformers
import transformers.utils.chat_template_utils as chat_template_utils
from transformers import AutoTokenizer

ROOT = pathlib.Path(__file__).resolve().parents[2]
ASSETS = ROOT.parent / "shared" / "assets"
OUT = ROOT / "tests" / "golden" / "template"
SEED = 20250314
NUM_CONVERSATIONS = 440

# Special tokens each family's tokenizer defines (None: the template sees bos_token undefined).
INSPECT_TEMPLATE = (
    "{{ messages }}\n{{ tools is none }} {{ documents }} {{ add_generation_prompt }} "
    "{{ bos_token is defined }} {{ bos_token }} {{ eos_token }} {{ enable_thinking }} {{ add_vision_id }}"
)

TEMPLATES = {
    "qwen3": {"bos_token": None, "eos_token": "<|im_end|>"},
    "qwen3-vl-style": {"bos_token": None, "eos_token": "<|im_end|>"},
    "deepseek-r1-distill-qwen": {"bos_token": "<｜begin▁of▁sentence｜>", "eos_token": "<｜end▁of▁sentence｜>"},
    "glm-4.6": {"bos_token": None, "eos_token": "<|endoftext|>"},
    "mistral-small-3.1": {"bos_token": "<s>", "eos_token": "</s>"},
    "inspect_messages": {"bos_token": "<s>", "eos_token": "</s>"},
}


class FrozenDateTime(datetime.datetime):
    @classmethod
    def now(cls, tz=None):
        return cls(2025, 3, 14, 9, 0, 0)


chat_template_utils.datetime = FrozenDateTime

WORDS = [
    "hello", "world", "weather", "Paris", "the", "a", "is", "what", "please", "thanks", "table", "data", "x",
    "42", "3.14", "-7", "naïve", "café", "Straße", "中文", "日本語", "한국어", "עברית", "العربية", "😀", "🚀🔥",
    "e\u0301", "\u200b", "tab\there", "line\nbreak", "  padded  ", "quote'single", 'quote"double', "back\\slash",
    "{{ not_a_var }}", "{% if %}", "<think>", "</think>", "<tool_call>", "<|im_start|>", "[INST]", "\u2028",
    "ΣΑΣ", "ǅ", "ﬁ", "\u00a0nbsp", "json:{\"k\": [1, 2]}",
]

TOOLS = [
    {"type": "function", "function": {"name": "get_weather", "description": "Get the current weather in a city.",
                                      "parameters": {"type": "object", "properties": {
                                          "city": {"type": "string", "description": "City name, e.g. Paris"},
                                          "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
                                          "required": ["city"]}}},
    {"type": "function", "function": {"name": "search", "description": "Search the web — returns top results 🔍",
                                      "parameters": {"type": "object", "properties": {
                                          "query": {"type": "string"},
                                          "max_results": {"type": "integer", "minimum": 1, "default": 5}},
                                          "required": ["query"]}}},
    {"type": "function", "function": {"name": "calculator", "description": "Evaluate 'math' expressions.",
                                      "parameters": {"type": "object", "properties": {
                                          "expression": {"type": "string"},
                                          "precision": {"type": "number", "default": 0.001}}},
                                      "return": {"type": "number"}}},
    {"type": "function", "function": {"name": "book_flight", "description": "",
                                      "parameters": {"type": "object", "properties": {
                                          "legs": {"type": "array", "items": {"type": "object", "properties": {
                                              "from": {"type": "string"}, "to": {"type": "string"}}}},
                                          "flexible": {"type": "boolean"}, "notes": {"type": ["string", "null"]}},
                                          "required": []}}},
]


def write_json_list(path, items):
    """A JSON list with one compact item per line: small, and a regenerated fixture diffs item by item."""
    lines = [json.dumps(item, ensure_ascii=False, separators=(",", ":")) for item in items]
    path.write_text("[\n" + ",\n".join(lines) + "\n]\n")


def text(rng, max_words=8):
    if rng.random() < 0.07:
        return ""
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, max_words)))


def call_id(rng):
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return "".join(rng.choice(alphabet) for _ in range(rng.choice([9, 9, 12, 24])))


def tool_arguments(rng, name, as_string):
    args = {
        "get_weather": {"city": rng.choice(["Paris", "東京", "São Paulo", ""]), "unit": "celsius"},
        "search": {"query": text(rng, 4), "max_results": rng.randint(1, 10)},
        "calculator": {"expression": "2*(3+4)", "precision": rng.choice([0.5, 1e-05, 2.0, 100])},
        "book_flight": {"legs": [{"from": "CDG", "to": "NRT"}], "flexible": rng.random() < 0.5, "notes": None},
    }[name]
    if as_string:
        return json.dumps(args, ensure_ascii=rng.random() < 0.5)
    return args


def user_content(rng, multimodal):
    if not multimodal or rng.random() < 0.4:
        return text(rng)
    parts = []
    for _ in range(rng.randint(1, 4)):
        kind = rng.choice(["text", "text", "image_url", "image", "video"])
        if kind == "text":
            parts.append({"type": "text", "text": text(rng)})
        elif kind == "image_url":
            parts.append({"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}})
        elif kind == "image":
            parts.append({"type": "image", "image": "file:///tmp/photo.jpg"})
        else:
            parts.append({"type": "video", "video": "file:///tmp/clip.mp4"})
    return parts


def assistant_message(rng, tools, arguments_as_string):
    message = {"role": "assistant"}
    style = rng.random()
    body = text(rng)
    if style < 0.2:
        body = "<think>\n" + text(rng) + "\n</think>\n\n" + body
    elif style < 0.35:
        message["reasoning_content"] = text(rng)
    elif style < 0.4:
        body = text(rng) + "</think>" + body
    message["content"] = body
    if tools and rng.random() < 0.4:
        calls = []
        for _ in range(rng.randint(1, 2)):
            tool = rng.choice(tools)["function"]["name"]
            calls.append({"id": call_id(rng), "type": "function",
                          "function": {"name": tool, "arguments": tool_arguments(rng, tool, arguments_as_string)}})
        message["tool_calls"] = calls
        if rng.random() < 0.3:
            message["content"] = None if rng.random() < 0.4 else ""
    return message


def conversation(rng, index):
    multimodal = index % 6 == 1  # text-only templates refuse content lists, so a minority
    strict = index % 5 == 0  # strictly alternating, no tools: the shape Mistral's template accepts
    tools = None if strict or rng.random() < 0.5 else rng.sample(TOOLS, rng.randint(1, 2))
    # Per conversation: templates either print a string (DeepSeek) or iterate a mapping (GLM).
    arguments_as_string = rng.random() < 0.6
    messages = []
    if rng.random() < 0.5:
        content = text(rng, 12)
        if multimodal and rng.random() < 0.3:
            content = [{"type": "text", "text": content}]
        messages.append({"role": "system", "content": content})
    for _ in range(rng.randint(1, 4)):
        messages.append({"role": "user", "content": user_content(rng, multimodal)})
        if rng.random() < 0.15 and not strict:
            break
        assistant = assistant_message(rng, tools, arguments_as_string)
        messages.append(assistant)
        for call in assistant.get("tool_calls", []):
            result = text(rng) if rng.random() < 0.7 else json.dumps({"temperature": 21.5, "unit": "°C"})
            messages.append({"role": "tool", "tool_call_id": call["id"], "name": call["function"]["name"],
                             "content": result})
        if assistant.get("tool_calls"):
            messages.append(assistant_message(rng, None, arguments_as_string))
    if strict and messages[-1]["role"] == "assistant" and rng.random() < 0.5:
        messages.append({"role": "user", "content": text(rng)})
    if index % 12 == 4:  # out-of-order roles: templates that enforce alternation must refuse these
        position = rng.randrange(len(messages) + 1)
        messages.insert(position, {"role": rng.choice(["user", "assistant", "system"]), "content": text(rng)})
    if index % 6 == 2:  # None values (dropped by transformers) and the older names of reasoning_content
        message = rng.choice(messages)
        message[rng.choice(["name", "tool_calls", "reasoning_content", "content"])] = None
        if rng.random() < 0.5:
            message[rng.choice(["thinking", "reasoning"])] = text(rng)
    kwargs = rng.choice([{}, {"enable_thinking": True}, {"enable_thinking": False}])
    if multimodal and rng.random() < 0.3:
        kwargs["add_vision_id"] = True
    return {"messages": messages, "tools": tools, "add_generation_prompt": rng.random() < 0.6, "kwargs": kwargs}


def render_conversations(tokenizer, conversations):
    for name, tokens in TEMPLATES.items():
        if name == "inspect_messages":
            template = INSPECT_TEMPLATE
            (OUT / "inspect_messages.jinja").write_text(template)
        else:
            template = (ASSETS / "chat-templates" / f"{name}.jinja").read_text()
        special = {key: value for key, value in tokens.items() if value is not None}
        results = []
        for conv in conversations:
            try:
                output = tokenizer.apply_chat_template(
                    conv["messages"], tools=conv["tools"], chat_template=template, tokenize=False,
                    add_generation_prompt=conv["add_generation_prompt"], **special, **conv["kwargs"])
                results.append({"output": output})
            except Exception as error:  # the template raised: record what the C++ engine must also refuse
                results.append({"error": f"{type(error).__name__}: {error}"})
        write_json_list(OUT / f"expected_{name}.json", results)
        ok = sum("output" in r for r in results)
        print(f"{name}: {ok} rendered, {len(results) - ok} raised")


RENDER_OUT = ROOT / "tests" / "golden" / "render" / "data"

# Inputs of `fovea render`: a chat request object (messages + tools), plain message lists, a tools file.
RENDER_INPUTS = {
    "request.json": {
        "messages": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "What's the weather in Paris? Réponds en français 🌦"},
            {"role": "assistant", "content": "", "reasoning_content": "Need the weather tool.",
             "tool_calls": [{"id": "call_0", "type": "function",
                             "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
            {"role": "tool", "tool_call_id": "call_0", "content": "{\"temperature\": 21.5}"},
            {"role": "assistant", "content": "<think>\nIt is mild.\n</think>\n\nIl fait 21,5 °C."},
            {"role": "user", "content": "Merci !"},
        ],
        "tools": [TOOLS[0]],
    },
    "text_messages.json": [
        {"role": "user", "content": "Find flights to Tokyo, then compute 2*(3+4)."},
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "call_1", "type": "function",
             "function": {"name": "calculator", "arguments": "{\"expression\": \"2*(3+4)\"}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "14"},
    ],
    "tools.json": [TOOLS[2], TOOLS[3]],
    "vl_messages.json": [
        {"role": "system", "content": [{"type": "text", "text": "Describe images tersely."}]},
        {"role": "user", "content": [{"type": "image", "image": "cat.png"},
                                     {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                                     {"type": "text", "text": "Describe these images."}]},
        {"role": "assistant", "content": "A cat on a sofa, then a black square."},
        {"role": "user", "content": [{"type": "video", "video": "clip.mp4"}, {"type": "text", "text": "And this?"}]},
    ],
    "empty_messages.json": [],
}

# name, model folder, messages file (None: stdin), stdin file, add_generation_prompt, kwargs, tools file, template
RENDER_CASES = [
    ("qwen3_tiny_request_tools", "qwen3-tiny", "request.json", None, True, {}, None, None),
    ("qwen3_tiny_no_thinking", "qwen3-tiny", "request.json", None, True, {"enable_thinking": False}, None, None),
    ("qwen3_tiny_no_generation_prompt", "qwen3-tiny", "request.json", None, False, {}, None, None),
    ("qwen3_tiny_tools_file", "qwen3-tiny", "text_messages.json", None, True, {"enable_thinking": True},
     "tools.json", None),
    ("qwen3_tiny_stdin_explicit_template", "qwen3-tiny", None, "request.json", True, {"add_vision_id": True}, None,
     "tests/golden/template/inspect_messages.jinja"),
    ("qwen3_vl_tiny_images", "qwen3-vl-tiny", "vl_messages.json", None, True, {}, None, None),
    ("qwen3_vl_tiny_vision_ids", "qwen3-vl-tiny", "vl_messages.json", None, False, {"add_vision_id": True}, None,
     None),
    ("qwen3_vl_tiny_legacy_images", "qwen3-vl-tiny-legacy", "vl_messages.json", None, True, {}, None, None),
    ("qwen3_vl_tiny_legacy_tools", "qwen3-vl-tiny-legacy", "request.json", None, True, {}, None, None),
    ("qwen3_tiny_refuses_content_lists", "qwen3-tiny", "vl_messages.json", None, True, {}, None, None),
    ("qwen3_tiny_refuses_empty", "qwen3-tiny", "empty_messages.json", None, True, {}, None, None),
]


def folder_template(folder):
    """The template transformers serves for a folder: the processor's (chat_template.json / .jinja) where the
    folder has one, as vLLM and AutoProcessor do, else the tokenizer's (tokenizer_config.json)."""
    tokenizer = AutoTokenizer.from_pretrained(folder)
    if (folder / "preprocessor_config.json").exists():
        return tokenizer, transformers.AutoProcessor.from_pretrained(folder).chat_template
    return tokenizer, tokenizer.chat_template


def make_render_goldens():
    """Cases for tests/golden/render: fovea render's arguments, and transformers' output or error."""
    RENDER_OUT.mkdir(parents=True, exist_ok=True)
    for file_name, content in RENDER_INPUTS.items():
        (RENDER_OUT / file_name).write_text(json.dumps(content, ensure_ascii=False, indent=1) + "\n")
    rel = RENDER_OUT.relative_to(ROOT).as_posix()
    cases = []
    for name, folder, messages_file, stdin_file, generation_prompt, kwargs, tools_file, template_file in RENDER_CASES:
        tokenizer, template = folder_template(ROOT / "tests" / "data" / "models" / folder)
        if template_file is not None:
            template = (ROOT / template_file).read_text()
        content = RENDER_INPUTS[messages_file or stdin_file]
        messages = content["messages"] if isinstance(content, dict) else content
        tools = content.get("tools") if isinstance(content, dict) else None
        if tools_file is not None:
            tools = RENDER_INPUTS[tools_file]
        args = ["--model", f"tests/data/models/{folder}", "--messages",
                f"{rel}/{messages_file}" if messages_file else "-"]
        if not generation_prompt:
            args.append("--no-generation-prompt")
        if kwargs:
            args += ["--kwargs", json.dumps(kwargs)]
        if tools_file is not None:
            args += ["--tools", f"{rel}/{tools_file}"]
        if template_file is not None:
            args += ["--chat-template", template_file]
        case = {"name": name, "args": args, "stdin": f"{rel}/{stdin_file}" if stdin_file else ""}
        try:
            output = tokenizer.apply_chat_template(messages, tools=tools, chat_template=template, tokenize=False,
                                                   add_generation_prompt=generation_prompt, **kwargs)
            (RENDER_OUT / f"{name}.txt").write_text(output)
            case["expected"] = f"{rel}/{name}.txt"
        except Exception as error:  # fovea must fail too; messages of raise_exception and ValueError are kept
            case["error"] = f"{type(error).__name__}: {error}"
            case["error_contains"] = str(error) if type(error).__name__ in ("ValueError", "TemplateError") else ""
        cases.append(case)
    (RENDER_OUT / "cases.json").write_text(json.dumps(cases, ensure_ascii=False, indent=1) + "\n")
    print(f"render: {len(cases)} fovea render cases ({sum('error' in c for c in cases)} refused)")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    rng = random.Random(SEED)
    conversations = [conversation(rng, index) for index in range(NUM_CONVERSATIONS)]
    # Tool definitions are stored once (tools.json); a conversation names its tools by index.
    write_json_list(OUT / "tools.json", TOOLS)
    write_json_list(OUT / "conversations.json", [
        dict(conv, tools=None if conv["tools"] is None else [TOOLS.index(tool) for tool in conv["tools"]])
        for conv in conversations])
    tokenizer = AutoTokenizer.from_pretrained(ASSETS / "qwen3-tokenizer")
    render_conversations(tokenizer, conversations)
    make_render_goldens()
    from template_snippets import SNIPPET_TEMPLATES, SNIPPET_VARIABLES  # noqa: E402  (next to this script)
    snippets = []
    for template in SNIPPET_TEMPLATES:
        entry = {"template": template}
        try:
            entry["output"] = chat_template_utils._cached_compile_jinja_template(template).render(**SNIPPET_VARIABLES)
        except Exception as error:
            entry["error"] = f"{type(error).__name__}: {error}"
        snippets.append(entry)
    fixture = {"variables": SNIPPET_VARIABLES, "snippets": snippets}
    (OUT / "snippets.json").write_text(json.dumps(fixture, ensure_ascii=False, indent=0) + "\n")
    print(f"snippets: {len(snippets)} ({sum('error' in s for s in snippets)} raise); transformers "
          f"{transformers.__version__}")


if __name__ == "__main__":
    main()
