"""Images from http(s) URLs in `fovea serve` (issue 4): only hosts named by --allowed-media-domains, no redirects,
a byte cap and a total time cap, internal addresses refused. The image server is a local Python server on
127.0.0.1; loopback is refused by design, so this module starts fovea with FOVEA_MEDIA_ALLOW_LOOPBACK_FOR_TESTS=1,
the documented test-only escape that opens loopback and nothing else (10.0.0.1 stays refused below). Every refusal
is a 400 whose body names no address, and /health stays 200."""
import http.server
import threading
import time

import pytest
import requests

from conftest import MODEL_NAME, ROOT, Server

IMAGE = (ROOT / "tests/golden/vision/data/images/png_adam7_rgb.png").read_bytes()
MAX_IMAGE_BYTES = 20 * 1024 * 1024  # engine::MediaAccess's default; `fovea serve` has no flag for it yet
FETCH_TIMEOUT_S = 10.0  # engine::MediaAccess's default fetch_timeout_ms, likewise
LEAKS = ("127.0.0.1", "localhost", "10.0.0.1", "::1")


class ImageHandler(http.server.BaseHTTPRequestHandler):
    release = threading.Event()  # set at teardown so stalled handlers end

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/image.png":
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(IMAGE)))
            self.end_headers()
            self.wfile.write(IMAGE)
        elif self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/image.png")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/big-declared":
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(MAX_IMAGE_BYTES + 1))
            self.end_headers()
        elif self.path == "/big-streamed":
            # No Content-Length: the body ends when the connection closes (HTTP/1.0), so only the streamed count
            # can catch it.
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            piece = IMAGE * (1024 * 1024 // len(IMAGE) + 1)
            try:
                for _ in range(MAX_IMAGE_BYTES // len(piece) + 2):
                    self.wfile.write(piece)
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif self.path == "/stall":
            ImageHandler.release.wait(60)
        else:
            self.send_error(404)


@pytest.fixture(scope="module")
def image_server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ImageHandler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1]
    finally:
        ImageHandler.release.set()
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def server():
    srv = Server(["--allowed-media-domains", "localhost", "10.0.0.1"],
                 env={"FOVEA_MEDIA_ALLOW_LOOPBACK_FOR_TESTS": "1"})
    try:
        yield srv.wait_ready()
    finally:
        srv.stop()


def ask(server, url):
    body = {"model": MODEL_NAME, "max_tokens": 2, "temperature": 0,
            "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}},
                                                      {"type": "text", "text": "What is this?"}]}]}
    return requests.post(server.url + "/v1/chat/completions", json=body, timeout=60)


def expect_refused(server, url, needle):
    response = ask(server, url)
    assert response.status_code == 400, response.text
    message = response.json()["error"]["message"]
    assert needle in message, message
    for leak in LEAKS:
        assert leak not in response.text, response.text
    assert requests.get(server.url + "/health", timeout=10).status_code == 200
    return message


def test_allowed_domain_fetches_the_image(server, image_server):
    response = ask(server, f"http://localhost:{image_server}/image.png")
    assert response.status_code == 200, response.text
    assert response.json()["usage"]["prompt_tokens"] > 10  # the image's placeholder tokens are in the prompt


def test_domain_not_in_the_list(server, image_server):
    expect_refused(server, f"http://127.0.0.1:{image_server}/image.png", "not allowed")
    expect_refused(server, "https://images.example.com/a.png", "not allowed")


def test_private_address_stays_refused_with_the_loopback_escape(server):
    expect_refused(server, "http://10.0.0.1/latest", "internal network address")


def test_credentials_in_the_url(server, image_server):
    expect_refused(server, f"http://user:pw@localhost:{image_server}/image.png", "user name or password")


def test_redirect(server, image_server):
    expect_refused(server, f"http://localhost:{image_server}/redirect", "redirect (HTTP 302)")


def test_missing_image(server, image_server):
    expect_refused(server, f"http://localhost:{image_server}/nope.png", "HTTP 404")


@pytest.mark.parametrize("path", ["/big-declared", "/big-streamed"])
def test_too_large(server, image_server, path):
    expect_refused(server, f"http://localhost:{image_server}{path}", f"limit of {MAX_IMAGE_BYTES} bytes")


def test_stalled_server_fails_within_the_time_cap(server, image_server):
    start = time.monotonic()
    expect_refused(server, f"http://localhost:{image_server}/stall", "longer than the limit")
    took_s = time.monotonic() - start
    assert FETCH_TIMEOUT_S - 1 <= took_s < FETCH_TIMEOUT_S + 5, took_s
