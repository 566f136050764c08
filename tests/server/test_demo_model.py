"""The default of `fovea serve` and `make serve`: with no model folder, from the repository root, the server serves
models/fovea-demo-vl, and the README's question about the bundled image gets the model card's answer."""
import base64

import pytest
import requests

from conftest import ROOT, Server

DEMO_DIR = ROOT / "models/fovea-demo-vl"


@pytest.fixture(scope="module")
def demo_server():
    srv = Server([], model_args=[], cwd=ROOT)
    try:
        yield srv.wait_ready()
    finally:
        srv.stop()


def ask(server, question):
    image = base64.b64encode((DEMO_DIR / "examples/red-circle-blue-square.png").read_bytes()).decode()
    body = {"messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "data:image/png;base64," + image}},
        {"type": "text", "text": question}]}], "max_tokens": 24, "temperature": 0}
    reply = requests.post(server.url + "/v1/chat/completions", json=body, timeout=60)
    assert reply.status_code == 200, reply.text
    return reply.json()["choices"][0]["message"]["content"]


def test_no_model_folder_serves_the_demo_model(demo_server):
    assert any("serving the demo model models/fovea-demo-vl" in line for line in demo_server.log)
    models = requests.get(demo_server.url + "/v1/models", timeout=10).json()
    assert [m["id"] for m in models["data"]] == ["models/fovea-demo-vl"]


def test_readme_question_gets_the_right_answer(demo_server):
    assert ask(demo_server, "Describe the image.") == "A red circle and a blue square."
    assert ask(demo_server, "How many shapes are there?") == "2"
    assert ask(demo_server, "What colour is the square?") == "blue"
    assert ask(demo_server, "Where is the blue square?") == "right"
