"""Fixtures for tests/server: a real `fovea serve` process on the bundled tiny Qwen3-VL checkpoint (CPU).

One server per test module (the flags differ per module), on 127.0.0.1 with a port the server picks (--port 0)
and reports in its log. FOVEA_BIN names the binary (ctest sets it); FOVEA_SERVER_STARTUP_S bounds the start.
"""
import os
import pathlib
import re
import signal
import subprocess
import threading
import time

import pytest
import requests

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODEL_DIR = ROOT / "tests/golden/model/data/checkpoints/qwen3-vl-tiny"
CASES = ROOT / "tests/golden/model/data/cases/qwen3-vl-tiny/cases.json"
MODEL_NAME = "tiny"
LISTEN_RE = re.compile(r"on http://127\.0\.0\.1:(\d+)")
# The device the servers run on: cpu here, cuda when tools/gpu/run-gpu-serving.sh runs the suite on the GPU machine.
DEVICE = os.environ.get("FOVEA_TEST_DEVICE", "cpu")


def fovea_binary():
    path = os.environ.get("FOVEA_BIN")
    if path:
        return path
    for build in ("build", "build-server"):
        candidate = ROOT / build / "src/cli/fovea"
        if candidate.exists():
            return str(candidate)
    pytest.fail("set FOVEA_BIN to the fovea binary")


class Server:
    """A running `fovea serve`; `log` collects its output lines."""

    def __init__(self, extra_args, env=None, model_args=None, cwd=None):
        if model_args is None:
            model_args = [str(MODEL_DIR), "--served-model-name", MODEL_NAME, "--dtype", "float32",
                          "--max-model-len", "1024"]
        args = ([fovea_binary(), "serve"] + list(model_args) + ["--host", "127.0.0.1", "--port", "0",
                "--device", DEVICE] + list(extra_args))
        self.log = []
        self.port = None
        self._ready = threading.Event()
        # The log (spdlog) goes to stdout and progress lines to stderr: read both, in order.
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     env={**os.environ, **(env or {})}, cwd=cwd)
        self._reader = threading.Thread(target=self._read_log, daemon=True)
        self._reader.start()

    def _read_log(self):
        for line in self.proc.stdout:
            self.log.append(line.rstrip("\n"))
            match = LISTEN_RE.search(line)
            if match and self.port is None:
                self.port = int(match.group(1))
                self._ready.set()
        self._ready.set()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, headers=None):
        timeout_s = float(os.environ.get("FOVEA_SERVER_STARTUP_S", "120"))
        deadline = time.monotonic() + timeout_s
        if not self._ready.wait(timeout_s) or self.port is None:
            self.stop()
            pytest.fail("fovea serve did not start:\n" + "\n".join(self.log[-30:]))
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail("fovea serve exited:\n" + "\n".join(self.log[-30:]))
            try:
                if requests.get(self.url + "/health", timeout=2).status_code == 200:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        self.stop()
        pytest.fail("fovea serve never became ready:\n" + "\n".join(self.log[-30:]))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def metric(self, name, headers=None):
        """The value of an unlabelled-apart-from-model metric line `name{...} value`, as a float."""
        text = requests.get(self.url + "/metrics", headers=headers, timeout=10).text
        for line in text.splitlines():
            if line.startswith(name + "{") or line.startswith(name + " "):
                return float(line.rsplit(" ", 1)[1])
        raise KeyError(name)


@pytest.fixture(scope="module")
def server_args():
    return []


@pytest.fixture(scope="module")
def server(server_args):
    srv = Server(server_args)
    try:
        yield srv.wait_ready()
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def client(server):
    import openai
    return openai.OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0, timeout=60)
