#!/usr/bin/env python3
"""What SmartEncoding saves: the same spans into ClickHouse with and without it.

A benchmark, not a test: it prints figures and asserts only that both databases
answer the queries alike. ClickHouse is the real engine, chDB (26.x), behind the
compat tests' HTTP front (`compat-tests/sondetest/chfront.py`); run it with the
compat tests' virtualenv, which has chdb:

    cargo build --release -p sonde
    /var/cache/sonde-venv/bin/python tools/smart-encoding-bench/smart_bench.py

The data: `--spans` spans from `--services` services of `--pods` pods each, every pod
a resource of 20 attributes as an SDK on Kubernetes sends them (service, process,
telemetry SDK, host, container and k8s tags, about 850 bytes); spans of 5
attributes, random ids, spread over the last hour. They go as OTLP/HTTP requests of
1,000 spans of one pod to a fresh release sonde (`otlp -> batch -> clickhouse`), once
into database `plain` (contrib's schema) and once into `smart` (`smart_encoding`).

Printed per mode:
* bytes on disk per span, all parts merged (`OPTIMIZE ... FINAL`): `otel_traces`, or
  `otel_traces_facts` plus the `otel_resources` dictionary (the trace-id table is the
  same in both and left out);
* insert CPU per million spans: sonde's (decode, rows, compression, HTTP) and the
  ClickHouse side's (the front process: its decompression and chDB's insert);
* the median time of typical queries over 15 runs each: spans of one service in a
  10-minute window, their count, and one service's spans on one node, picked by a
  resource attribute.
"""

import argparse
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLK_TCK = os.sysconf("SC_CLK_TCK")

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (  # noqa: E402
    ExportTraceServiceRequest)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue  # noqa: E402
from opentelemetry.proto.trace.v1.trace_pb2 import (ResourceSpans, ScopeSpans,  # noqa: E402
                                                    Span)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"nothing listens on {port} after {timeout}s")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def kv(key: str, value) -> KeyValue:
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=value))


def resource(rng: random.Random, service: int, pod: int) -> list[KeyValue]:
    name = f"svc-{service:02d}"
    pod_name = f"{name}-7d9f8b6c5-{rng.getrandbits(24):06x}"
    return [
        kv("service.name", name), kv("service.namespace", "shop"),
        kv("service.version", "1.4.2"), kv("service.instance.id", f"{rng.getrandbits(128):032x}"),
        kv("telemetry.sdk.name", "opentelemetry"), kv("telemetry.sdk.language", "python"),
        kv("telemetry.sdk.version", "1.38.0"), kv("host.name", pod_name),
        kv("host.arch", "amd64"), kv("os.type", "linux"),
        kv("process.pid", 1), kv("process.executable.name", "python3"),
        kv("process.runtime.name", "cpython"), kv("process.runtime.version", "3.11.2"),
        kv("container.id", f"{rng.getrandbits(256):064x}"),
        kv("k8s.namespace.name", "shop"), kv("k8s.pod.name", pod_name),
        kv("k8s.pod.uid", f"{rng.getrandbits(128):032x}"),
        kv("k8s.deployment.name", name), kv("k8s.node.name", f"node-{pod % 3}"),
    ]


ROUTES = ["/api/cart", "/api/cart/{id}", "/api/checkout", "/api/products",
          "/api/products/{id}", "/api/users/{id}", "/healthz", "/api/orders"]


def requests(args, start_ns: int, span_ns: int):
    """Yields (service, pod, request bytes); the same data on every call."""
    rng = random.Random(42)
    pods = [(s, p, resource(rng, s, p)) for s in range(args.services) for p in range(args.pods)]
    per_request = 1000
    total = args.spans // per_request
    for i in range(total):
        service, pod, attrs = pods[i % len(pods)]
        spans = []
        for _ in range(per_request):
            t = start_ns + rng.randrange(span_ns)
            route = rng.choice(ROUTES)
            status = 500 if rng.random() < 0.02 else 200
            spans.append(Span(
                trace_id=rng.getrandbits(128).to_bytes(16, "big"),
                span_id=rng.getrandbits(64).to_bytes(8, "big"),
                name=f"GET {route}", kind=Span.SPAN_KIND_SERVER,
                start_time_unix_nano=t, end_time_unix_nano=t + rng.randrange(50_000, 80_000_000),
                attributes=[kv("http.request.method", "GET"), kv("url.path", route),
                            kv("http.route", route), kv("http.response.status_code", status),
                            kv("server.port", 8080)],
                status={"code": 2 if status >= 500 else 0}))
        request = ExportTraceServiceRequest(resource_spans=[ResourceSpans(
            resource={"attributes": attrs},
            scope_spans=[ScopeSpans(scope={"name": "opentelemetry.instrumentation.flask",
                                           "version": "0.59b0"}, spans=spans)])])
        yield service, pod, request.SerializeToString()


class ClickHouse:
    def __init__(self, work: Path):
        self.port = free_port()
        self.log = open(work / "chfront.log", "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sondetest.chfront", str(self.port), str(work / "chdb")],
            cwd=ROOT / "compat-tests", stdout=self.log, stderr=self.log)
        wait_port(self.port)

    def query(self, sql: str) -> str:
        url = f"http://127.0.0.1:{self.port}/?" + urllib.parse.urlencode({"query": sql})
        with urllib.request.urlopen(url, timeout=600) as r:
            return r.read().decode()

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        self.log.close()


def sonde_config(ch_port: int, http_port: int, database: str, smart: bool) -> str:
    smart_key = "\n    smart_encoding: {enabled: true}" if smart else ""
    return f"""
receivers:
  otlp:
    protocols:
      http: {{endpoint: "127.0.0.1:{http_port}"}}
processors:
  batch: {{}}
exporters:
  clickhouse:
    endpoint: http://127.0.0.1:{ch_port}
    database: {database}{smart_key}
service:
  telemetry: {{logs: {{level: warn}}, metrics: {{level: none}}}}
  pipelines:
    traces: {{receivers: [otlp], processors: [batch], exporters: [clickhouse]}}
"""


def load(args, ch: ClickHouse, work: Path, database: str, smart: bool, data) -> dict:
    http_port = free_port()
    config = work / f"{database}.yaml"
    config.write_text(sonde_config(ch.port, http_port, database, smart))
    log = open(work / f"sonde-{database}.log", "w")
    sonde = subprocess.Popen([args.sonde, "--config", str(config)], stdout=log, stderr=log)
    try:
        try:
            wait_port(http_port)
        except SystemExit:
            raise SystemExit((work / f"sonde-{database}.log").read_text())
        sonde_cpu, ch_cpu = cpu_seconds(sonde.pid), cpu_seconds(ch.proc.pid)
        for _, _, body in data:
            req = urllib.request.Request(f"http://127.0.0.1:{http_port}/v1/traces", data=body,
                                         headers={"Content-Type": "application/x-protobuf"})
            with urllib.request.urlopen(req, timeout=60) as r:
                r.read()
        table = "otel_traces"
        deadline = time.monotonic() + 600
        while int(ch.query(f"SELECT count() FROM {database}.{table}") or 0) < args.spans:
            if time.monotonic() > deadline:
                raise SystemExit(f"{database}: the spans did not all arrive")
            time.sleep(0.5)
        return {"sonde_cpu": cpu_seconds(sonde.pid) - sonde_cpu,
                "ch_cpu": cpu_seconds(ch.proc.pid) - ch_cpu}
    finally:
        sonde.send_signal(signal.SIGTERM)
        sonde.wait(timeout=30)
        log.close()


def disk_bytes(ch: ClickHouse, database: str, tables: list[str]) -> int:
    for table in tables:
        ch.query(f"OPTIMIZE TABLE {database}.{table} FINAL")
    names = ", ".join(f"'{t}'" for t in tables)
    return int(ch.query(f"SELECT sum(bytes_on_disk) FROM system.parts WHERE active AND "
                        f"database = '{database}' AND table IN ({names})"))


def timed(ch: ClickHouse, sql: str, runs: int = 15) -> tuple[float, str]:
    answer = ch.query(sql)  # warm
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        ch.query(sql)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), answer


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    target = os.environ.get("CARGO_TARGET_DIR", str(ROOT / "target"))
    parser.add_argument("--sonde", default=os.path.join(target, "release", "sonde"))
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--services", type=int, default=50)
    parser.add_argument("--pods", type=int, default=4)
    args = parser.parse_args()
    if not Path(args.sonde).exists():
        raise SystemExit(f"{args.sonde} not found: cargo build --release -p sonde")

    span_ns = 3600 * 10**9
    start_ns = time.time_ns() - span_ns
    print(f"generating {args.spans:,} spans from {args.services * args.pods} resources ...",
          flush=True)
    data = list(requests(args, start_ns, span_ns))
    with tempfile.TemporaryDirectory(prefix="smart-bench-") as tmp:
        work = Path(tmp)
        ch = ClickHouse(work)
        try:
            results = {}
            for database, smart in (("plain", False), ("smart", True)):
                print(f"loading {database} ...", flush=True)
                results[database] = load(args, ch, work, database, smart, data)
            results["plain"]["bytes"] = disk_bytes(ch, "plain", ["otel_traces"])
            results["smart"]["bytes"] = disk_bytes(
                ch, "smart", ["otel_traces_facts", "otel_resources"])
            resource_col = ch.query(
                "SELECT database, sum(data_compressed_bytes) FROM system.columns WHERE "
                "(database = 'plain' AND table = 'otel_traces' AND name = 'ResourceAttributes')"
                " OR (database = 'smart' AND table = 'otel_traces_facts' AND name = "
                "'ResourceId') GROUP BY database ORDER BY database")

            lo = start_ns + span_ns // 2
            hi = lo + 600 * 10**9
            window = (f"Timestamp >= fromUnixTimestamp64Nano({lo}) AND "
                      f"Timestamp < fromUnixTimestamp64Nano({hi})")
            queries = {
                "spans of one service, 10 min, newest 100":
                    "SELECT Timestamp, TraceId, SpanId, SpanName, Duration, StatusCode, "
                    "ResourceAttributes['k8s.pod.name'] AS pod FROM {db}.otel_traces "
                    f"WHERE ServiceName = 'svc-07' AND {window} "
                    "ORDER BY Timestamp DESC, SpanId LIMIT 100",
                "count of one service's spans, 10 min":
                    "SELECT count(), avg(Duration) FROM {db}.otel_traces "
                    f"WHERE ServiceName = 'svc-07' AND {window}",
                "one service's spans on one node (a resource attribute), 10 min":
                    "SELECT count() FROM {db}.otel_traces WHERE "
                    "ResourceAttributes['k8s.node.name'] = 'node-1' AND "
                    f"ServiceName = 'svc-07' AND {window}",
            }
            times = {}
            for label, sql in queries.items():
                plain_ms, plain_answer = timed(ch, sql.format(db="plain"))
                smart_ms, smart_answer = timed(ch, sql.format(db="smart"))
                if plain_answer != smart_answer:
                    raise SystemExit(f"{label}: the view answers differently")
                times[label] = (plain_ms, smart_ms)
        finally:
            ch.stop()

    n = args.spans
    print(f"\n{n:,} spans, {args.services * args.pods} resources of 20 attributes\n")
    print("| measure | contrib schema | SmartEncoding |")
    print("|---|---|---|")
    p, s = results["plain"], results["smart"]
    print(f"| bytes on disk per span | {p['bytes'] / n:.1f} | {s['bytes'] / n:.1f} "
          f"({(s['bytes'] / p['bytes'] - 1) * 100:+.0f} %) |")
    col = dict(line.split("\t") for line in resource_col.splitlines() if line)
    print(f"| of which the resource column | {int(col.get('plain', 0)) / n:.2f} | "
          f"{int(col.get('smart', 0)) / n:.2f} |")
    print(f"| sonde CPU per million spans | {p['sonde_cpu'] * 1e6 / n:.2f} s | "
          f"{s['sonde_cpu'] * 1e6 / n:.2f} s |")
    print(f"| ClickHouse-side CPU per million spans | {p['ch_cpu'] * 1e6 / n:.2f} s | "
          f"{s['ch_cpu'] * 1e6 / n:.2f} s |")
    for label, (plain_ms, smart_ms) in times.items():
        print(f"| query: {label} | {plain_ms:.1f} ms | {smart_ms:.1f} ms |")


if __name__ == "__main__":
    main()
