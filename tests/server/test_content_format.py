"""--chat-template-content-format string with images, on the tiny Qwen3-VL checkpoint served with the text-only
Qwen3 template (it prints message.content as a string, so vLLM's auto-detection picks "string" for it): image parts
become vLLM's placeholders in the text, and /tokenize gives the token ids of
tests/unit/serve/data/string_content_golden.json (tools/golden/make_string_content_golden.py: vLLM's flattening
rendered by transformers' jinja2). The text-only Qwen3 checkpoint answers image parts with a 400 that names the
missing vision tower."""
import copy
import json

import openai
import pytest
import requests

from conftest import MODEL_NAME, ROOT, Server
from test_openai_api import png_data_url

GOLDEN = json.loads((ROOT / "tests/unit/serve/data/string_content_golden.json").read_text())
TEXT_TEMPLATE = ROOT / GOLDEN["template"]
TEXT_ONLY_MODEL = ROOT / "tests/golden/model/data/checkpoints/qwen3-tiny"


@pytest.fixture(scope="module")
def server_args():
    return ["--chat-template", str(TEXT_TEMPLATE), "--chat-template-content-format", "string"]


@pytest.fixture(scope="module")
def text_only_server():
    srv = Server([], model_args=[str(TEXT_ONLY_MODEL), "--served-model-name", MODEL_NAME, "--dtype", "float32",
                                 "--max-model-len", "1024"])
    try:
        yield srv.wait_ready()
    finally:
        srv.stop()


def with_real_images(messages):
    """The golden messages with each image part pointing at a decodable PNG (the golden URL is not one)."""
    out = copy.deepcopy(messages)
    for message in out:
        if isinstance(message.get("content"), list):
            for part in message["content"]:
                if part["type"] == "image_url":
                    part["image_url"]["url"] = png_data_url()
    return out


def image_turn(text):
    return [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": png_data_url()}},
                                         {"type": "text", "text": text}]}]


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=[case["name"] for case in GOLDEN["cases"]])
def test_tokenize_matches_vllms_flattening(server, case):
    body = {"model": MODEL_NAME, "messages": with_real_images(case["messages"]), "add_generation_prompt": True}
    response = requests.post(server.url + "/tokenize", json=body, timeout=30)
    if "error" in case:
        assert response.status_code == 400, response.text
        assert "placeholders" in response.json()["error"]["message"]
        return
    assert response.status_code == 200, response.text
    assert response.json()["tokens"] == case["token_ids"]


@pytest.fixture(scope="module")
def default_format_server():
    """The same checkpoint with its own template (auto resolves it to openai: it loops over content parts)."""
    srv = Server([])
    try:
        yield srv.wait_ready()
    finally:
        srv.stop()


def tokenize(server, messages):
    response = requests.post(server.url + "/tokenize", json={"model": MODEL_NAME, "messages": messages}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["tokens"]


def test_chat_with_an_image_answers_as_the_default_format(client, server, default_format_server):
    # String content puts the placeholder before the text with a newline; the same newline at the start of the text
    # part makes the default format's prompt the same token for token.
    string_turn = image_turn("What is in the picture?")
    openai_turn = image_turn("\nWhat is in the picture?")
    assert tokenize(server, string_turn) == tokenize(default_format_server, openai_turn)
    default_client = openai.OpenAI(base_url=default_format_server.url + "/v1", api_key="unused", max_retries=0,
                                   timeout=60)
    answers = [chat_client.chat.completions.create(model=MODEL_NAME, messages=turn, max_tokens=8, temperature=0,
                                                   logprobs=True, top_logprobs=2)
               for chat_client, turn in ((client, string_turn), (default_client, openai_turn))]
    string_answer, default_answer = answers
    # The image was fetched, encoded and expanded at its placeholder: its tokens are in the prompt count.
    text_only = client.chat.completions.create(model=MODEL_NAME, messages=[{"role": "user", "content": "x"}],
                                               max_tokens=1, temperature=0)
    assert string_answer.usage.prompt_tokens > text_only.usage.prompt_tokens + 4
    assert string_answer.usage.prompt_tokens == default_answer.usage.prompt_tokens
    assert string_answer.choices[0].message.content == default_answer.choices[0].message.content
    assert ([(item.token, item.logprob) for item in string_answer.choices[0].logprobs.content] ==
            [(item.token, item.logprob) for item in default_answer.choices[0].logprobs.content])


def logprobs_of(chat_client, messages):
    answer = chat_client.chat.completions.create(model=MODEL_NAME, messages=messages, max_tokens=4, temperature=0,
                                                 logprobs=True)
    return [(item.token, item.logprob) for item in answer.choices[0].logprobs.content]


def test_two_images_keep_their_order(client, server, default_format_server):
    # Both placeholders go first, in the order the images were sent; the default format with the same layout and
    # order agrees, and the swapped order does not (so the comparison can tell the two apart).
    first = {"type": "image_url", "image_url": {"url": png_data_url(24, 16)}}
    second = {"type": "image_url", "image_url": {"url": png_data_url(16, 24)}}
    string_turn = [{"role": "user", "content": [first, {"type": "text", "text": "Compare."}, second]}]
    default_client = openai.OpenAI(base_url=default_format_server.url + "/v1", api_key="unused", max_retries=0,
                                   timeout=60)

    def laid_out(image_a, image_b):
        return [{"role": "user", "content": [image_a, {"type": "text", "text": "\n"}, image_b,
                                             {"type": "text", "text": "\nCompare."}]}]

    assert tokenize(server, string_turn) == tokenize(default_format_server, laid_out(first, second))
    string_logprobs = logprobs_of(client, string_turn)
    assert string_logprobs == logprobs_of(default_client, laid_out(first, second))
    assert string_logprobs != logprobs_of(default_client, laid_out(second, first))


def test_text_chat_still_works(client):
    answer = client.chat.completions.create(model=MODEL_NAME, messages=[{"role": "user", "content": "Hello"}],
                                            max_tokens=4, temperature=0)
    assert answer.choices[0].finish_reason in ("stop", "length")


def test_text_only_model_refuses_images(text_only_server):
    client = openai.OpenAI(base_url=text_only_server.url + "/v1", api_key="unused", max_retries=0, timeout=60)
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(model=MODEL_NAME, messages=image_turn("What is it?"), max_tokens=4)
    assert "no vision tower" in str(refused.value)
    tokenize = requests.post(text_only_server.url + "/tokenize",
                             json={"model": MODEL_NAME, "messages": image_turn("What is it?")}, timeout=30)
    assert tokenize.status_code == 400, tokenize.text
    assert "no vision tower" in tokenize.json()["error"]["message"]
    assert tokenize.json()["error"]["param"] == "messages[0].content"
    # Text alone is answered.
    answer = client.chat.completions.create(model=MODEL_NAME, messages=[{"role": "user", "content": "Hello"}],
                                            max_tokens=4, temperature=0)
    assert answer.choices[0].finish_reason in ("stop", "length")
