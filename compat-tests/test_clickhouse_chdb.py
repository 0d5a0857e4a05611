"""The OpenTelemetry Python SDK -> sonde (otlp receiver -> clickhouse exporter) ->
ClickHouse, the real engine (chDB, ClickHouse 26.x) behind `sondetest.chfront`.

sonde creates contrib's schema itself (`create_schema`), inserts RowBinary in LZ4
compressed blocks, and the rows read back from `otel_traces` must equal what the SDK
sent, field for field; the trace-id lookup table is filled by its materialized view.
"""

import json
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags

from sondetest.configs import Ports, pipeline
from sondetest.ports import free_port, port_open

HERE = Path(__file__).parent


@pytest.fixture
def clickhouse(tmp_path):
    """A chDB-backed ClickHouse HTTP front on a free port; yields its query function."""
    port = free_port()
    log = open(tmp_path / "chfront.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "sondetest.chfront", str(port),
                             str(tmp_path / "chdb")], cwd=HERE, stdout=log, stderr=log)
    try:
        deadline = time.time() + 60
        while not port_open(port):
            assert proc.poll() is None, (tmp_path / "chfront.log").read_text()
            assert time.time() < deadline, "chfront did not start"
            time.sleep(0.2)

        def query(sql: str) -> list[dict]:
            url = f"http://127.0.0.1:{port}/?" + urllib.parse.urlencode(
                {"query": sql, "default_format": "JSONEachRow"})
            with urllib.request.urlopen(url, timeout=30) as r:
                return [json.loads(line) for line in r.read().decode().splitlines() if line]

        query.port = port
        yield query
    finally:
        proc.kill()
        proc.wait()
        log.close()


def hexid(n: int, width: int) -> str:
    return format(n, f"0{width}x")


def emit(provider: TracerProvider):
    tracer = provider.get_tracer("sondetest.clickhouse", "0.9")
    linked = SpanContext(trace_id=0x0AF7651916CD43DD8448EB211C80319C, span_id=0x00F067AA0BA902B7,
                         is_remote=True, trace_flags=TraceFlags(TraceFlags.SAMPLED))
    with tracer.start_as_current_span(
        "GET /users", kind=SpanKind.SERVER,
        attributes={"http.request.method": "GET", "ok": True, "n": -42, "ratio": 0.25,
                    "list": ["a", "b"], "unicode": "héllo ✓"},
        links=[Link(linked, {"link.attr": "l", "link.n": 7})],
    ) as parent:
        parent.add_event("started", {"event.int": 1})
        parent.add_event("no-attributes")
        with tracer.start_as_current_span("SELECT users", kind=SpanKind.CLIENT) as child:
            child.set_status(Status(StatusCode.ERROR, "boom"))
        tracer.start_span("internal", kind=SpanKind.INTERNAL).end()


def expected_attr(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return json.dumps(list(value), separators=(",", ":"), ensure_ascii=False)
    return str(value)


@pytest.mark.parametrize("compress", ["lz4", "gzip", "deflate", "none"])
def test_sdk_spans_land_in_otel_traces(start_sonde, clickhouse, compress):
    ports = Ports()
    exporter = {"clickhouse": {
        "endpoint": f"http://127.0.0.1:{clickhouse.port}",
        "database": "otel",
        "compress": compress,
        "ttl": "72h",
        "retry_on_failure": {"initial_interval": "100ms", "max_interval": "500ms"},
    }}
    start_sonde(pipeline(ports, exporter, signals=("traces",)), ports)

    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource({"service.name": "ch-test", "host.name": "h1"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    provider.add_span_processor(SimpleSpanProcessor(
        OTLPSpanExporter(endpoint=f"http://127.0.0.1:{ports.http}/v1/traces")))
    emit(provider)
    provider.shutdown()
    sent = {s.context.span_id: s for s in memory.get_finished_spans()}
    assert len(sent) == 3

    columns = ("SpanName, SpanKind, ServiceName, TraceId, SpanId, ParentSpanId, TraceState, "
               "ResourceAttributes, ScopeName, ScopeVersion, SpanAttributes, Duration, "
               "StatusCode, StatusMessage, toUnixTimestamp64Nano(Timestamp) AS ts, "
               "arrayMap(x -> toUnixTimestamp64Nano(x), Events.Timestamp) AS ets, "
               "Events.Name, Events.Attributes, Links.TraceId, Links.SpanId, "
               "Links.TraceState, Links.Attributes")
    deadline = time.time() + 30
    rows = []
    while time.time() < deadline:
        try:
            rows = clickhouse(f"SELECT {columns} FROM otel.otel_traces ORDER BY SpanName")
        except urllib.error.HTTPError:
            rows = []  # the table is not there yet
        if len(rows) >= 3:
            break
        time.sleep(0.3)
    assert len(rows) == 3, rows

    kinds = {SpanKind.SERVER: "Server", SpanKind.CLIENT: "Client", SpanKind.INTERNAL: "Internal"}
    codes = {StatusCode.UNSET: "Unset", StatusCode.OK: "Ok", StatusCode.ERROR: "Error"}
    for row in rows:
        span = sent[int(row["SpanId"], 16)]
        assert row["SpanName"] == span.name
        assert row["SpanKind"] == kinds[span.kind]
        assert row["ServiceName"] == "ch-test"
        assert row["TraceId"] == hexid(span.context.trace_id, 32)
        assert row["ParentSpanId"] == (hexid(span.parent.span_id, 16) if span.parent else "")
        assert row["ResourceAttributes"] == {k: expected_attr(v)
                                             for k, v in span.resource.attributes.items()}
        assert (row["ScopeName"], row["ScopeVersion"]) == ("sondetest.clickhouse", "0.9")
        assert row["SpanAttributes"] == {k: expected_attr(v) for k, v in span.attributes.items()}
        assert int(row["ts"]) == span.start_time
        assert int(row["Duration"]) == span.end_time - span.start_time
        assert row["StatusCode"] == codes[span.status.status_code]
        assert row["StatusMessage"] == (span.status.description or "")
        assert row["Events.Name"] == [e.name for e in span.events]
        assert [int(t) for t in row["ets"]] == [e.timestamp for e in span.events]
        assert row["Events.Attributes"] == [{k: expected_attr(v) for k, v in e.attributes.items()}
                                            for e in span.events]
        assert row["Links.TraceId"] == [hexid(l.context.trace_id, 32) for l in span.links]
        assert row["Links.SpanId"] == [hexid(l.context.span_id, 16) for l in span.links]
        assert row["Links.Attributes"] == [{k: expected_attr(v) for k, v in l.attributes.items()}
                                           for l in span.links]

    server = next(r for r in rows if r["SpanName"] == "GET /users")
    assert server["SpanAttributes"]["ratio"] == "0.25"
    assert server["Links.Attributes"] == [{"link.attr": "l", "link.n": "7"}]

    # The materialized view filled the lookup table: one trace, its start and end.
    lookup = clickhouse("SELECT TraceId, count() AS n FROM otel.otel_traces_trace_id_ts "
                        "GROUP BY TraceId")
    assert [r["TraceId"] for r in lookup] == [server["TraceId"]]
    # contrib's DDL, TTL included.
    ddl = clickhouse("SHOW CREATE TABLE otel.otel_traces")[0]["statement"]
    assert "TTL toDateTime(Timestamp) + toIntervalDay(3)" in ddl
    assert "INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1" in ddl
