"""Monitoring (issue 8) on the CPU with the real binaries: the start-up memory summary and load progress, the
/metrics KV-cache gauges (no GPU gauges on the CPU), `fovea top` in a pseudo-terminal while `fovea bench` loads the
server, `fovea top --once --json` against /metrics, and `fovea check --url` (ready, loading, unreachable)."""
import json
import os
import pathlib
import pty
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest
import requests

from conftest import DEVICE, MODEL_DIR, MODEL_NAME, Server, fovea_binary


def metrics_samples(url):
    """{(name, frozenset(labels)): value} of a /metrics answer (the values fovea writes are plain floats)."""
    samples = {}
    for line in requests.get(url + "/metrics", timeout=10).text.splitlines():
        if not line or line.startswith("#"):
            continue
        head, value = line.rsplit(" ", 1)
        name, _, labels = head.partition("{")
        pairs = frozenset(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', labels))
        samples[(name, pairs)] = float(value)
    return samples


def metric_value(samples, name, **labels):
    for (sample_name, pairs), value in samples.items():
        if sample_name == name and all((key, value_) in pairs for key, value_ in labels.items()):
            return value
    raise KeyError(name)


def run_fovea(*args, timeout=60):
    return subprocess.run([fovea_binary(), *args], capture_output=True, text=True, timeout=timeout)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_bench(url, num_prompts=24):
    return subprocess.Popen(
        [fovea_binary(), "bench", "--base-url", url, "--model", MODEL_NAME, "--dataset", "random",
         "--num-prompts", str(num_prompts), "--max-concurrency", "4", "--random-input-len", "64",
         "--random-output-len", "48"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


# How the server names its device in the summary, the progress lines and /metrics' device label.
DEVICE_LABEL = "cpu" if DEVICE == "cpu" else "cuda:0"


def gpu_gauge_labels(samples):
    """{gpu index: total bytes} of the fovea:gpu_memory_total_bytes series (none on the CPU)."""
    return {dict(pairs)["gpu"]: value for (name, pairs), value in samples.items()
            if name == "fovea:gpu_memory_total_bytes"}


def test_startup_summary_and_progress(server):
    log = "\n".join(server.log)
    assert re.search(rf"loaded weights \[{re.escape(DEVICE_LABEL)}\] [\d.]+ [GM]iB / [\d.]+ [GM]iB \(\d+%\), \d+ / \d+ tensors",
                     log), log
    header = [line for line in server.log if f"memory on {DEVICE_LABEL}" in line]
    assert header, log
    for part in ("weights", "activations workspace", "CUDA graphs", "KV cache", "free", "total"):
        assert re.search(rf"  {re.escape(part)} +[\d.]+ [GM]iB", log), part
    # The planner's column is filled for the weights (same checkpoint, same rule), with the difference.
    weights_row = next(line for line in server.log if re.search(r"  weights +[\d.]+ [GM]iB", line))
    assert re.search(r"weights +[\d.]+ [GM]iB +[\d.]+ [GM]iB +[+-]\d+ MiB", weights_row), weights_row
    # The summary's numbers are the ones /metrics exports.
    samples = metrics_samples(server.url)
    kv_bytes = metric_value(samples, "fovea:device_memory_bytes", device=DEVICE_LABEL, part="kv_cache")
    assert kv_bytes == metric_value(samples, "fovea:kv_cache_total_bytes") > 0
    kv_row = next(line for line in server.log if re.search(r"  KV cache +[\d.]+ [GM]iB", line))
    amount, unit = re.search(r"KV cache +([\d.]+) ([GM]iB)", kv_row).groups()
    scale = 2**30 if unit == "GiB" else 2**20
    assert float(amount) == pytest.approx(kv_bytes / scale, abs=0.006)


def test_metrics_kv_gauges_and_gpu_gauges_only_on_a_gpu(server):
    text = requests.get(server.url + "/metrics", timeout=10).text
    samples = metrics_samples(server.url)
    blocks = metric_value(samples, "fovea:kv_cache_total_blocks")
    assert blocks > 0
    assert metric_value(samples, "fovea:kv_cache_total_tokens") == blocks * 16
    assert metric_value(samples, "vllm:cache_config_info", num_gpu_blocks=str(int(blocks))) == 1.0
    assert "# TYPE fovea:gpu_memory_used_bytes gauge" in text
    if DEVICE == "cpu":
        assert not any(name.startswith("fovea:gpu_") for name, _ in samples)
    else:
        assert set(gpu_gauge_labels(samples)) == {"0"}
        assert metric_value(samples, "fovea:gpu_memory_used_bytes", gpu="0") > 0


def read_pty_until(fd, proc, predicate, timeout_s):
    """Reads the terminal until predicate(latest frame) holds; returns (ok, latest frame, everything read)."""
    everything = ""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.poll() is None:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        try:
            everything += os.read(fd, 65536).decode(errors="replace")
        except OSError:
            break
        frame = everything.rsplit("\x1b[H\x1b[2J", 1)[-1]
        if predicate(frame):
            return True, frame, everything
    return False, everything.rsplit("\x1b[H\x1b[2J", 1)[-1], everything


def test_top_in_a_terminal_under_bench_load(server):
    bench = start_bench(server.url, num_prompts=40)
    main_fd, child_fd = pty.openpty()
    top = subprocess.Popen([fovea_binary(), "top", "--url", server.url, "--interval", "0.3"],
                           stdin=child_fd, stdout=child_fd, stderr=child_fd, close_fds=True)
    os.close(child_fd)
    fields = ("requests", "running", "waiting", "throughput", "tok/s", "TTFT", "p50", "p99", "ITL", "KV cache",
              "prefix", "encoder", "GPU")

    def loaded(frame):
        out = re.search(r"out ([\d.]+) tok/s", frame)
        ttft = re.search(r"TTFT +p50 +([\d.]+) ms", frame)
        return all(field in frame for field in fields) and out and float(out.group(1)) > 0 and ttft
    try:
        ok, frame, everything = read_pty_until(main_fd, top, loaded, 120)
        assert ok, f"the top screen never showed load with every field:\n{frame}"
        assert "\x1b[?25l" in everything  # drawn in place: cursor hidden, screen homed and cleared
        assert "model " + MODEL_NAME in frame
    finally:
        top.send_signal(signal.SIGINT)
        top.wait(timeout=10)
        bench_output = bench.communicate(timeout=300)[0]
        os.close(main_fd)
    assert top.returncode == 0
    assert bench.returncode == 0, bench_output


def test_top_once_json_matches_metrics(server):
    bench = start_bench(server.url, num_prompts=8)
    assert bench.wait(timeout=300) == 0, bench.stdout.read()
    result = run_fovea("top", "--url", server.url, "--once", "--json", "--interval", "0.2")
    assert result.returncode == 0, result.stderr
    snapshot = json.loads(result.stdout)
    samples = metrics_samples(server.url)  # idle now: the same values as the snapshot's last scrape
    assert snapshot["model"] == MODEL_NAME
    assert snapshot["requests"]["running"] == metric_value(samples, "vllm:num_requests_running")
    assert snapshot["requests"]["waiting"] == metric_value(samples, "vllm:num_requests_waiting")
    assert snapshot["kv_cache"]["usage"] == metric_value(samples, "vllm:kv_cache_usage_perc")
    assert snapshot["kv_cache"]["total_blocks"] == metric_value(samples, "fovea:kv_cache_total_blocks")
    assert snapshot["kv_cache"]["total_bytes"] == metric_value(samples, "fovea:kv_cache_total_bytes")
    assert snapshot["totals"]["prompt_tokens"] == metric_value(samples, "vllm:prompt_tokens_total") > 0
    assert snapshot["totals"]["generation_tokens"] == metric_value(samples, "vllm:generation_tokens_total") > 0
    assert snapshot["totals"]["prefix_cache_queries"] == metric_value(samples, "vllm:prefix_cache_queries_total")
    # Used memory, utilisation and temperature move between scrapes; the cards and their totals do not.
    assert {gpu["gpu"]: gpu["memory_total_bytes"] for gpu in snapshot["gpus"]} == gpu_gauge_labels(samples)
    assert bool(snapshot["gpus"]) == (DEVICE != "cpu")
    memory = snapshot["memory"][0]
    assert memory["device"] == DEVICE_LABEL
    for part, value in memory["bytes"].items():
        assert value == metric_value(samples, "fovea:device_memory_bytes", device=DEVICE_LABEL, part=part)
    assert snapshot["window_s"] > 0


def test_check_url_ready_and_unreachable(server):
    ready = run_fovea("check", "--url", server.url, "--timeout", "10")
    assert ready.returncode == 0, ready.stdout + ready.stderr
    assert ready.stdout.startswith("ready")
    port = free_port()
    unreachable = run_fovea("check", "--url", f"http://127.0.0.1:{port}", "--timeout", "1")
    assert unreachable.returncode == 4
    lines = unreachable.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("unreachable: "), unreachable.stdout


def slow_model_dir():
    """The tiny checkpoint's tokenizer with a larger text config and dummy weights: a load that takes seconds."""
    folder = pathlib.Path(tempfile.mkdtemp(prefix="fovea-slow-model-"))
    for name in os.listdir(MODEL_DIR):
        if not name.endswith(".safetensors") and not name.endswith(".index.json"):
            shutil.copy(MODEL_DIR / name, folder / name)
    config = json.loads((MODEL_DIR / "config.json").read_text())
    config["text_config"].update(hidden_size=1024, intermediate_size=4096, num_hidden_layers=24,
                                 num_attention_heads=16, num_key_value_heads=8, head_dim=64)
    config["vision_config"]["out_hidden_size"] = 1024
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def test_check_url_reports_loading_then_ready():
    folder = slow_model_dir()
    port = free_port()
    proc = subprocess.Popen(
        [fovea_binary(), "serve", str(folder), "--host", "127.0.0.1", "--port", str(port), "--device", "cpu",
         "--load-format", "dummy", "--max-model-len", "256", "--max-num-seqs", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        states = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            probe = run_fovea("check", "--url", url)
            states.append(probe.stdout.split(":", 1)[0].split(" ", 1)[0])
            if probe.returncode == 0:
                break
            assert probe.returncode == 4
            time.sleep(0.05)
        assert "loading" in states, states
        assert states[-1] == "ready", states
        waited = run_fovea("check", "--url", url, "--timeout", "30")
        assert waited.returncode == 0
    finally:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=60)[0]
        shutil.rmtree(folder)
    assert "loading [cpu]" in output or "loaded weights [cpu]" in output, output


def test_grafana_dashboard_uses_exported_metrics(server):
    text = requests.get(server.url + "/metrics", timeout=10).text
    exported = set(re.findall(r"^# TYPE (\S+) ", text, re.MULTILINE))
    dashboard = json.loads((pathlib.Path(__file__).resolve().parents[2] / "deploy/grafana/fovea.json").read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    exprs += [variable["definition"] for variable in dashboard["templating"]["list"] if "definition" in variable]
    assert exprs
    for name in {name for expr in exprs for name in re.findall(r"\b((?:vllm|fovea):[a-z0-9_]+)", expr)}:
        base = re.sub(r"_(bucket|total|sum|count)$", "", name)
        assert name in exported or base in exported, f"{name} is not on /metrics"
