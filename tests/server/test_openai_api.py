"""The OpenAI API of `fovea serve` with the official client: chats with text and images, streaming with usage,
logprobs, n=2, stop strings, the reasoning split and tool-call parsing (whole and streamed, with output forced by
logit bias), golden greedy answers, tokenize/detokenize,
concurrency (16 streams equal to the same requests one at a time) and a client that disconnects mid-stream."""
import base64
import concurrent.futures
import json
import socket
import struct
import time
import zlib

import pytest
import requests

from conftest import CASES, MODEL_NAME

THINK_START, THINK_END = 992, 993  # "<think>" and "</think>" in the tiny tokenizer's added tokens


@pytest.fixture(scope="module")
def server_args():
    # Thinking off by default: the tiny template has no think tags, so with it on the qwen3 parser would make every
    # answer reasoning (content null); the reasoning tests turn it on per request.
    return ["--reasoning-parser", "qwen3", "--enable-auto-tool-choice", "--tool-call-parser", "hermes",
            "--default-chat-template-kwargs", json.dumps({"enable_thinking": False}), "--max-num-seqs", "16"]


def png_data_url(width=24, height=16):
    """A small RGB gradient PNG, written by hand so the suite needs no imaging library."""
    rows = b"".join(b"\x00" + b"".join(bytes((x * 10 % 256, y * 15 % 256, (x + y) * 7 % 256)) for x in range(width))
                    for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) +
           chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode()


def greedy_chat(client, content, max_tokens=8, **extra):
    return client.chat.completions.create(model=MODEL_NAME, messages=[{"role": "user", "content": content}],
                                          max_tokens=max_tokens, temperature=0, **extra)


def raw_completion_for_chat(server, messages, max_tokens, tools=None, **extra):
    """The same generation as a chat, through /v1/completions on the template's token ids (no output parsing)."""
    ids = requests.post(server.url + "/tokenize", json={"messages": messages, **({"tools": tools} if tools else {})},
                        timeout=30).json()["tokens"]
    body = {"model": MODEL_NAME, "prompt": ids, "max_tokens": max_tokens, "temperature": 0,
            "skip_special_tokens": False, **extra}
    return requests.post(server.url + "/v1/completions", json=body, timeout=60).json()["choices"][0]


def test_models_and_version(client, server):
    models = client.models.list()
    assert [model.id for model in models.data] == [MODEL_NAME]
    assert "/" not in models.data[0].root
    assert requests.get(server.url + "/version", timeout=5).json()["version"]


def test_text_chat(client):
    answer = greedy_chat(client, "Hello, who are you?")
    choice = answer.choices[0]
    assert answer.object == "chat.completion"
    assert choice.message.role == "assistant"
    assert isinstance(choice.message.content, str)
    assert choice.finish_reason in ("stop", "length")
    assert answer.usage.prompt_tokens > 0
    assert answer.usage.completion_tokens <= 8
    assert answer.usage.total_tokens == answer.usage.prompt_tokens + answer.usage.completion_tokens


def test_image_chat_counts_the_image_tokens(client):
    text_only = greedy_chat(client, [{"type": "text", "text": "Describe this image."}], max_tokens=4)
    with_image = greedy_chat(client, [{"type": "image_url", "image_url": {"url": png_data_url()}},
                                      {"type": "text", "text": "Describe this image."}], max_tokens=4)
    assert with_image.choices[0].finish_reason in ("stop", "length")
    # The image adds its placeholder tokens (one per merged 2x2 patch group) to the prompt.
    assert with_image.usage.prompt_tokens > text_only.usage.prompt_tokens + 1


def test_golden_greedy_answers_come_back_through_the_api(server):
    cases = json.load(open(CASES))["cases"]
    case = next(case for case in cases if case["name"] == "text_only")
    body = {"model": MODEL_NAME, "prompt": case["prompt_ids"], "max_tokens": len(case["greedy_f32"]),
            "temperature": 0, "ignore_eos": True, "return_token_ids": True}
    answer = requests.post(server.url + "/v1/completions", json=body, timeout=60).json()
    assert answer["choices"][0]["token_ids"] == case["greedy_f32"]
    chat = requests.post(server.url + "/v1/chat/completions", timeout=60, json={
        "model": MODEL_NAME, "messages": case["messages"], "max_tokens": len(case["greedy_f32"]), "temperature": 0,
        "ignore_eos": True, "return_token_ids": True}).json()
    assert chat["choices"][0]["token_ids"] == case["greedy_f32"]


def test_stream_with_usage_equals_the_whole_answer(client):
    whole = greedy_chat(client, "Tell me a story.", max_tokens=12)
    stream = client.chat.completions.create(model=MODEL_NAME, max_tokens=12, temperature=0, stream=True,
                                            messages=[{"role": "user", "content": "Tell me a story."}],
                                            stream_options={"include_usage": True})
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == [whole.choices[0].finish_reason]
    assert chunks[-1].choices == []
    assert chunks[-1].usage.completion_tokens == whole.usage.completion_tokens
    assert chunks[-1].usage.prompt_tokens == whole.usage.prompt_tokens


def test_completion_stream_without_usage(client):
    chunks = list(client.completions.create(model=MODEL_NAME, prompt="Once upon", max_tokens=5, temperature=0,
                                            stream=True))
    assert all(chunk.usage is None for chunk in chunks)
    whole = client.completions.create(model=MODEL_NAME, prompt="Once upon", max_tokens=5, temperature=0)
    assert "".join(c.choices[0].text for c in chunks if c.choices) == whole.choices[0].text


def test_logprobs(client):
    answer = greedy_chat(client, "Count to five.", max_tokens=5, logprobs=True, top_logprobs=2)
    content = answer.choices[0].logprobs.content
    assert len(content) == answer.usage.completion_tokens
    for token in content:
        assert token.logprob <= 0.0
        assert len(token.top_logprobs) == 2
        # Greedy: the chosen token is the most likely one.
        assert token.logprob == pytest.approx(token.top_logprobs[0].logprob, abs=1e-4)
    completion = client.completions.create(model=MODEL_NAME, prompt="Count", max_tokens=3, temperature=0, logprobs=1)
    assert len(completion.choices[0].logprobs.tokens) == completion.usage.completion_tokens


def test_n_equals_two(client):
    answer = client.chat.completions.create(model=MODEL_NAME, messages=[{"role": "user", "content": "Hi"}], n=2,
                                            max_tokens=6, temperature=1.0, seed=7)
    assert sorted(choice.index for choice in answer.choices) == [0, 1]
    assert 2 <= answer.usage.completion_tokens <= 12
    again = client.chat.completions.create(model=MODEL_NAME, messages=[{"role": "user", "content": "Hi"}], n=2,
                                           max_tokens=6, temperature=1.0, seed=7)
    assert [c.message.content for c in again.choices] == [c.message.content for c in answer.choices]


def test_stop_strings(client):
    prompt = "The quick brown fox"
    whole = client.completions.create(model=MODEL_NAME, prompt=prompt, max_tokens=24, temperature=0,
                                      extra_body={"ignore_eos": True})
    text = whole.choices[0].text
    middle = len(text) // 2
    stop = text[middle:middle + 2]
    assert stop.strip() or stop, "the greedy text is too short to pick a stop string"
    stopped = client.completions.create(model=MODEL_NAME, prompt=prompt, max_tokens=24, temperature=0, stop=[stop],
                                        extra_body={"ignore_eos": True})
    choice = stopped.choices[0]
    assert choice.text == text[:text.find(stop)]
    assert choice.finish_reason == "stop"
    assert choice.model_extra["stop_reason"] == stop


def stream_chat(server, body):
    """The chunks of a streamed chat as raw JSON (vLLM's extra delta fields, e.g. reasoning, stay visible)."""
    with requests.post(server.url + "/v1/chat/completions", json={**body, "stream": True}, stream=True,
                       timeout=60) as res:
        assert res.status_code == 200
        chunks = []
        for line in res.iter_lines():
            if line.startswith(b"data: ") and line != b"data: [DONE]":
                chunks.append(json.loads(line[len(b"data: "):].decode()))
    return [chunk for chunk in chunks if chunk["choices"]]


def biased_raw_text(server, messages, token_id, tag, max_tokens, tools=None):
    """Sampling fields (a logit bias on `token_id`, greedy or seeded) that make the raw text hold `tag` with text
    before and after it (the tiny model's weights are random), with that text; the chat with the same fields
    generates the same tokens. <think> is kept out (-100): the parser drops a <think> the model writes, the raw
    text keeps it."""
    tries = [{"temperature": 0, "bias": bias} for bias in (2, 4, 6, 8, 10, 12, 16, 20, 30)]
    tries += [{"temperature": 1, "seed": seed, "bias": bias} for bias in (8, 10, 12, 14) for seed in range(8)]
    for attempt in tries:
        fields = {key: value for key, value in attempt.items() if key != "bias"}
        fields["logit_bias"] = {str(token_id): attempt["bias"], str(THINK_START): -100}
        raw = raw_completion_for_chat(server, messages, max_tokens, tools=tools, **fields)["text"]
        before, found, after = raw.partition(tag)
        if before and found and after:
            return fields, raw
    pytest.fail(f"no logit bias made the tiny model write {tag} between other text")


def chat_body(messages, max_tokens, **extra):
    # skip_special_tokens as the raw completion, so the texts compare one to one.
    return {"model": MODEL_NAME, "messages": messages, "max_tokens": max_tokens, "temperature": 0,
            "skip_special_tokens": False, **extra}


REASONING_MESSAGES = [{"role": "user", "content": "Think, then answer."}]
THINKING = {"enable_thinking": True}  # the qwen3 parser starts in reasoning (the tiny template opens no <think>)


def test_reasoning_split(server):
    sampling, raw = biased_raw_text(server, REASONING_MESSAGES, THINK_END, "</think>", 16)
    body = chat_body(REASONING_MESSAGES, 16, chat_template_kwargs=THINKING, **sampling)
    answer = requests.post(server.url + "/v1/chat/completions", timeout=60, json=body).json()
    message = answer["choices"][0]["message"]
    # With thinking on and no think tag in the prompt, the qwen3 parser starts in reasoning; </think> ends it.
    reasoning, _, content = raw.partition("</think>")
    assert message["reasoning_content"] == reasoning
    assert message["reasoning"] == message["reasoning_content"]
    assert message["content"] == (content or None)


def test_reasoning_split_streams_reasoning_then_content(server):
    sampling, _ = biased_raw_text(server, REASONING_MESSAGES, THINK_END, "</think>", 16)
    body = chat_body(REASONING_MESSAGES, 16, chat_template_kwargs=THINKING, **sampling)
    whole = requests.post(server.url + "/v1/chat/completions", timeout=60, json=body).json()["choices"][0]
    chunks = stream_chat(server, body)
    kinds = []
    for chunk in chunks:
        delta = chunk["choices"][0]["delta"]
        if delta.get("reasoning_content"):
            assert delta["reasoning"] == delta["reasoning_content"]
            kinds.append("reasoning")
        if delta.get("content"):
            kinds.append("content")
    # Deltas carry reasoning until </think>, then content; joined they are the whole answer.
    assert kinds and kinds[0] == "reasoning"
    if "content" in kinds:
        assert "reasoning" not in kinds[kinds.index("content"):]
    deltas = [chunk["choices"][0]["delta"] for chunk in chunks]
    assert "".join(d.get("reasoning_content") or "" for d in deltas) == whole["message"]["reasoning_content"]
    assert "".join(d.get("content") or "" for d in deltas) == (whole["message"]["content"] or "")
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"][0]["finish_reason"]] == [
        whole["finish_reason"]]


def test_reasoning_starts_after_the_prompts_last_think_tag(server):
    """A prompt whose last think tag is </think> (as a template that closed reasoning, e.g. Qwen3 with
    enable_thinking=false) makes the whole output content; one whose last tag is <think> (a template that opened
    reasoning) makes it reasoning. The tiny template has neither, so the user text carries the tag."""
    for tail, in_reasoning in (("</think>", False), ("</think> then <think>", True)):
        messages = [{"role": "user", "content": "Answer now. " + tail}]
        no_tags = {str(THINK_START): -100, str(THINK_END): -100}
        raw = raw_completion_for_chat(server, messages, 8, logit_bias=no_tags)["text"]
        body = chat_body(messages, 8, logit_bias=no_tags)
        message = requests.post(server.url + "/v1/chat/completions", timeout=60, json=body).json()[
            "choices"][0]["message"]
        deltas = [chunk["choices"][0]["delta"] for chunk in stream_chat(server, body)]
        streamed_reasoning = "".join(d.get("reasoning_content") or "" for d in deltas)
        streamed_content = "".join(d.get("content") or "" for d in deltas)
        if in_reasoning:
            assert message["reasoning_content"] == raw and message["content"] is None
            assert (streamed_reasoning, streamed_content) == (message["reasoning_content"], "")
        else:
            assert "reasoning_content" not in message and message["content"] == raw
            assert (streamed_reasoning, streamed_content) == ("", raw)


TOOL_CALL_START = 982  # "<tool_call>" in the tiny tokenizer's added tokens
TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather of a city",
                                           "parameters": {"type": "object",
                                                          "properties": {"city": {"type": "string"}}}}}]
TOOL_MESSAGES = [{"role": "user", "content": "Weather in Paris?"}]
NO_THINKING = {"enable_thinking": False}  # the server's default, said again: the qwen3 parser leaves it all content


def test_tool_calls_reach_the_template_and_answers_stay_consistent(server, client):
    plain = requests.post(server.url + "/tokenize", json={"messages": TOOL_MESSAGES}, timeout=10).json()
    with_tools = requests.post(server.url + "/tokenize", json={"messages": TOOL_MESSAGES, "tools": TOOLS},
                               timeout=10).json()
    assert with_tools["count"] > plain["count"]
    # The random model writes <tool_call> (pushed by a bias) but never a valid call after it: as vLLM's hermes
    # parser, the whole text stays content and no call is reported.
    sampling, raw = biased_raw_text(server, TOOL_MESSAGES, TOOL_CALL_START, "<tool_call>", 16, tools=TOOLS)
    answer = client.chat.completions.create(model=MODEL_NAME, messages=TOOL_MESSAGES, tools=TOOLS, max_tokens=16,
                                            **sampling, extra_body={"chat_template_kwargs": NO_THINKING})
    choice = answer.choices[0]
    assert not choice.message.tool_calls
    assert choice.message.content == raw
    assert choice.finish_reason in ("stop", "length")
    # A follow-up turn with the call and its result renders and runs.
    follow_up = TOOL_MESSAGES + [
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function",
             "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"}]
    again = client.chat.completions.create(model=MODEL_NAME, messages=follow_up, tools=TOOLS, max_tokens=4,
                                           temperature=0)
    assert again.choices[0].finish_reason in ("stop", "length", "tool_calls")


def test_tool_call_stream_holds_back_a_started_call(server):
    sampling, raw = biased_raw_text(server, TOOL_MESSAGES, TOOL_CALL_START, "<tool_call>", 16, tools=TOOLS)
    chunks = stream_chat(server, chat_body(TOOL_MESSAGES, 16, tools=TOOLS, chat_template_kwargs=NO_THINKING,
                                           **sampling))
    *running, last = chunks
    assert last["choices"][0]["finish_reason"] in ("stop", "length")
    assert all(chunk["choices"][0]["finish_reason"] is None for chunk in running)
    # The hermes parser streams the content before <tool_call> and holds the rest while it may become a call;
    # the call never got a name, so the held text comes as content with the finish (vLLM's stream).
    before = "".join(chunk["choices"][0]["delta"].get("content") or "" for chunk in running)
    assert before == raw[:raw.index("<tool_call>")]
    assert before + last["choices"][0]["delta"]["content"] == raw
    assert not any("tool_calls" in chunk["choices"][0]["delta"] for chunk in chunks)


def test_tokenize_and_detokenize(server):
    tokenized = requests.post(server.url + "/tokenize", json={"prompt": "Hello, world", "return_token_strs": True},
                              timeout=10).json()
    assert tokenized["count"] == len(tokenized["tokens"]) == len(tokenized["token_strs"])
    assert tokenized["max_model_len"] == 1024
    back = requests.post(server.url + "/detokenize", json={"tokens": tokenized["tokens"]}, timeout=10).json()
    assert back["prompt"] == "Hello, world"


def test_sixteen_concurrent_streams_equal_sequential_greedy(client):
    prompts = [f"Request number {idx}: say something." for idx in range(16)]

    def whole(prompt):
        return greedy_chat(client, prompt, max_tokens=10, extra_body={"ignore_eos": True}).choices[0].message.content

    def streamed(prompt):
        stream = client.chat.completions.create(model=MODEL_NAME, messages=[{"role": "user", "content": prompt}],
                                                max_tokens=10, temperature=0, stream=True,
                                                extra_body={"ignore_eos": True})
        return "".join(c.choices[0].delta.content or "" for c in stream if c.choices)

    sequential = [whole(prompt) for prompt in prompts]
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        concurrent_answers = list(pool.map(streamed, prompts))
    assert concurrent_answers == sequential


def kv_usage(server):
    return server.metric("vllm:kv_cache_usage_perc")


def test_client_disconnect_frees_the_kv_cache(server):
    baseline = kv_usage(server)
    body = json.dumps({"model": MODEL_NAME, "messages": [{"role": "user", "content": "Go on forever."}],
                       "max_tokens": 900, "temperature": 0, "ignore_eos": True, "stream": True}).encode()
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    received = b""
    while received.count(b"data: ") < 3:
        received += sock.recv(4096)
    assert b"200 OK" in received.split(b"\r\n", 1)[0]
    sock.close()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if kv_usage(server) == baseline and server.metric("vllm:num_requests_running") == 0:
            break
        time.sleep(0.1)
    assert kv_usage(server) == baseline
    assert server.metric("vllm:num_requests_running") == 0
    assert requests.get(server.url + "/health", timeout=5).status_code == 200


def test_metrics_after_traffic(server):
    text = requests.get(server.url + "/metrics", timeout=10).text
    for name in ("vllm:time_to_first_token_seconds_count", "vllm:e2e_request_latency_seconds_count",
                 "vllm:inter_token_latency_seconds_count", "vllm:request_queue_time_seconds_count"):
        assert server.metric(name) > 0, name
    assert server.metric("vllm:prompt_tokens_total") > 0
    assert server.metric("vllm:generation_tokens_total") > 0
    assert "fovea:vision_encoder_seconds_count" in text
    assert "vllm:prefix_cache_queries_total" in text
