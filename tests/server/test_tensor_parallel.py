"""`fovea serve --tensor-parallel-size 2` on the bundled tiny Qwen3-VL checkpoint with two CPU ranks (one thread each,
joined by the thread communicator): greedy chat answers (temperature 0) to a text and an image request equal the
TP=1 server's, with the vision tower in both --mm-encoder-tp-mode weights and data; -tp with
--disable-custom-all-reduce (applied, no note); and the refusals (more ranks than GPUs, a size that does not divide
the attention heads or, in weights mode, the vision heads).

The tiny model runs in float32 here, so TP=2's sums in another order stay far below any logit gap of the answers.
"""
import base64
import struct
import subprocess
import zlib

import pytest
import requests

from conftest import MODEL_DIR, MODEL_NAME, Server, fovea_binary


def png_data_url(width, height, shift):
    """An RGB gradient PNG, written by hand so the suite needs no imaging library."""
    rows = b"".join(b"\x00" + b"".join(bytes(((x * 10 + shift) % 256, (y * 15 + shift) % 256, (x + y) * 7 % 256))
                                       for x in range(width)) for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) +
           chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode()


TEXT = "Describe a red square in a few words."
# Two images of different sizes in one request: in data mode the ranks encode one each.
IMAGES = [{"type": "image_url", "image_url": {"url": png_data_url(24, 16, 0)}},
          {"type": "image_url", "image_url": {"url": png_data_url(40, 32, 90)}},
          {"type": "text", "text": "What is in these pictures?"}]
ONE_IMAGE = [{"type": "image_url", "image_url": {"url": png_data_url(32, 32, 40)}},
             {"type": "text", "text": "What is this?"}]


def answers(server):
    out = []
    for content in (TEXT, IMAGES, ONE_IMAGE):
        body = {"model": MODEL_NAME, "messages": [{"role": "user", "content": content}], "max_tokens": 12,
                "temperature": 0, "logprobs": True, "top_logprobs": 2}
        reply = requests.post(server.url + "/v1/chat/completions", json=body, timeout=120)
        assert reply.status_code == 200, reply.text
        choice = reply.json()["choices"][0]
        tokens = [entry["token"] for entry in choice["logprobs"]["content"]]
        margins = [entry["top_logprobs"][0]["logprob"] - entry["top_logprobs"][1]["logprob"]
                   for entry in choice["logprobs"]["content"] if len(entry["top_logprobs"]) > 1]
        out.append({"text": choice["message"]["content"], "tokens": tokens, "margins": margins,
                    "usage": reply.json()["usage"]})
    return out


def serve_answers(*flags):
    server = Server(list(flags))
    try:
        server.wait_ready()
        return answers(server), server.log
    finally:
        server.stop()


@pytest.fixture(scope="module")
def tp1_answers():
    return serve_answers()[0]


@pytest.mark.parametrize("mode", ["weights", "data"])
def test_tp2_answers_equal_tp1(tp1_answers, mode):
    tp2, log = serve_answers("--tensor-parallel-size", "2", "--mm-encoder-tp-mode", mode)
    assert any("tensor parallel 2" in line for line in log), "\n".join(log[-20:])
    for one, two in zip(tp1_answers, tp2):
        # A tie would make the comparison meaningless: the answers here have clear greedy margins.
        assert min(one["margins"]) > 1e-3, one
        assert two["tokens"] == one["tokens"]
        assert two["text"] == one["text"]
        assert two["usage"] == one["usage"]


def test_tp2_short_flag_and_metrics():
    # --disable-custom-all-reduce is applied now (once it was accepted with a "has no effect" note); the CPU ranks'
    # thread communicator has one path either way.
    server = Server(["-tp", "2", "--disable-custom-all-reduce"])
    try:
        server.wait_ready()
        assert not any("custom-all-reduce has no effect" in line for line in server.log), "\n".join(server.log[-20:])
        reply = requests.post(server.url + "/v1/chat/completions",
                              json={"model": MODEL_NAME, "messages": [{"role": "user", "content": "hi"}],
                                    "max_tokens": 2, "temperature": 0}, timeout=60)
        assert reply.status_code == 200, reply.text
        assert requests.get(server.url + "/health", timeout=10).status_code == 200
    finally:
        server.stop()


def one_error_line(args):
    result = subprocess.run([fovea_binary(), "serve", *map(str, args), "--port", "0"], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode != 0, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("fovea: error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def machine_has_gpu():
    try:
        return subprocess.run(["nvidia-smi", "-L"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def test_more_ranks_than_gpus_is_refused():
    if machine_has_gpu():
        pytest.skip("this machine has a GPU")
    error = one_error_line([MODEL_DIR, "--device", "cuda", "--tensor-parallel-size", "2"])
    assert "--tensor-parallel-size 2" in error and "GPU" in error


def test_a_size_that_does_not_divide_the_heads_is_refused():
    # The tiny model has 4 attention heads: 3 ranks cannot split them.
    error = one_error_line([MODEL_DIR, "--device", "cpu", "--tensor-parallel-size", "3"])
    assert "num_attention_heads" in error and "3" in error


def test_vision_heads_refuse_weights_mode_but_not_data_mode():
    # 4 ranks split the tiny decoder (4 heads, 2 KV heads replicated) but not its 2 vision heads.
    error = one_error_line([MODEL_DIR, "--device", "cpu", "--tensor-parallel-size", "4",
                            "--mm-encoder-tp-mode", "weights"])
    assert "vision" in error and "4" in error
    server = Server(["--tensor-parallel-size", "4", "--mm-encoder-tp-mode", "data"])
    try:
        server.wait_ready()
        reply = requests.post(server.url + "/v1/chat/completions",
                              json={"model": MODEL_NAME, "messages": [{"role": "user", "content": ONE_IMAGE}],
                                    "max_tokens": 2, "temperature": 0}, timeout=120)
        assert reply.status_code == 200, reply.text
    finally:
        server.stop()
