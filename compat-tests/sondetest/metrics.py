"""Reads sonde's internal metrics: the Prometheus text format on /metrics.

Only the sample lines are parsed (`name{label="v",...} value`); comments are skipped.
"""

import re
import urllib.request

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


class Metrics:
    def __init__(self, samples: list[tuple[str, dict[str, str], float]]):
        self.samples = samples

    def get(self, name: str, **labels: str) -> float:
        """Sum of every sample named `name` whose labels include `labels`; 0 when absent
        (a counter that was never incremented may not be exported at all)."""
        total = 0.0
        for sample_name, sample_labels, value in self.samples:
            if sample_name == name and all(sample_labels.get(k) == v for k, v in labels.items()):
                total += value
        return total

    def names(self) -> set[str]:
        return {name for name, _, _ in self.samples}


def parse(text: str) -> Metrics:
    samples = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        if not m:
            continue
        labels = dict(_LABEL.findall(m.group(2) or ""))
        samples.append((m.group(1), labels, float(m.group(3))))
    return Metrics(samples)


def scrape(port: int) -> Metrics:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
        return parse(resp.read().decode())
