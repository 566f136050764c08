"""`fovea bench` against a real `fovea serve` on the tiny Qwen3-VL checkpoint (CPU).

Every metric is present and consistent (TTFT <= end-to-end latency per request, token counts equal to the server's
usage), the client's counts equal the server's /metrics counters over the same run, its TTFT and end-to-end means
agree with the server's histogram means within the stated tolerance, a sweep writes its chart, failures keep their
error bodies. Small runs (a few dozen short requests in all): CI has 2 cores.
"""
import json
import pathlib
import re
import subprocess
import time
from xml.etree import ElementTree

import pytest

from conftest import MODEL_NAME, fovea_binary

# Client-side latencies include the HTTP round trip, JSON/SSE handling on both sides and the server's work before
# and after the engine times a request; on the tiny CPU model that is a few milliseconds per request. The means must
# agree within 50 ms plus 50 % of the server's mean.
TOLERANCE_ABS_MS = 50.0
TOLERANCE_REL = 0.5

# The metrics the engine loop publishes per step (the others are recorded when a request finishes).
ENGINE_STEP_METRICS = ("vllm:prompt_tokens_total", "vllm:generation_tokens_total")

METRIC_LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$')


def scrape(server):
    """Sums of every metric line per name (label sets added together)."""
    import requests
    text = requests.get(server.url + "/metrics", timeout=10).text
    sums = {}
    for line in text.splitlines():
        match = METRIC_LINE.match(line)
        if match:
            sums[match.group(1)] = sums.get(match.group(1), 0.0) + float(match.group(3))
    return sums


def scrape_settled(server, timeout_s=10.0):
    """/metrics once the engine's per-step stats caught up with the finished run (they are published by the engine
    loop one step later than the HTTP answers)."""
    deadline = time.monotonic() + timeout_s
    previous = scrape(server)
    while time.monotonic() < deadline:
        time.sleep(0.2)
        current = scrape(server)
        if current.get("vllm:num_requests_running", 0.0) == 0 and all(
                current.get(name) == previous.get(name) for name in ENGINE_STEP_METRICS):
            return current
        previous = current
    return previous


def delta(after, before, name):
    return after.get(name, 0.0) - before.get(name, 0.0)


def run_bench(server, tmp_path, *args, check=True, quiet=True):
    cmd = [fovea_binary(), "bench", "--base-url", server.url, "--model", MODEL_NAME, *args]
    if quiet:
        cmd.append("--disable-tqdm")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def check_consistent(result, num_prompts):
    assert result["completed"] == num_prompts, result["errors"]
    assert result["failed"] == 0
    for key in ("request_throughput", "output_throughput", "total_token_throughput", "duration"):
        assert result[key] > 0, key
    for metric in ("ttft", "tpot", "itl", "e2el"):
        for stat in ("mean", "median", "std", "p90", "p99"):
            assert f"{stat}_{metric}_ms" in result, (stat, metric)
        assert result[f"median_{metric}_ms"] <= result[f"p99_{metric}_ms"] + 1e-9
    for ttft, latency, itls in zip(result["ttfts"], result["latencies"], result["itls"]):
        assert 0 < ttft <= latency
        assert all(gap >= 0 for gap in itls)
    assert result["mean_ttft_ms"] <= result["mean_e2el_ms"]
    assert sum(result["input_lens"]) == result["total_input_tokens"]
    assert sum(result["output_lens"]) == result["total_output_tokens"]


def test_random_run_matches_the_servers_metrics(server, tmp_path):
    num_prompts, output_len = 12, 8
    before = scrape_settled(server)
    run_bench(server, tmp_path, "--dataset", "random", "--num-prompts", str(num_prompts), "--max-concurrency", "3",
              "--random-input-len", "24", "--random-output-len", str(output_len), "--ignore-eos",
              "--ready-check-timeout-sec", "0", "--json", "out.json")
    after = scrape_settled(server)
    result = json.loads((tmp_path / "out.json").read_text())
    check_consistent(result, num_prompts)
    assert result["max_concurrency"] == 3
    assert 1 <= result["max_concurrent_requests"] <= 3
    assert result["total_output_tokens"] == num_prompts * output_len  # --ignore-eos: exactly max tokens each

    # Counts: exactly the server's.
    assert delta(after, before, "vllm:request_success_total") == num_prompts
    assert delta(after, before, "vllm:prompt_tokens_total") == result["total_input_tokens"]
    assert delta(after, before, "vllm:generation_tokens_total") == result["total_output_tokens"]
    assert delta(after, before, "vllm:request_prompt_tokens_sum") == result["total_input_tokens"]
    assert delta(after, before, "vllm:time_to_first_token_seconds_count") == num_prompts

    # Latency means: the client's against the server's histogram sum/count over the same run.
    for client_key, histogram in (("mean_ttft_ms", "vllm:time_to_first_token_seconds"),
                                  ("mean_e2el_ms", "vllm:e2e_request_latency_seconds")):
        count = delta(after, before, histogram + "_count")
        server_mean_ms = 1000.0 * delta(after, before, histogram + "_sum") / count
        client_mean_ms = result[client_key]
        limit_ms = TOLERANCE_ABS_MS + TOLERANCE_REL * server_mean_ms
        assert abs(client_mean_ms - server_mean_ms) <= limit_ms, (client_key, client_mean_ms, server_mean_ms)
        # The client's clock starts before the server's and stops after it: never meaningfully below it.
        assert client_mean_ms >= server_mean_ms - 1.0, (client_key, client_mean_ms, server_mean_ms)
        print(f"{client_key}: client {client_mean_ms:.2f} ms, server {server_mean_ms:.2f} ms")


def test_the_monitor_command_line_prints_the_table(server, tmp_path):
    proc = run_bench(server, tmp_path, "--dataset", "random", "--num-prompts", "4", "--max-concurrency", "2",
                     "--random-input-len", "16", "--random-output-len", "4", quiet=False)
    # stderr is not a terminal here: quiet progress lines instead of a redrawn bar.
    assert "bench: 4/4 requests done" in proc.stderr and "\r" not in proc.stderr, proc.stderr
    for line in ("Successful requests:", "Request throughput (req/s):", "Mean TTFT (ms):", "P99 ITL (ms):",
                 "Mean E2EL (ms):"):
        assert line in proc.stdout, proc.stdout
    assert re.search(r"Successful requests:\s+4\b", proc.stdout), proc.stdout


def test_random_mm_sweep_writes_its_chart(server, tmp_path):
    run_bench(server, tmp_path, "--dataset", "random-mm", "--num-prompts", "3", "--max-concurrency", "3",
              "--random-input-len", "12", "--random-output-len", "4", "--ignore-eos", "--random-mm-image-size",
              "64x64", "--sweep", "images-per-request=1,2", "--json", "sweep.json")
    sweep = json.loads((tmp_path / "sweep.json").read_text())
    assert sweep["sweep_parameter"] == "images-per-request"
    runs = sweep["runs"]
    assert [run["sweep_value"] for run in runs] == ["1", "2"]
    for run, images in zip(runs, (1, 2)):
        check_consistent(run, 3)
        assert run["total_input_images"] == 3 * images
        assert run["image_throughput"] > 0
    # Two images per request cost more prompt tokens than one.
    assert runs[1]["total_input_tokens"] > runs[0]["total_input_tokens"]
    chart = (tmp_path / "sweep-images-per-request.svg").read_text()
    assert ElementTree.fromstring(chart).tag == "{http://www.w3.org/2000/svg}svg"  # well-formed XML
    assert chart.count("<polyline") == 6  # the five default metrics and image_throughput
    assert "mean_ttft_ms" in chart


def test_modality_sweep_compares_text_and_images_at_equal_prompt_tokens(server, tmp_path):
    run_bench(server, tmp_path, "--dataset", "random-mm", "--num-prompts", "2", "--random-input-len", "10",
              "--random-output-len", "2", "--random-mm-image-size", "64x64", "--sweep", "modality=text,image",
              "--json", "modality.json", "--plot", "modality.svg")
    runs = json.loads((tmp_path / "modality.json").read_text())["runs"]
    text_lens, image_lens = runs[0]["input_lens"], runs[1]["input_lens"]
    assert runs[0]["total_input_images"] == 0 and runs[1]["total_input_images"] == 2
    # Equal up to a token where the cut text re-tokenizes differently at its end.
    for text_len, image_len in zip(text_lens, image_lens):
        assert abs(text_len - image_len) <= 2, (text_lens, image_lens)
    assert (tmp_path / "modality.svg").exists()


def test_jsonl_dataset_with_a_local_image(server, tmp_path):
    png = pathlib.Path(__file__).resolve().parents[1] / "fuzz/vision/corpus/png/rgb.png"
    (tmp_path / "img.png").write_bytes(png.read_bytes())
    lines = [
        {"messages": [{"role": "user", "content": [{"type": "text", "text": "Describe it."},
                                                   {"type": "image_url", "image_url": {"url": "img.png"}}]}],
         "max_completion_tokens": 3},
        {"messages": [{"role": "user", "content": "Say hi."}], "max_tokens": 2},
    ]
    (tmp_path / "reqs.jsonl").write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    run_bench(server, tmp_path, "--dataset-name", "jsonl", "--dataset-path", "reqs.jsonl", "--num-prompts", "4",
              "--ignore-eos", "--request-rate", "40", "--burstiness", "0.5", "--json", "jsonl.json")
    result = json.loads((tmp_path / "jsonl.json").read_text())
    check_consistent(result, 4)
    assert result["request_rate"] == 40 and result["burstiness"] == 0.5
    assert max(result["start_times"]) >= 4 / 40 - 0.01  # the last arrival is scaled to num_prompts / rate
    assert result["total_input_images"] == 2
    assert result["output_lens"] == [3, 2, 3, 2]


def test_failures_keep_the_servers_error_body(server, tmp_path):
    proc = run_bench(server, tmp_path, "--num-prompts", "2", "--random-input-len", "8", "--random-output-len", "2",
                     "--extra-body", '{"temperature": -3}', "--ready-check-timeout-sec", "0", "--json", "bad.json")
    result = json.loads((tmp_path / "bad.json").read_text())
    assert result["completed"] == 0 and result["failed"] == 2
    assert all(error.startswith("HTTP 400: ") and "temperature" in error for error in result["errors"])
    assert "Error (request 0): HTTP 400" in proc.stdout
    # With the initial test request on (the default), a request the server refuses stops the bench at once.
    proc = run_bench(server, tmp_path, "--num-prompts", "2", "--random-input-len", "8", "--random-output-len", "2",
                     "--extra-body", '{"temperature": -3}', check=False)
    assert proc.returncode != 0
    assert "initial test request failed" in proc.stderr and "temperature" in proc.stderr
