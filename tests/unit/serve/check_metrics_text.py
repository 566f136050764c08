#!/usr/bin/env python3
"""Checks fovea's /metrics text against prometheus_client, the library vLLM exports metrics with.

Runs the serve_metrics_sample program, parses its output with prometheus_client's parser, rebuilds the same
families (same values) as a prometheus_client collector, renders them with generate_latest, and requires the two
texts to hold the same HELP/TYPE lines and the same samples, character for character (label order aside, and
without prometheus_client's _created series). Exit 77 (skipped) when prometheus_client is not installed.
Usage: check_metrics_text.py PATH_TO_serve_metrics_sample
"""
import re
import subprocess
import sys

try:
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    print("prometheus_client is not installed; skipped")
    sys.exit(77)

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def normalized_lines(text):
    """HELP/TYPE lines as they are; sample lines with labels sorted; _created series dropped."""
    out = []
    for line in text.splitlines():
        if line.startswith("#"):
            if "_created" not in line.split(" ")[2]:
                out.append(line)
            continue
        match = SAMPLE.match(line)
        if match is None:
            raise SystemExit(f"not a sample line: {line!r}")
        name, labels, value = match.groups()
        if name.endswith("_created"):
            continue
        pairs = sorted(LABEL.findall(labels or ""))
        label_text = ",".join('%s="%s"' % pair for pair in pairs)
        out.append(f"{name}{{{label_text}}} {value}")
    return out


class Replay:
    def __init__(self, families):
        self.families = families

    def collect(self):
        for family in self.families:
            if family.type == "counter":
                out = CounterMetricFamily(family.name, family.documentation, labels=self.label_names(family))
                for sample in family.samples:
                    if sample.name.endswith("_total"):
                        out.add_metric(list(sample.labels.values()), sample.value)
            elif family.type == "gauge":
                out = GaugeMetricFamily(family.name, family.documentation, labels=self.label_names(family))
                for sample in family.samples:
                    out.add_metric(list(sample.labels.values()), sample.value)
            elif family.type == "histogram":
                names = [n for n in self.label_names(family) if n != "le"]
                out = HistogramMetricFamily(family.name, family.documentation, labels=names)
                series = {}
                for sample in family.samples:
                    key = tuple(sample.labels[n] for n in names)
                    entry = series.setdefault(key, {"buckets": [], "sum": 0.0})
                    if sample.name.endswith("_bucket"):
                        entry["buckets"].append((sample.labels["le"], sample.value))
                    elif sample.name.endswith("_sum"):
                        entry["sum"] = sample.value
                for key, entry in series.items():
                    out.add_metric(list(key), entry["buckets"], entry["sum"])
            else:
                raise SystemExit(f"unexpected type {family.type}")
            yield out

    @staticmethod
    def label_names(family):
        for sample in family.samples:
            return list(sample.labels.keys())
        return []


def main():
    ours = subprocess.run([sys.argv[1]], check=True, capture_output=True, text=True).stdout
    families = list(text_string_to_metric_families(ours))
    names = {family.name for family in families}
    for required in ("vllm:num_requests_running", "vllm:prompt_tokens", "vllm:time_to_first_token_seconds",
                     "vllm:iteration_tokens_total", "fovea:encoder_cache_hits"):
        if required not in names:
            raise SystemExit(f"prometheus_client did not find {required}")
    registry = CollectorRegistry()
    registry.register(Replay(families))
    reference = generate_latest(registry).decode()
    ours_lines, reference_lines = normalized_lines(ours), normalized_lines(reference)
    if ours_lines != reference_lines:
        for a, b in zip(ours_lines, reference_lines):
            if a != b:
                print(f"fovea:             {a}\nprometheus_client: {b}")
                break
        raise SystemExit(f"texts differ ({len(ours_lines)} vs {len(reference_lines)} lines)")
    print(f"{len(families)} families, {len(ours_lines)} lines: identical to prometheus_client's rendering")


if __name__ == "__main__":
    main()
