"""`fovea serve` start-up flags on the bundled tiny Qwen3-VL checkpoint: the start-up log, --chat-template (a file
and an inline template), --seed (unseeded sampling repeats across restarts), --max-model-len auto, --load-format
dummy, prompts longer than max-model-len (400 context_length_exceeded), --device cuda where there is none, and
output parsers whose tokens the tokenizer lacks (refused at start-up).

Each test starts its own servers (the flags differ); the tiny model loads in well under a second.
"""
import json
import re
import shutil
import subprocess
import time

import pytest
import requests

from conftest import MODEL_DIR, MODEL_NAME, Server, fovea_binary

KV_LINE = re.compile(
    r"KV cache: (\d+) tokens \((\d+) blocks\); maximum concurrency for (\d+) tokens per request: (\d+\.\d\d)x$")
# The tiny checkpoint's text config: 3 layers, 2 KV heads of 16 dims; the tests run it in float32.
KV_BYTES_PER_TOKEN = 3 * 2 * 2 * 16 * 4
BLOCK_TOKENS = 16
MODEL_MAX_POSITIONS = 4096


@pytest.fixture
def start():
    servers = []

    def make(*args):
        server = Server(list(args))
        servers.append(server)
        return server.wait_ready()

    yield make
    for server in servers:
        server.stop()


def log_value(server, prefix):
    for line in server.log:
        index = line.find(prefix)
        if index >= 0:
            return line[index + len(prefix):].strip()
    raise AssertionError(f"no '{prefix}' line in the log:\n" + "\n".join(server.log[-30:]))


def kv_line(server):
    for line in server.log:
        match = KV_LINE.search(line)
        if match:
            return tuple(int(group) for group in match.groups()[:3]) + (float(match.group(4)),)
    raise AssertionError("no KV cache line in the log:\n" + "\n".join(server.log[-30:]))


def chat(server, content, **fields):
    body = {"model": MODEL_NAME, "messages": [{"role": "user", "content": content}], **fields}
    return requests.post(server.url + "/v1/chat/completions", json=body, timeout=60)


def test_startup_log_names_the_facts_issue_4_lists(start):
    server = start("--num-gpu-blocks-override", "100")
    assert log_value(server, "architecture: ") == "Qwen3VLForConditionalGeneration"
    assert log_value(server, "quantization: ") == "none"
    assert log_value(server, "dtype: ") == "float32"
    assert log_value(server, "KV cache dtype: ") == "float32"
    assert log_value(server, "device: ") == "cpu"
    assert re.fullmatch(r"\d+\.\d\d s", log_value(server, "model loaded in "))
    assert log_value(server, "listening on ") == server.url
    # 100 blocks of 16 tokens; one 1024-token request needs 64 of them.
    assert kv_line(server) == (1600, 100, 1024, 1.56)


def test_kv_cache_memory_bytes_gives_whole_blocks(start):
    block_bytes = KV_BYTES_PER_TOKEN * BLOCK_TOKENS
    server = start("--kv-cache-memory-bytes", str(block_bytes * 70 + block_bytes // 2))
    assert kv_line(server)[:3] == (70 * BLOCK_TOKENS, 70, 1024)


def test_max_model_len_auto_shortens_to_what_the_cache_holds(start):
    block_bytes = KV_BYTES_PER_TOKEN * BLOCK_TOKENS
    server = start("--max-model-len", "auto", "--kv-cache-memory-bytes", str(block_bytes * 40))
    assert kv_line(server) == (640, 40, 640, 1.00)
    tokenized = requests.post(server.url + "/tokenize", json={"model": MODEL_NAME, "prompt": "hi"}, timeout=10).json()
    assert tokenized["max_model_len"] == 640
    models = requests.get(server.url + "/v1/models", timeout=10).json()
    assert models["data"][0]["max_model_len"] == 640


def test_max_model_len_auto_keeps_the_model_length_when_it_fits(start):
    server = start("--max-model-len", "-1")
    assert kv_line(server)[2] == MODEL_MAX_POSITIONS


def test_max_model_len_longer_than_the_cache_is_refused():
    block_bytes = KV_BYTES_PER_TOKEN * BLOCK_TOKENS
    args = [fovea_binary(), "serve", str(MODEL_DIR), "--device", "cpu", "--dtype", "float32", "--port", "0",
            "--max-model-len", "1024", "--kv-cache-memory-bytes", str(block_bytes * 10)]
    result = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "fovea: error:" in result.stderr
    assert "--max-model-len 160 or less (or auto)" in result.stderr


def test_prompt_longer_than_max_model_len_is_context_length_exceeded(start):
    server = start("--max-model-len", "64")
    res = chat(server, "hello " * 100, max_tokens=4)
    assert res.status_code == 400, res.text
    assert res.json()["error"]["code"] == "context_length_exceeded"
    assert "64" in res.json()["error"]["message"]
    # The prompt fits but the requested output does not.
    res = chat(server, "hello", max_tokens=200)
    assert res.status_code == 400, res.text
    assert res.json()["error"]["code"] == "context_length_exceeded"
    res = requests.post(server.url + "/v1/completions", json={"model": MODEL_NAME, "prompt": "hello " * 100},
                        timeout=60)
    assert res.status_code == 400, res.text
    assert res.json()["error"]["code"] == "context_length_exceeded"
    assert chat(server, "hello", max_tokens=4).status_code == 200
    assert requests.get(server.url + "/health", timeout=5).status_code == 200


def rendered_ids(server, content):
    body = {"model": MODEL_NAME, "messages": [{"role": "user", "content": content}]}
    return requests.post(server.url + "/tokenize", json=body, timeout=10).json()["tokens"]


def text_ids(server, text):
    body = {"model": MODEL_NAME, "prompt": text, "add_special_tokens": False}
    return requests.post(server.url + "/tokenize", json=body, timeout=10).json()["tokens"]


@pytest.mark.parametrize("form", ["file", "inline"])
def test_chat_template_replaces_the_models(start, tmp_path, form):
    # The marker makes the rendered prompt far longer than the model's own template would, so prompt_tokens tells
    # which template the engine rendered.
    marker = "OVERRIDE-MARKER " * 20
    template = marker + "{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }}\n{% endfor %}ANSWER:"
    if form == "file":
        path = tmp_path / "template.jinja"
        path.write_text(template)
        value = str(path)
    else:
        # vLLM decodes backslash escapes of an inline template: "\\n" on the command line is a line break.
        value = template.replace("\n", "\\n")
    server = start("--chat-template", value)
    expected = text_ids(server, marker + "[user] bonjour\nANSWER:")
    assert len(expected) > 60
    assert rendered_ids(server, "bonjour") == expected
    res = chat(server, "bonjour", max_tokens=2, temperature=0)
    assert res.status_code == 200, res.text
    assert res.json()["usage"]["prompt_tokens"] == len(expected)
    streamed = chat(server, "bonjour", max_tokens=2, temperature=0, stream=True,
                    stream_options={"include_usage": True})
    usage = [json.loads(line[6:])["usage"] for line in streamed.text.splitlines()
             if line.startswith("data: {") and json.loads(line[6:]).get("usage")]
    assert usage and usage[-1]["prompt_tokens"] == len(expected), streamed.text


def test_chat_template_that_is_neither_a_file_nor_a_template_is_refused():
    args = [fovea_binary(), "serve", str(MODEL_DIR), "--device", "cpu", "--port", "0",
            "--chat-template", "/no/such/template.jinja"]
    result = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "--chat-template" in result.stderr


def sampled_texts(server):
    texts = []
    for _ in range(3):
        res = chat(server, "Tell me a story.", max_tokens=12, temperature=1.0)
        assert res.status_code == 200, res.text
        texts.append(res.json()["choices"][0]["message"]["content"])
    return texts


def test_seed_makes_unseeded_sampling_repeat_across_restarts(start):
    first = start("--seed", "7")
    texts = sampled_texts(first)
    first.stop()
    second = start("--seed", "7")
    assert sampled_texts(second) == texts
    second.stop()
    other = start("--seed", "8")
    assert sampled_texts(other) != texts
    # Requests of one server still draw different seeds.
    assert len(set(texts)) > 1


def test_load_format_dummy_serves_random_weights(start):
    real = start("--seed", "3")
    dummy = start("--load-format", "dummy", "--seed", "3")
    assert "dummy" in log_value(dummy, "weights: ")
    body = {"model": MODEL_NAME, "prompt": "The capital of France is", "max_tokens": 8, "temperature": 0}
    real_res = requests.post(real.url + "/v1/completions", json=body, timeout=60)
    dummy_res = requests.post(dummy.url + "/v1/completions", json=body, timeout=60)
    assert real_res.status_code == 200 and dummy_res.status_code == 200, dummy_res.text
    assert dummy_res.json()["usage"]["completion_tokens"] >= 1
    assert dummy_res.json()["choices"][0]["text"] != real_res.json()["choices"][0]["text"]
    again = start("--load-format", "dummy", "--seed", "3")
    assert requests.post(again.url + "/v1/completions", json=body, timeout=60).json()["choices"][0]["text"] == \
        dummy_res.json()["choices"][0]["text"]


def checkpoint_without_tokens(tmp_path, renames):
    """The tiny checkpoint with some added tokens renamed (ids kept), so its tokenizer lacks them."""
    folder = tmp_path / "model"
    shutil.copytree(MODEL_DIR, folder)
    tokenizer = json.loads((folder / "tokenizer.json").read_text())
    for token in tokenizer["added_tokens"]:
        token["content"] = renames.get(token["content"], token["content"])
    kept = {token["content"] for token in tokenizer["added_tokens"]} | set(tokenizer["model"]["vocab"])
    assert not set(renames) & kept
    (folder / "tokenizer.json").write_text(json.dumps(tokenizer))
    return folder


def one_error_line(args):
    result = subprocess.run([fovea_binary(), "serve", *map(str, args), "--port", "0"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("fovea: error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


@pytest.mark.parametrize("flags,renames,needed", [
    (["--reasoning-parser", "qwen3"], {"<think>": "<thinq>", "</think>": "</thinq>"}, "<think>"),
    (["--enable-auto-tool-choice", "--tool-call-parser", "hermes"],
     {"<tool_call>": "<tool_kall>", "</tool_call>": "</tool_kall>"}, "<tool_call>"),
])
def test_output_parser_without_its_tokens_refuses_to_start(tmp_path, flags, renames, needed):
    error = one_error_line([checkpoint_without_tokens(tmp_path, renames), "--device", "cpu", *flags])
    assert flags[-2] in error and needed in error and "drop the flag" in error


def test_output_parsers_start_on_a_tokenizer_with_their_tokens(start):
    server = start("--reasoning-parser", "deepseek_r1", "--enable-auto-tool-choice", "--tool-call-parser", "hermes")
    assert chat(server, "hello", max_tokens=2).status_code == 200


def machine_has_gpu():
    try:
        return subprocess.run(["nvidia-smi", "-L"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def test_device_cuda_without_a_gpu_says_what_to_do():
    if machine_has_gpu():
        pytest.skip("this machine has a GPU")
    # The engine fails before the HTTP thread listens: the server must still stop it and exit (it once hung here).
    for _ in range(5):
        started = time.monotonic()
        assert "--device cpu" in one_error_line([MODEL_DIR, "--device", "cuda"])
        assert time.monotonic() - started < 30
