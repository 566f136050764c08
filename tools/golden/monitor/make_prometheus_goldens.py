#!/usr/bin/env python3
"""Expected samples for fovea's Prometheus text parser (src/monitor/prometheus_text.h), from prometheus_client's own
parser: for each tests/unit/monitor/data/*.prom, a *.expected.json list of [name, {label: value}, value] with
non-finite values written as "NaN", "+Inf", "-Inf". server_metrics.prom is the output of fovea's
serve_metrics_sample (tests/unit/serve); edge_cases.prom is written by hand to cover the format's corner cases.
Usage: tools/golden/monitor/make_prometheus_goldens.py [DATA_DIR]
"""
import json
import math
import pathlib
import sys

from prometheus_client.parser import text_string_to_metric_families


def encode(value):
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return value


def main():
    data_dir = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "tests/unit/monitor/data")
    for prom in sorted(data_dir.glob("*.prom")):
        samples = []
        for family in text_string_to_metric_families(prom.read_text()):
            for sample in family.samples:
                samples.append([sample.name, dict(sample.labels), encode(sample.value)])
        out = prom.with_suffix(".expected.json")
        out.write_text(json.dumps(samples, indent=0, sort_keys=True) + "\n")
        print(f"{out}: {len(samples)} samples")


if __name__ == "__main__":
    main()
