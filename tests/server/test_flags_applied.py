"""The vLLM serve flags that change what the server does, checked on the real binary: --enable-log-requests with
--max-log-len (request log lines), the periodic stats line and --disable-log-stats, --enable-request-id-headers
(X-Request-Id on every answer), --enable-prompt-tokens-details, --enable-force-include-usage, --uvicorn-log-level
(the HTTP access lines) and --chat-template-content-format (auto on the Qwen3-VL and the text-only Qwen3
template)."""
import re
import time

import pytest
import requests

from conftest import MODEL_DIR, MODEL_NAME, ROOT, Server

QWEN3_TEXT_DIR = ROOT / "tests/golden/model/data/checkpoints/qwen3-tiny"
STATS_ENV = {"VLLM_LOG_STATS_INTERVAL": "0.3"}
ACCESS_RE = re.compile(r'127\.0\.0\.1:\d+ - "GET /v1/models HTTP/1\.1" 200 OK')
LONG_PROMPT = "The quick brown fox jumps over the lazy dog. " * 12


def wait_for_line(server, pattern, timeout_s=10.0):
    """The first log line matching `pattern` (a regex), waiting for the log reader."""
    regex = re.compile(pattern)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for line in list(server.log):
            if regex.search(line):
                return line
        time.sleep(0.05)
    raise AssertionError(f"no log line matches {pattern!r}:\n" + "\n".join(server.log[-30:]))


@pytest.fixture(scope="module")
def server_args():
    return ["--enable-log-requests", "--max-log-len", "12", "--enable-request-id-headers",
            "--enable-prompt-tokens-details", "--enable-force-include-usage"]


@pytest.fixture(scope="module")
def server(server_args):
    srv = Server(server_args, env=STATS_ENV)
    try:
        yield srv.wait_ready()
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def quiet_server():
    srv = Server(["--disable-log-stats", "--uvicorn-log-level", "warning"], env=STATS_ENV)
    try:
        yield srv.wait_ready()
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def text_server():
    srv = Server([], model_args=[str(QWEN3_TEXT_DIR), "--served-model-name", MODEL_NAME, "--dtype", "float32",
                                 "--max-model-len", "1024"])
    try:
        yield srv.wait_ready()
    finally:
        srv.stop()


def test_request_log_has_received_and_outcome_lines(server, client):
    raw = client.chat.completions.with_raw_response.create(
        model=MODEL_NAME, messages=[{"role": "user", "content": "please describe the weather"}], max_tokens=3,
        temperature=0)
    answer = raw.parse()
    received = wait_for_line(server, rf"Received request {re.escape(answer.id)}: ")
    # --max-log-len 12: the messages JSON is cut to 12 characters, so the text itself is not logged.
    assert 'messages: [{"role":"us, params: ' in received, received
    assert "SamplingParams(n=1, temperature=0.0, max_tokens=3)" in received, received
    assert received.endswith("images: 0"), received
    finished = wait_for_line(server, rf"Finished request {re.escape(answer.id)}: ")
    assert re.search(r"finish_reason: (length|stop), prompt_tokens: \d+, completion_tokens: [1-3], cached_tokens: "
                     r"\d+, elapsed: \d+\.\d{3} s$", finished), finished
    # A refused request gets an outcome line too.
    bad = requests.post(server.url + "/v1/chat/completions", json={"model": MODEL_NAME, "messages": []}, timeout=10)
    assert bad.status_code == 400
    wait_for_line(server, rf"Failed request {re.escape(bad.headers['X-Request-Id'])}: 400 invalid_request_error")


def test_request_id_header_on_json_stream_and_errors(server, client):
    raw = client.chat.completions.with_raw_response.create(
        model=MODEL_NAME, messages=[{"role": "user", "content": "hi"}], max_tokens=2,
        extra_headers={"X-Request-Id": "trace-abc"})
    assert raw.headers["X-Request-Id"] == "trace-abc"
    assert raw.parse().id == "chatcmpl-trace-abc"
    plain = client.completions.with_raw_response.create(model=MODEL_NAME, prompt="hi", max_tokens=2)
    assert plain.headers["X-Request-Id"] == plain.parse().id
    body = {"model": MODEL_NAME, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2, "stream": True}
    stream = requests.post(server.url + "/v1/chat/completions", json=body, headers={"X-Request-Id": "s-1"},
                           timeout=30)
    assert stream.headers["X-Request-Id"] == "s-1"
    assert '"id":"chatcmpl-s-1"' in stream.text
    missing = requests.get(server.url + "/v2/none", headers={"X-Request-Id": "e-1"}, timeout=10)
    assert missing.status_code == 404 and missing.headers["X-Request-Id"] == "e-1"
    generated = requests.get(server.url + "/v1/models", headers={"X-Request-Id": "x" * 500}, timeout=10)
    assert re.fullmatch(r"[0-9a-f]{32}", generated.headers["X-Request-Id"])


def test_prompt_tokens_details_report_prefix_cache_hits(client):
    messages = [{"role": "user", "content": LONG_PROMPT}]
    first = client.chat.completions.create(model=MODEL_NAME, messages=messages, max_tokens=1)
    second = client.chat.completions.create(model=MODEL_NAME, messages=messages, max_tokens=1)
    assert first.usage.prompt_tokens_details is not None
    cached = second.usage.prompt_tokens_details.cached_tokens
    # Whole 16-token blocks of the repeated prompt come from the prefix cache.
    assert 16 <= cached < second.usage.prompt_tokens and cached % 16 == 0, second.usage


def test_force_include_usage_puts_usage_in_every_stream(client):
    chunks = list(client.chat.completions.create(model=MODEL_NAME, messages=[{"role": "user", "content": "hi"}],
                                                 max_tokens=2, stream=True))
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 2
    completion_chunks = list(client.completions.create(model=MODEL_NAME, prompt="hi", max_tokens=2, stream=True))
    assert completion_chunks[-1].usage is not None


def test_periodic_stats_line_while_there_is_traffic(server, client):
    client.completions.create(model=MODEL_NAME, prompt=LONG_PROMPT, max_tokens=4)
    line = wait_for_line(server, r"Engine 000: Avg prompt throughput: [1-9]")
    assert re.search(r"Avg generation throughput: \d+\.\d tokens/s, Running: \d+ reqs, Waiting: \d+ reqs, "
                     r"GPU KV cache usage: \d+\.\d%, Prefix cache hit rate: \d+\.\d%$", line), line


def test_access_line_per_request_at_info(server):
    requests.get(server.url + "/v1/models", timeout=10)
    wait_for_line(server, ACCESS_RE.pattern)


def test_auto_content_format_is_openai_for_the_qwen3_vl_template(server):
    wait_for_line(server, r"Detected the chat template content format to be 'openai'")


def test_quiet_server_has_no_stats_access_or_request_lines(quiet_server):
    body = {"model": MODEL_NAME, "prompt": LONG_PROMPT, "max_tokens": 4}
    answer = requests.post(quiet_server.url + "/v1/completions", json=body, timeout=60)
    assert answer.status_code == 200
    assert "X-Request-Id" not in answer.headers
    requests.get(quiet_server.url + "/v1/models", timeout=10)
    time.sleep(1.0)  # a few stats intervals
    log = "\n".join(quiet_server.log)
    assert "Avg prompt throughput" not in log
    assert not ACCESS_RE.search(log)
    assert "Received request" not in log


def test_auto_content_format_is_string_for_the_qwen3_text_template(text_server):
    wait_for_line(text_server, r"Detected the chat template content format to be 'string'")

    def chat_tokens(content):
        body = {"model": MODEL_NAME, "messages": [{"role": "user", "content": content}]}
        res = requests.post(text_server.url + "/tokenize", json=body, timeout=10)
        assert res.status_code == 200, res.text
        return res.json()["tokens"]

    # The text-only template reads content as a string: parts are joined with newlines first, as vLLM does.
    parts = [{"type": "text", "text": "Hello"}, {"type": "text", "text": "world"}]
    assert chat_tokens(parts) == chat_tokens("Hello\nworld")
    res = requests.post(text_server.url + "/v1/chat/completions",
                        json={"model": MODEL_NAME, "messages": [{"role": "user", "content": parts}], "max_tokens": 2},
                        timeout=60)
    assert res.status_code == 200, res.text
    assert res.json()["usage"]["prompt_tokens"] == len(chat_tokens("Hello\nworld"))
