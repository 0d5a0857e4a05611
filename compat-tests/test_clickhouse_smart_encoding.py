"""SmartEncoding on the real ClickHouse engine (chDB behind `sondetest.chfront`).

One sonde writes the same data twice: `clickhouse/plain` into database `plain` with
contrib's schema, `clickhouse/smart` into database `smart` with `smart_encoding` on.
The SDK sends spans, log records and metric points of every type (a summary by hand:
the SDK makes none) under four resources, one of them shared by traces and logs.

The views of `smart` must return exactly the rows of the tables of `plain`, column
for column in the same order with the same types; the dictionary holds each resource
attribute set once, whichever signals use it; the fact tables hold no map.
"""

import json
import time
import urllib.error
import urllib.request

import pytest
import yaml
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.metrics.v1.metrics_pb2 import (Metric, ResourceMetrics,
                                                        ScopeMetrics, Summary,
                                                        SummaryDataPoint)
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from sondetest.configs import Ports, pipeline
from sondetest.process import run_cli
from test_clickhouse_chdb import clickhouse, emit as emit_spans  # noqa: F401 (fixture)
from test_clickhouse_chdb_logs import emit as emit_logs
from test_clickhouse_chdb_metrics import emit_once

TABLES = {  # table -> rows expected
    "otel_traces": 6,
    "otel_logs": 4,
    "otel_metrics_gauge": 3,
    "otel_metrics_sum": 4,
    "otel_metrics_histogram": 1,
    "otel_metrics_exponential_histogram": 1,
    "otel_metrics_summary": 2,
}


def exporter(port: int, database: str, smart: bool) -> dict:
    config = {
        "endpoint": f"http://127.0.0.1:{port}",
        "database": database,
        "ttl": "24h",
        "retry_on_failure": {"initial_interval": "100ms", "max_interval": "500ms"},
    }
    if smart:
        config["smart_encoding"] = {"enabled": True}
    return config


def summary_request() -> bytes:
    def kv(key, value):
        return KeyValue(key=key, value=AnyValue(string_value=value))

    now = time.time_ns()
    points = [SummaryDataPoint(
        attributes=[kv("route", route)], start_time_unix_nano=now - 10**9,
        time_unix_nano=now, count=count, sum=total,
        quantile_values=[SummaryDataPoint.ValueAtQuantile(quantile=0.5, value=total / count),
                         SummaryDataPoint.ValueAtQuantile(quantile=0.99, value=total)])
        for route, count, total in (("/a", 4, 10.0), ("/b", 1, 2.5))]
    request = ExportMetricsServiceRequest(resource_metrics=[ResourceMetrics(
        resource={"attributes": [kv("service.name", "ch-summary"), kv("k8s.pod.name", "p-1")]},
        scope_metrics=[ScopeMetrics(metrics=[Metric(
            name="rpc.latency", unit="s", summary=Summary(data_points=points))])])])
    return request.SerializeToString()


def send_everything(http_port: int) -> None:
    base = f"http://127.0.0.1:{http_port}"
    shared = Resource({"service.name": "ch-smart", "host.name": "h1",
                       "container.id": "c" * 64})
    for resource in (shared, Resource({"service.name": "ch-other", "host.name": "h2"})):
        provider = TracerProvider(resource=resource)
        provider.add_span_processor(SimpleSpanProcessor(
            OTLPSpanExporter(endpoint=f"{base}/v1/traces")))
        emit_spans(provider)
        provider.shutdown()

    logs = LoggerProvider(resource=shared)
    logs.add_log_record_processor(SimpleLogRecordProcessor(
        OTLPLogExporter(endpoint=f"{base}/v1/logs")))
    emit_logs(logs)
    logs.shutdown()

    emit_once(f"{base}/v1/metrics")

    request = urllib.request.Request(f"{base}/v1/metrics", data=summary_request(),
                                     headers={"Content-Type": "application/x-protobuf"})
    with urllib.request.urlopen(request, timeout=10) as r:
        assert r.status == 200


def wait_counts(clickhouse, database: str) -> None:
    deadline = time.time() + 30
    counts = {}
    while time.time() < deadline:
        counts = {}
        for table in TABLES:
            try:
                counts[table] = int(clickhouse(
                    f"SELECT count() AS n FROM {database}.{table}")[0]["n"])
            except urllib.error.HTTPError:
                counts[table] = -1  # not there yet
        if counts == TABLES:
            return
        time.sleep(0.3)
    assert counts == TABLES, database


def canonical(rows: list[dict]) -> list[str]:
    return sorted(json.dumps(row, sort_keys=True) for row in rows)


def test_views_return_the_rows_of_the_standard_tables(start_sonde, clickhouse):
    ports = Ports()
    exporters = {"clickhouse/plain": exporter(clickhouse.port, "plain", False),
                 "clickhouse/smart": exporter(clickhouse.port, "smart", True)}
    start_sonde(pipeline(ports, exporters), ports)
    send_everything(ports.http)
    wait_counts(clickhouse, "plain")
    wait_counts(clickhouse, "smart")

    for table in TABLES:
        plain_desc = clickhouse(f"DESCRIBE TABLE plain.{table}")
        smart_desc = clickhouse(f"DESCRIBE TABLE smart.{table}")
        assert [(c["name"], c["type"]) for c in smart_desc] == \
               [(c["name"], c["type"]) for c in plain_desc], table
        plain = clickhouse(f"SELECT * FROM plain.{table}")
        smart = clickhouse(f"SELECT * FROM smart.{table}")
        assert len(plain) == TABLES[table]
        assert canonical(smart) == canonical(plain), table
        engine = clickhouse("SELECT engine FROM system.tables "
                            f"WHERE database = 'smart' AND name = '{table}'")
        assert engine == [{"engine": "View"}]
        facts = [c["name"] for c in clickhouse(f"DESCRIBE TABLE smart.{table}_facts")]
        assert "ResourceId" in facts and "ResourceAttributes" not in facts

    # Four sets: two tracer resources (one shared with the logs), the meter's, the
    # summary's. Each once, however many signals and rows use it.
    sets = clickhouse("SELECT ResourceId, ResourceAttributes FROM smart.otel_resources FINAL")
    assert len(sets) == 4, sets
    names = sorted(s["ResourceAttributes"]["service.name"] for s in sets)
    assert names == ["ch-metrics", "ch-other", "ch-smart", "ch-summary"]
    shared = clickhouse(
        "SELECT uniqExact(ResourceId) AS n FROM (SELECT ResourceId FROM smart.otel_traces_facts "
        "WHERE ServiceName = 'ch-smart' UNION ALL SELECT ResourceId FROM smart.otel_logs_facts)")
    assert int(shared[0]["n"]) == 1

    # Queries of the Grafana kind read the views as they read the tables.
    for sql in (
        "SELECT ServiceName, count() AS n FROM {db}.otel_traces "
        "WHERE ResourceAttributes['host.name'] = 'h1' GROUP BY ServiceName ORDER BY ServiceName",
        "SELECT TraceId, SpanName, Events.Name FROM {db}.otel_traces "
        "WHERE ServiceName = 'ch-smart' ORDER BY SpanName, TraceId",
        "SELECT TraceId, Start, End FROM {db}.otel_traces_trace_id_ts ORDER BY TraceId",
        "SELECT Body, ResourceAttributes['container.id'] AS c FROM {db}.otel_logs "
        "WHERE ServiceName = 'ch-smart' ORDER BY Body",
        "SELECT MetricName, ValueAtQuantiles.Value, ResourceAttributes['k8s.pod.name'] AS pod "
        "FROM {db}.otel_metrics_summary ORDER BY Count",
    ):
        plain = clickhouse(sql.format(db="plain"))
        assert plain, sql
        assert clickhouse(sql.format(db="smart")) == plain, sql


def test_a_table_where_a_view_belongs_fails_the_start(clickhouse, sonde_bin, tmp_path):
    clickhouse("CREATE DATABASE conflict")
    clickhouse("CREATE TABLE conflict.otel_traces (x UInt8) ENGINE = MergeTree ORDER BY x")
    ports = Ports()
    config = pipeline(ports, {"clickhouse": exporter(clickhouse.port, "conflict", True)},
                      signals=("traces",))
    path = tmp_path / "sonde.yaml"
    path.write_text(yaml.safe_dump(config))
    result = run_cli(sonde_bin, ["--config", str(path)], timeout=60)

    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert ('table "conflict"."otel_traces" is a MergeTree table, but smart_encoding reads '
            'the data through a view of that name over "conflict"."otel_traces_facts": '
            'rename or drop the table, or choose other table names') in output, output


if __name__ == "__main__":
    pytest.main([__file__, "-v"])
