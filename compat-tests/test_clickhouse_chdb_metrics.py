"""The OpenTelemetry Python SDK's metrics -> sonde (otlp receiver -> clickhouse
exporter) -> ClickHouse (chDB behind `sondetest.chfront`): sonde creates contrib's five
metric tables, and every gauge, sum, histogram and exponential-histogram data point the
SDK exported is a row equal to it, exemplars included. (The SDK makes no summaries; the
summary table is created, and its rows are checked byte for byte by the unit tests.)
"""

import time
import urllib.error

from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.metrics import Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (ExponentialHistogram, Gauge, Histogram,
                                              PeriodicExportingMetricReader, Sum)
from opentelemetry.sdk.metrics.view import ExponentialBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

from sondetest.configs import Ports, pipeline
from test_clickhouse_chdb import clickhouse, expected_attr, hexid  # noqa: F401 (fixture)


class RecordingExporter(OTLPMetricExporter):
    """The OTLP/HTTP exporter, keeping what it exported."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sent = []

    def export(self, metrics_data, *args, **kwargs):
        self.sent.append(metrics_data)
        return super().export(metrics_data, *args, **kwargs)


def emit(provider: MeterProvider):
    meter = provider.get_meter("sondetest.clickhouse.metrics", "0.9")
    tracer = TracerProvider().get_tracer("t")
    requests = meter.create_counter("requests", unit="1", description="requests served")
    with tracer.start_as_current_span("sampled"):
        requests.add(5, {"route": "/a"})  # an exemplar with this span's ids
    requests.add(2, {"route": "/b"})
    meter.create_up_down_counter("queue.depth").add(-3, {"q": "x"})
    meter.create_counter("bytes", unit="By").add(1.5)
    gauge = meter.create_gauge("temperature", unit="Cel")
    gauge.set(21.5, {"room": "kitchen"})
    gauge.set(-4, {"room": "freezer"})
    meter.create_observable_gauge(
        "cpu.utilization", callbacks=[lambda _options: [Observation(0.75, {"cpu": "0"})]])
    latency = meter.create_histogram("latency", unit="ms")
    with tracer.start_as_current_span("sampled"):
        latency.record(12.5, {"route": "/a"})
    latency.record(700, {"route": "/a"})
    size = meter.create_histogram("size", unit="By")  # exponential, by the view
    for v in (0, 3, 4, 1000, 0.25):
        size.record(v)


def emit_once(endpoint: str) -> RecordingExporter:
    """`emit` through a meter provider whose one collection and export happen at
    shutdown ("size" as an exponential histogram); returns what was exported."""
    recording = RecordingExporter(endpoint=endpoint)
    provider = MeterProvider(
        resource=Resource({"service.name": "ch-metrics", "host.name": "h1"}),
        metric_readers=[PeriodicExportingMetricReader(recording,
                                                      export_interval_millis=3_600_000)],
        views=[View(instrument_name="size",
                    aggregation=ExponentialBucketHistogramAggregation(max_size=20))])
    emit(provider)
    provider.shutdown()
    return recording


def test_sdk_metrics_land_in_metric_tables(start_sonde, clickhouse):
    ports = Ports()
    exporter = {"clickhouse": {
        "endpoint": f"http://127.0.0.1:{clickhouse.port}",
        "database": "otel",
        "retry_on_failure": {"initial_interval": "100ms", "max_interval": "500ms"},
    }}
    start_sonde(pipeline(ports, exporter, signals=("metrics",)), ports)

    recording = emit_once(f"http://127.0.0.1:{ports.http}/v1/metrics")
    assert len(recording.sent) == 1

    kinds = {Gauge: "gauge", Sum: "sum", Histogram: "histogram",
             ExponentialHistogram: "exp_histogram"}
    sent = {kind: [] for kind in kinds.values()}
    for data in recording.sent:
        for rm in data.resource_metrics:
            for sm in rm.scope_metrics:
                for metric in sm.metrics:
                    for point in metric.data.data_points:
                        sent[kinds[type(metric.data)]].append((rm, sm, metric, point))
    assert {k: len(v) for k, v in sent.items()} == {
        "gauge": 3, "sum": 4, "histogram": 1, "exp_histogram": 1}

    columns = ("ResourceAttributes, ResourceSchemaUrl, ScopeName, ScopeVersion, "
               "ScopeAttributes, ScopeDroppedAttrCount, ScopeSchemaUrl, ServiceName, MetricName, "
               "MetricDescription, MetricUnit, Attributes, "
               "toUnixTimestamp64Nano(StartTimeUnix) AS start, "
               "toUnixTimestamp64Nano(TimeUnix) AS time, Flags, "
               "Exemplars.FilteredAttributes, "
               "arrayMap(x -> toUnixTimestamp64Nano(x), Exemplars.TimeUnix) AS ets, "
               "Exemplars.Value, Exemplars.SpanId, Exemplars.TraceId")

    def rows_of(table: str, extra: str, n: int) -> list[dict]:
        deadline = time.time() + 30
        rows = []
        while time.time() < deadline:
            try:
                rows = clickhouse(f"SELECT {columns}{extra} FROM otel.{table}")
            except urllib.error.HTTPError:
                rows = []  # the table is not there yet
            if len(rows) >= n:
                break
            time.sleep(0.3)
        assert len(rows) == n, rows
        return rows

    hist = ", Count, Sum, Min, Max, AggregationTemporality"
    tables = {"gauge": rows_of("otel_metrics_gauge", ", Value", 3),
              "sum": rows_of("otel_metrics_sum",
                             ", Value, AggregationTemporality, IsMonotonic", 4),
              "histogram": rows_of("otel_metrics_histogram",
                                   hist + ", BucketCounts, ExplicitBounds", 1),
              "exp_histogram": rows_of(
                  "otel_metrics_exponential_histogram",
                  hist + ", Scale, ZeroCount, PositiveOffset, PositiveBucketCounts, "
                  "NegativeOffset, NegativeBucketCounts", 1)}
    for kind, points in sent.items():
        rows = {(r["MetricName"], tuple(sorted(r["Attributes"].items()))): r
                for r in tables[kind]}
        for rm, sm, metric, point in points:
            attrs = {k: expected_attr(v) for k, v in point.attributes.items()}
            row = rows[(metric.name, tuple(sorted(attrs.items())))]
            assert row["ResourceAttributes"] == {k: expected_attr(v) for k, v in
                                                 rm.resource.attributes.items()}
            assert row["ResourceSchemaUrl"] == (rm.schema_url or "")
            assert (row["ScopeName"], row["ScopeVersion"]) == ("sondetest.clickhouse.metrics",
                                                               "0.9")
            assert row["ScopeAttributes"] == {}
            assert row["ScopeDroppedAttrCount"] == 0
            assert row["ScopeSchemaUrl"] == (sm.schema_url or "")
            assert row["ServiceName"] == "ch-metrics"
            assert row["MetricDescription"] == (metric.description or "")
            assert row["MetricUnit"] == (metric.unit or "")
            assert int(row["start"]) == (point.start_time_unix_nano or 0)
            assert int(row["time"]) == point.time_unix_nano
            assert row["Flags"] == 0
            exemplars = point.exemplars or []
            assert row["Exemplars.FilteredAttributes"] == [
                {k: expected_attr(v) for k, v in (e.filtered_attributes or {}).items()}
                for e in exemplars]
            assert [int(t) for t in row["ets"]] == [e.time_unix_nano for e in exemplars]
            assert row["Exemplars.Value"] == [float(e.value) for e in exemplars]
            assert row["Exemplars.SpanId"] == [hexid(e.span_id or 0, 16) for e in exemplars]
            assert row["Exemplars.TraceId"] == [hexid(e.trace_id or 0, 32) for e in exemplars]
            if kind in ("gauge", "sum"):
                assert row["Value"] == float(point.value)
            if kind != "gauge":
                assert row["AggregationTemporality"] == int(metric.data.aggregation_temporality)
            if kind == "sum":
                assert row["IsMonotonic"] == metric.data.is_monotonic
            if kind in ("histogram", "exp_histogram"):
                assert int(row["Count"]) == point.count
                assert (row["Sum"], row["Min"], row["Max"]) == (point.sum, point.min, point.max)
            if kind == "histogram":
                assert [int(c) for c in row["BucketCounts"]] == list(point.bucket_counts)
                assert row["ExplicitBounds"] == [float(b) for b in point.explicit_bounds]
            if kind == "exp_histogram":
                assert (row["Scale"], int(row["ZeroCount"])) == (point.scale, point.zero_count)
                assert row["PositiveOffset"] == point.positive.offset
                assert [int(c) for c in row["PositiveBucketCounts"]] == list(
                    point.positive.bucket_counts)
                assert row["NegativeOffset"] == point.negative.offset
                assert [int(c) for c in row["NegativeBucketCounts"]] == list(
                    point.negative.bucket_counts)

    sums = {r["MetricName"] + str(r["Attributes"]): r for r in tables["sum"]}
    sampled = sums["requests{'route': '/a'}"]
    assert sampled["Value"] == 5.0 and len(sampled["Exemplars.TraceId"]) == 1
    assert sampled["Exemplars.TraceId"][0] != "0" * 32
    assert sums["queue.depth{'q': 'x'}"]["IsMonotonic"] is False
    assert sums["bytes{}"]["Value"] == 1.5

    latency = tables["histogram"][0]
    assert (int(latency["Count"]), latency["Sum"]) == (2, 712.5)
    assert len(latency["Exemplars.TraceId"]) >= 1
    assert int(tables["exp_histogram"][0]["ZeroCount"]) == 1

    summary = clickhouse("SELECT count() AS n FROM otel.otel_metrics_summary")
    assert int(summary[0]["n"]) == 0
    ddl = clickhouse("SHOW CREATE TABLE otel.otel_metrics_sum")[0]["statement"]
    assert "`IsMonotonic` Bool CODEC(Delta(1), ZSTD(1))" in ddl
    assert "ORDER BY (ServiceName, MetricName, Attributes, toUnixTimestamp64Nano(TimeUnix))" in ddl
