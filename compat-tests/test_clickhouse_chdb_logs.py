"""The OpenTelemetry Python SDK's logs -> sonde (otlp receiver -> clickhouse exporter)
-> ClickHouse (chDB behind `sondetest.chfront`): sonde creates contrib's `otel_logs`,
and the rows read back equal the records the SDK sent, field for field.
"""

import json
import logging
import time
import urllib.error

from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

from sondetest.configs import Ports, pipeline
from test_clickhouse_chdb import clickhouse, expected_attr, hexid  # noqa: F401 (fixture)


def emit(provider: LoggerProvider):
    # Recent times: older rows would be past the table's TTL and dropped.
    now = time.time_ns()
    otel_logger = provider.get_logger("sondetest.clickhouse.logs", "0.9",
                                      attributes={"scope.attr": "s"})
    otel_logger.emit(body="structured", severity_number=SeverityNumber.WARN,
                     severity_text="WARN", attributes={"user.id": 42, "ok": True, "r": 0.5},
                     event_name="app.login", timestamp=now - 5_000_000_123)
    otel_logger.emit(body={"k": "v", "n": 1}, severity_number=SeverityNumber.INFO,
                     severity_text="INFO", event_name="")
    otel_logger.emit(body="no timestamp", observed_timestamp=now - 4_000_000_000)

    # The logging handler inside a span: trace context in the record.
    tracer = TracerProvider().get_tracer("t")
    logger = logging.getLogger("sondetest.clickhouse.handler")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    handler = LoggingHandler(level=logging.DEBUG, logger_provider=provider)
    logger.addHandler(handler)
    try:
        with tracer.start_as_current_span("s"):
            logger.error("failed %s", "here", extra={"code": 7})
    finally:
        logger.removeHandler(handler)


def test_sdk_logs_land_in_otel_logs(start_sonde, clickhouse):
    ports = Ports()
    exporter = {"clickhouse": {
        "endpoint": f"http://127.0.0.1:{clickhouse.port}",
        "database": "otel",
        "ttl": "24h",
        "retry_on_failure": {"initial_interval": "100ms", "max_interval": "500ms"},
    }}
    start_sonde(pipeline(ports, exporter, signals=("logs",)), ports)

    memory = InMemoryLogRecordExporter()
    provider = LoggerProvider(resource=Resource({"service.name": "ch-logs", "host.name": "h1"}))
    provider.add_log_record_processor(SimpleLogRecordProcessor(memory))
    provider.add_log_record_processor(SimpleLogRecordProcessor(
        OTLPLogExporter(endpoint=f"http://127.0.0.1:{ports.http}/v1/logs")))
    emit(provider)
    provider.shutdown()
    sent = [r for r in memory.get_finished_logs()]
    assert len(sent) == 4

    columns = ("toUnixTimestamp64Nano(Timestamp) AS ts, toUnixTimestamp(TimestampTime) AS tt, "
               "TraceId, SpanId, TraceFlags, SeverityText, SeverityNumber, ServiceName, Body, "
               "ResourceSchemaUrl, ResourceAttributes, ScopeSchemaUrl, ScopeName, ScopeVersion, "
               "ScopeAttributes, LogAttributes, EventName")
    deadline = time.time() + 30
    rows = []
    while time.time() < deadline:
        try:
            rows = clickhouse(f"SELECT {columns} FROM otel.otel_logs ORDER BY Timestamp")
        except urllib.error.HTTPError:
            rows = []  # the table is not there yet
        if len(rows) >= 4:
            break
        time.sleep(0.3)
    assert len(rows) == 4, rows

    def body_text(body) -> str:
        if isinstance(body, dict):
            return json.dumps(body, separators=(",", ":"), sort_keys=True)
        return str(body)

    by_body = {row["Body"]: row for row in rows}
    assert len(by_body) == 4
    for readable in sent:
        record = readable.log_record
        row = by_body[body_text(record.body)]
        ts = record.timestamp or record.observed_timestamp
        assert int(row["ts"]) == ts
        assert int(row["tt"]) == ts // 1_000_000_000
        assert row["TraceId"] == (hexid(record.trace_id, 32) if record.trace_id else "")
        assert row["SpanId"] == (hexid(record.span_id, 16) if record.span_id else "")
        assert row["TraceFlags"] == int(record.trace_flags or 0)
        assert row["SeverityText"] == (record.severity_text or "")
        assert row["SeverityNumber"] == (record.severity_number.value
                                         if record.severity_number else 0)
        assert row["ServiceName"] == "ch-logs"
        assert row["ResourceAttributes"] == {k: expected_attr(v)
                                             for k, v in readable.resource.attributes.items()}
        assert row["ResourceSchemaUrl"] == ""
        assert row["LogAttributes"] == {k: expected_attr(v)
                                        for k, v in (record.attributes or {}).items()}
        assert row["EventName"] == (record.event_name or "")
        scope = readable.instrumentation_scope
        assert (row["ScopeName"], row["ScopeVersion"]) == (scope.name, scope.version or "")
        assert row["ScopeAttributes"] == {k: expected_attr(v)
                                          for k, v in (scope.attributes or {}).items()}

    login = by_body["structured"]
    assert login["EventName"] == "app.login"
    assert login["LogAttributes"] == {"user.id": "42", "ok": "true", "r": "0.5"}
    assert login["ScopeAttributes"] == {"scope.attr": "s"}
    handled = by_body["failed here"]
    assert handled["TraceId"] != "" and handled["SpanId"] != ""
    assert handled["TraceFlags"] & 1 == 1  # sampled (the SDK may set the random bit too)
    assert (handled["SeverityText"], handled["SeverityNumber"]) == ("ERROR", 17)

    ddl = clickhouse("SHOW CREATE TABLE otel.otel_logs")[0]["statement"]
    assert "TTL TimestampTime + toIntervalDay(1)" in ddl
    assert "`TimestampTime` DateTime DEFAULT toDateTime(Timestamp)" in ddl
    assert "`EventName` String CODEC(ZSTD(1))" in ddl
    assert "INDEX idx_body Body TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 8" in ddl
