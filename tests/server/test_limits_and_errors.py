"""Errors and limits of `fovea serve` over raw HTTP: API keys, >= 40 bad inputs each answered with the right 4xx
and an OpenAI error body free of paths and addresses (while /health stays 200), the full queue (503 with
Retry-After), prompts longer than --max-model-len, and SIGTERM draining."""
import json
import re
import signal
import socket
import time

import pytest
import requests

from conftest import MODEL_DIR, MODEL_NAME, Server

KEY = "sk-test-key-1"
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="module")
def server_args():
    return ["--api-key", KEY, "--api-key", "sk-second", "--max-num-seqs", "1", "--max-queue-len", "1",
            "--max-model-len", "256", "--max-request-body-bytes", "200000", "--max-logprobs", "5"]


def chat(**fields):
    return {"model": MODEL_NAME, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2, **fields}


BAD_REQUESTS = [
    # (name, method, path, body (dict, or bytes sent raw), status, code or None)
    ("not_json", "POST", "/v1/chat/completions", b"{not json", 400, "invalid_json"),
    ("json_array", "POST", "/v1/chat/completions", b"[1, 2]", 400, "invalid_json"),
    ("empty_body", "POST", "/v1/chat/completions", b"", 400, "invalid_json"),
    ("deep_json", "POST", "/v1/chat/completions", b"[" * 100 + b"]" * 100, 400, "invalid_json"),
    ("bad_utf8", "POST", "/v1/chat/completions", b'{"messages": [{"role": "user", "content": "\xff\xfe"}]}', 400, None),
    ("no_messages", "POST", "/v1/chat/completions", {"model": MODEL_NAME}, 400, None),
    ("messages_not_list", "POST", "/v1/chat/completions", {"messages": "hi"}, 400, None),
    ("empty_messages", "POST", "/v1/chat/completions", {"messages": []}, 400, None),
    ("bad_role", "POST", "/v1/chat/completions", {"messages": [{"role": "robot", "content": "x"}]}, 400, None),
    ("content_number", "POST", "/v1/chat/completions", {"messages": [{"role": "user", "content": 5}]}, 400, None),
    ("bad_part_type", "POST", "/v1/chat/completions",
     {"messages": [{"role": "user", "content": [{"type": "video_url", "video_url": {"url": "x"}}]}]}, 400, None),
    ("image_url_not_url", "POST", "/v1/chat/completions",
     {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "ftp://x/y.png"}}]}]},
     400, None),
    ("file_url_without_flag", "POST", "/v1/chat/completions",
     {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "file:///etc/passwd"}}]}]},
     400, None),
    ("broken_data_url", "POST", "/v1/chat/completions",
     {"messages": [{"role": "user", "content": [{"type": "image_url",
                                                 "image_url": {"url": "data:image/png;base64,!!!"}}]}]}, 400, None),
    ("not_an_image", "POST", "/v1/chat/completions",
     {"messages": [{"role": "user", "content": [{"type": "image_url",
                                                 "image_url": {"url": "data:image/png;base64,aGVsbG8="}}]}]}, 400, None),
    ("temperature_high", "POST", "/v1/chat/completions", chat(temperature=3), 400, None),
    ("temperature_string", "POST", "/v1/chat/completions", chat(temperature="hot"), 400, None),
    ("top_p_zero", "POST", "/v1/chat/completions", chat(top_p=0), 400, None),
    ("top_k_bad", "POST", "/v1/chat/completions", chat(top_k=-5), 400, None),
    ("min_p_high", "POST", "/v1/chat/completions", chat(min_p=2), 400, None),
    ("presence_penalty", "POST", "/v1/chat/completions", chat(presence_penalty=5), 400, None),
    ("repetition_penalty", "POST", "/v1/chat/completions", chat(repetition_penalty=0), 400, None),
    ("max_tokens_zero", "POST", "/v1/chat/completions", chat(max_tokens=0), 400, None),
    ("max_tokens_string", "POST", "/v1/chat/completions", chat(max_tokens="ten"), 400, None),
    ("n_zero", "POST", "/v1/chat/completions", chat(n=0), 400, None),
    ("n_greedy", "POST", "/v1/chat/completions", chat(n=2, temperature=0), 400, None),
    ("too_many_stops", "POST", "/v1/chat/completions", chat(stop=[str(i) for i in range(40)]), 400, None),
    ("empty_stop", "POST", "/v1/chat/completions", chat(stop=[""]), 400, None),
    ("top_logprobs_over_max", "POST", "/v1/chat/completions", chat(logprobs=True, top_logprobs=10), 400, None),
    ("logit_bias_range", "POST", "/v1/chat/completions", chat(logit_bias={"5": 500}), 400, None),
    ("stream_options_without_stream", "POST", "/v1/chat/completions",
     chat(stream_options={"include_usage": True}), 400, None),
    ("beam_search", "POST", "/v1/chat/completions", chat(use_beam_search=True), 400, "unsupported_parameter"),
    ("response_format", "POST", "/v1/chat/completions", chat(response_format={"type": "json_object"}), 400,
     "unsupported_parameter"),
    ("chat_template_in_request", "POST", "/v1/chat/completions", chat(chat_template="{{ 1 }}"), 400,
     "unsupported_parameter"),
    ("legacy_functions", "POST", "/v1/chat/completions", chat(functions=[{"name": "f"}]), 400,
     "unsupported_parameter"),
    ("empty_tools", "POST", "/v1/chat/completions", chat(tools=[]), 400, None),
    ("auto_tools_not_enabled", "POST", "/v1/chat/completions",
     chat(tools=[{"type": "function", "function": {"name": "f"}}]), 400, None),
    ("required_tool_choice", "POST", "/v1/chat/completions",
     chat(tools=[{"type": "function", "function": {"name": "f"}}], tool_choice="required"), 400, None),
    ("tool_choice_without_tools", "POST", "/v1/chat/completions", chat(tool_choice="auto"), 400, None),
    ("unknown_model", "POST", "/v1/chat/completions", chat(model="gpt-4"), 404, "model_not_found"),
    ("bad_reasoning_effort", "POST", "/v1/chat/completions", chat(reasoning_effort="extreme"), 400, None),
    ("both_continue_and_prompt", "POST", "/v1/chat/completions",
     chat(continue_final_message=True, add_generation_prompt=True), 400, None),
    ("cache_salt_slash", "POST", "/v1/chat/completions", chat(cache_salt="a/b"), 400, None),
    ("completion_no_prompt", "POST", "/v1/completions", {"model": MODEL_NAME}, 400, None),
    ("completion_prompt_number", "POST", "/v1/completions", {"prompt": 5}, 400, None),
    ("completion_negative_id", "POST", "/v1/completions", {"prompt": [1, -2]}, 400, None),
    ("completion_suffix", "POST", "/v1/completions", {"prompt": "x", "suffix": "y"}, 400, "unsupported_parameter"),
    ("completion_logprobs_over_max", "POST", "/v1/completions", {"prompt": "x", "logprobs": 50}, 400, None),
    ("completion_ids_too_long", "POST", "/v1/completions", {"prompt": [5] * 300, "max_tokens": 2}, 400,
     "context_length_exceeded"),
    ("completion_text_too_long", "POST", "/v1/completions", {"prompt": "hello " * 400, "max_tokens": 2}, 400, None),
    ("tokenize_nothing", "POST", "/tokenize", {}, 400, None),
    ("detokenize_bad_id", "POST", "/detokenize", {"tokens": [10 ** 9]}, 400, None),
    ("detokenize_not_list", "POST", "/detokenize", {"tokens": "1 2"}, 400, None),
    ("unknown_route", "GET", "/v1/engines", None, 404, None),
    ("wrong_method", "GET", "/v1/chat/completions", None, 405, None),
    ("delete_models", "DELETE", "/v1/models", None, 405, None),
    ("body_too_large", "POST", "/v1/chat/completions", b"{" + b" " * 300000 + b"}", 413, "request_too_large"),
]

PATH_OR_ADDRESS = re.compile(r"(/work|/home|/tmp|/etc|/usr|checkpoints|0x[0-9a-f]{6,}|\b\d+\.\d+\.\d+\.\d+\b)")


@pytest.mark.parametrize("name,method,path,body,status,code", BAD_REQUESTS, ids=[case[0] for case in BAD_REQUESTS])
def test_bad_input(server, name, method, path, body, status, code):
    kwargs = {"headers": dict(AUTH), "timeout": 30}
    if isinstance(body, bytes):
        kwargs["data"] = body
        kwargs["headers"]["Content-Type"] = "application/json"
    elif body is not None:
        kwargs["json"] = body
    res = requests.request(method, server.url + path, **kwargs)
    assert res.status_code == status, res.text
    error = res.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["message"] and error["type"]
    if code is not None:
        assert error["code"] == code
    assert not PATH_OR_ADDRESS.search(res.text), res.text
    assert str(MODEL_DIR) not in res.text
    assert requests.get(server.url + "/health", timeout=5).status_code == 200


def test_there_are_at_least_forty_bad_inputs():
    assert len(BAD_REQUESTS) >= 40


def test_api_keys(server):
    import openai
    url = server.url
    assert requests.get(url + "/v1/models", timeout=5).status_code == 401
    assert requests.get(url + "/v1/models", headers={"Authorization": "Bearer nope"}, timeout=5).status_code == 401
    assert requests.get(url + "/v1/models", headers={"Authorization": "Basic " + KEY}, timeout=5).status_code == 401
    assert requests.get(url + "/v1/models", headers=AUTH, timeout=5).status_code == 200
    assert requests.get(url + "/v1/models", headers={"Authorization": "bearer   sk-second "},
                        timeout=5).status_code == 200
    assert requests.post(url + "/tokenize", json={"prompt": "x"}, timeout=5).status_code == 401
    assert requests.get(url + "/nothing-here", timeout=5).status_code == 401
    assert requests.get(url + "/health/", timeout=5).status_code == 401
    for public in ("/health", "/health/live", "/version", "/metrics"):
        assert requests.get(url + public, timeout=5).status_code == 200, public
    unauthorized = requests.get(url + "/v1/models", timeout=5)
    assert unauthorized.json()["error"]["code"] == "invalid_api_key"
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=url + "/v1", api_key="wrong", max_retries=0).models.list()
    good = openai.OpenAI(base_url=url + "/v1", api_key=KEY, max_retries=0)
    assert good.chat.completions.create(model=MODEL_NAME, messages=[{"role": "user", "content": "x"}],
                                        max_tokens=1).choices


def open_stream(server, max_tokens=200):
    body = json.dumps({"model": MODEL_NAME, "prompt": "x", "max_tokens": max_tokens, "temperature": 0,
                       "ignore_eos": True, "stream": True}).encode()
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: "
                 b"Bearer " + KEY.encode() + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    head = sock.recv(4096)
    assert head.startswith(b"HTTP/1.1 200"), head
    return sock


def test_full_queue_answers_503_with_retry_after(server):
    # --max-num-seqs 1 and --max-queue-len 1: one running and one waiting request fill the server.
    streams = [open_stream(server)]
    streams.append(open_stream(server))
    try:
        res = requests.post(server.url + "/v1/completions", headers=AUTH, timeout=30,
                            json={"model": MODEL_NAME, "prompt": "x", "max_tokens": 2})
        assert res.status_code == 503
        assert res.headers["Retry-After"]
        assert res.json()["error"]["code"] == "server_overloaded"
        assert requests.get(server.url + "/health", timeout=5).status_code == 200
    finally:
        for sock in streams:
            sock.close()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        res = requests.post(server.url + "/v1/completions", headers=AUTH, timeout=30,
                            json={"model": MODEL_NAME, "prompt": "x", "max_tokens": 2})
        if res.status_code == 200:
            break
        time.sleep(0.2)
    assert res.status_code == 200


def test_sigterm_drains(server_args):
    # A small fixed KV cache: on a GPU this module's other server already holds most of the card's memory.
    srv = Server(["--drain-timeout", "20", "--kv-cache-memory-bytes", str(64 << 20)]).wait_ready()
    try:
        stream = requests.post(srv.url + "/v1/completions", stream=True, timeout=60, json={
            # Long enough (16 x 1000 tokens) that the tiny model is still generating when SIGTERM arrives.
            "model": MODEL_NAME, "prompt": "x", "max_tokens": 1000, "n": 16, "temperature": 1, "seed": 1, "ignore_eos": True,
            "stream": True})
        lines = stream.iter_lines()
        assert next(line for line in lines if line.startswith(b"data: "))
        srv.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 5
        health = None
        while time.monotonic() < deadline:
            health = requests.get(srv.url + "/health", timeout=5).status_code
            if health == 503:
                break
            time.sleep(0.02)
        assert health == 503
        rest = [line for line in lines if line.startswith(b"data: ")]
        assert rest[-1] == b"data: [DONE]"
        finishes = [json.loads(line[6:])["choices"][0]["finish_reason"] for line in rest[:-1]
                    if json.loads(line[6:])["choices"]]
        assert finishes[-1] == "length"
        assert srv.proc.wait(timeout=30) == 0
    finally:
        srv.stop()
