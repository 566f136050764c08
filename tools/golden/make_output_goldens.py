#!/usr/bin/env python3
"""Makes the output processor's goldens: token ids from the real Qwen3 tokenizer (HF tokenizers), the output text
from its real decode, and the non-streaming answer vLLM gives for it.

vLLM is not installed here, so its non-streaming rules are transcribed below from its sources (v0.11-era):
  - vllm/v1/engine/detokenizer.py check_stop_strings + the min_tokens / stop-token handling of update()
  - vllm/reasoning/qwen3_reasoning_parser.py and basic_parsers.py extract_reasoning (qwen3, deepseek_r1)
  - vllm/tool_parsers/hermes_tool_parser.py extract_tool_calls (real json.loads / json.dumps(ensure_ascii=False))
  - serving_chat: finish_reason "tool_calls" when tools were called; content/reasoning None when empty.
The detokenization is the real tokenizer's decode of growing prefixes (a trailing U+FFFD of an unfinished
character is not yet text, as in vLLM's incremental detokenizer). Cases avoid the corners where fovea's
chunking-invariant split differs from vLLM's (text before a generated <think>, a <think> after </think>).

Also tests/unit/output/data/python_json_cases.json: [json text, json.dumps(json.loads(text), ensure_ascii=False)]
pairs, the real Python serialization that vLLM uses for tool-call arguments.

Writes tests/unit/output/data/output_cases.json. Run: python3 tools/golden/make_output_goldens.py
"""
import json
import pathlib

from tokenizers import Tokenizer

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "unit" / "output" / "data" / "output_cases.json"
TOK = Tokenizer.from_file(str(ROOT / "tests" / "data" / "tokenizers" / "qwen3" / "tokenizer.json"))
IM_END = 151645
ENDOFTEXT = 151643

PROMPTS = {
    "plain": "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n",
    "think_open": "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n<think>\n",
    "think_closed": "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
}


def check_stop_strings(output_text, new_char_count, stop, include_in_output):
    if not new_char_count or not stop:
        return None
    for stop_str in stop:
        stop_string_len = len(stop_str)
        stop_index = output_text.find(stop_str, 1 - new_char_count - stop_string_len)
        if stop_index == -1:
            continue
        if include_in_output:
            stop_index += stop_string_len
            if stop_index >= len(output_text):
                return stop_str, -1
        return stop_str, stop_index
    return None


def detokenize(ids, finish, stop, include_stop, min_tokens, skip_special):
    """vLLM's detokenizer update, one token per step; returns (text, stop_string, stopped_at_step)."""
    text_ids = ids[:-1] if finish == "stop_token" and not include_stop else ids
    output_text = ""
    for step in range(len(ids)):
        prefix = TOK.decode(text_ids[: step + 1], skip_special_tokens=skip_special)
        if step + 1 < len(ids):
            prefix = prefix.rstrip("\ufffd")
        stop_check_offset = len(output_text)
        output_text = prefix if len(prefix) >= len(output_text) else output_text
        if min_tokens and step + 1 <= min_tokens:
            stop_check_offset = len(output_text)
        if stop and step + 1 > min_tokens:
            found = check_stop_strings(output_text, len(output_text) - stop_check_offset, stop, include_stop)
            if found is not None:
                stop_str, truncate_to = found
                if truncate_to != -1:
                    output_text = output_text[:truncate_to]
                return output_text, stop_str, step + 1
    return output_text, None, len(ids)


def extract_reasoning(parser, output, thinking_enabled, prompt_ends_reasoning):
    if prompt_ends_reasoning and parser == "qwen3" and not thinking_enabled:
        return None, output
    parts = output.partition("<think>")
    output = parts[2] if parts[1] else parts[0]
    if "</think>" in output:
        reasoning, _, content = output.partition("</think>")
        return reasoning, content or None
    if parser == "qwen3" and not thinking_enabled:
        return None, output
    return output, None


def extract_tool_calls(output):
    import re
    if "<tool_call>" not in output:
        return False, [], output
    try:
        matches = re.findall(r"<tool_call>(.*?)</tool_call>|<tool_call>(.*)", output, re.DOTALL)
        raw = [json.loads(m[0] if m[0] else m[1]) for m in matches]
        calls = []
        for call in raw:
            name = call["name"]
            if not isinstance(name, str):
                raise TypeError("name must be a string")
            calls.append({"name": name, "arguments": json.dumps(call["arguments"], ensure_ascii=False)})
        content = output[: output.find("<tool_call>")]
        return True, calls, content if content else None
    except Exception:  # noqa: BLE001 - vLLM catches everything here too
        return False, [], output


def make_case(name, text, prompt="plain", finish="stop_token", stop=(), include_stop=False, min_tokens=0,
              reasoning=None, enable_thinking=True, tools=False, skip_special=True, stream_diverges=False):
    """stream_diverges: vLLM's streaming hermes parser sends a call as soon as its name is readable, so a block
    that later proves invalid was already streamed as a call while the non-streaming answer keeps it as content."""
    ids = TOK.encode(text, add_special_tokens=False).ids
    if finish == "stop_token":
        ids = ids + [IM_END]
    prompt_ids = TOK.encode(PROMPTS[prompt], add_special_tokens=False).ids
    skip = skip_special and not tools
    out_text, stop_str, num_steps = detokenize(ids, finish, list(stop), include_stop, min_tokens, skip)
    ids = ids[:num_steps]
    if stop_str is not None:
        finish_reason, stop_reason = "stop", stop_str
    elif finish == "stop_token":
        finish_reason, stop_reason = "stop", None
    else:
        finish_reason, stop_reason = "length", None
    reasoning_text, content = None, out_text
    if reasoning:
        reasoning_text, content = extract_reasoning(reasoning, out_text, enable_thinking, prompt == "think_closed")
    tool_calls = []
    if tools:
        called, tool_calls, tool_content = extract_tool_calls(content or "")
        if called:
            content = tool_content
            finish_reason = "tool_calls"
    return {
        "name": name, "prompt_ids": prompt_ids, "token_ids": ids,
        "engine_finish": finish if stop_str is None else "none",
        "stop": list(stop), "include_stop_str_in_output": include_stop, "min_tokens": min_tokens,
        "skip_special_tokens": skip_special, "reasoning_parser": reasoning or "", "enable_thinking": enable_thinking,
        "tools": tools, "stream_diverges": stream_diverges,
        "expected": {"text": out_text, "reasoning": reasoning_text, "content": content, "tool_calls": tool_calls,
                     "finish_reason": finish_reason, "stop_string": stop_reason},
    }


def main():
    cases = [
        make_case("plain_eos", "Hello, world! Ça va? 你好，世界 🙂"),
        make_case("plain_length", "The quick brown fox jumps", finish="length"),
        make_case("special_kept", "a<|im_start|>b", finish="length", skip_special=False),
        make_case("special_skipped", "a<|im_start|>b", finish="length"),
        make_case("stop_string", "one two three four five", stop=["three"], finish="length"),
        make_case("stop_string_included", "one two three four five", stop=["three"], include_stop=True,
                  finish="length"),
        make_case("stop_first_in_list_wins", "alpha beta gamma delta", stop=["delta", "beta"], finish="length"),
        make_case("stop_across_tokens", "abcdefghijklmnop", stop=["fghij"], finish="length"),
        make_case("stop_unicode", "价格是 100 元，谢谢", stop=["元"], finish="length"),
        make_case("stop_not_found", "nothing to see", stop=["zzz", "seen"]),
        make_case("stop_min_tokens", "x x x x x x", stop=["x"], min_tokens=3, finish="length"),
        make_case("qwen3_generated_think", "<think>\nLet me think.\n</think>\n\nThe answer is 4.",
                  reasoning="qwen3"),
        make_case("qwen3_prompt_opened_think", "I should add.\n</think>\n\n2 + 2 = 4.", prompt="think_open",
                  reasoning="qwen3"),
        make_case("qwen3_truncated_reasoning", "Still thinking about", prompt="think_open", reasoning="qwen3",
                  finish="length"),
        make_case("qwen3_thinking_disabled", "Just the answer.", prompt="think_closed", reasoning="qwen3",
                  enable_thinking=False),
        make_case("qwen3_end_only", "</think>Content only.", prompt="think_open", reasoning="qwen3"),
        make_case("deepseek_r1_no_start", "reasoning here</think>final", reasoning="deepseek_r1"),
        make_case("deepseek_r1_with_start", "<think>r</think>", reasoning="deepseek_r1"),
        make_case("hermes_one_call",
                  '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris", "days": 3}}\n</tool_call>',
                  tools=True),
        make_case("hermes_content_then_two_calls",
                  'Let me check.\n<tool_call>\n{"name":"a","arguments":{"x":[1,2.5,1e-7,"é\\n"]}}\n</tool_call>\n'
                  '<tool_call>\n{"arguments": {"q": null, "b": true}, "name": "b"}\n</tool_call>', tools=True),
        make_case("hermes_invalid_json", 'Hi <tool_call>\n{"name": "a", "arguments": {]}\n</tool_call>', tools=True,
                  stream_diverges=True),
        make_case("hermes_missing_arguments", '<tool_call>{"name": "a"}</tool_call>', tools=True,
                  stream_diverges=True),
        make_case("hermes_unclosed_valid", '<tool_call>\n{"name": "f", "arguments": {"k": "v"}}', tools=True,
                  finish="length"),
        make_case("hermes_no_call", "Plain answer with <tool and stuff.", tools=True),
        make_case("qwen3_reasoning_then_tool",
                  '<think>\nNeed weather.\n</think>\n\n<tool_call>\n{"name": "w", "arguments": {}}\n</tool_call>',
                  reasoning="qwen3", tools=True),
        make_case("stop_inside_reasoning", "<think>abc STOP def</think>x", reasoning="qwen3", stop=["STOP"],
                  finish="length"),
    ]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(cases, ensure_ascii=False, indent=1) + "\n")
    print(f"wrote {len(cases)} cases to {OUT.relative_to(ROOT)}")
    texts = ['{"a":1,"b":[true,false,null],"c":"x"}', '[1.0, 2.50, 1e2, 1E-5, 0.0001, 123456789012345678, -0.0]',
             '{"f": [1e16, 1.5e16, 9999999999999998.0, 0.1, 1e-7, 3.141592653589793, -1e-310]}',
             '{"s": "\\u00e9\\n\\t\\"q\\" \\\\ \\u0001 \\u001f \\u007f é 🙂"}', '{"dup": 1, "x": 2, "dup": 3}',
             '{"nested": {"deep": [[], {}, [{}]]}}', '"just a string"', '-17', '{"big": 18446744073709551615}']
    pairs = []
    for text in texts:
        try:
            pairs.append([text, json.dumps(json.loads(text), ensure_ascii=False)])
        except (OverflowError, ValueError):
            continue
    out = OUT.parent / "python_json_cases.json"
    out.write_text(json.dumps(pairs, ensure_ascii=False, indent=1) + "\n")
    print(f"wrote {len(pairs)} cases to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
