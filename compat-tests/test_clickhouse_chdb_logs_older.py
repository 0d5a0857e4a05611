"""An older contrib generation of `otel_logs` (no `EventName`, no `TimestampTime`),
made beforehand, with `create_schema: false`: sonde reads the table's columns with
`DESC TABLE` at start and writes only those; the rows read back equal the records
the SDK sent, field for field.
"""

import json
import time
import urllib.error

from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource

import yaml

from sondetest.configs import Ports, pipeline
from sondetest.process import run_cli
from test_clickhouse_chdb import clickhouse, expected_attr, hexid  # noqa: F401 (fixture)
from test_clickhouse_chdb_logs import emit

# contrib's otel_logs before EventName was added (the generation that brought
# TimestampTime and the UInt8 TraceFlags and SeverityNumber).
OLDER_LOGS = """CREATE TABLE otel.otel_logs (
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TimestampTime DateTime DEFAULT toDateTime(Timestamp),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    TraceFlags UInt8,
    SeverityText LowCardinality(String) CODEC(ZSTD(1)),
    SeverityNumber UInt8,
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    Body String CODEC(ZSTD(1)),
    ResourceSchemaUrl LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeSchemaUrl LowCardinality(String) CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion LowCardinality(String) CODEC(ZSTD(1)),
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    LogAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    Site LowCardinality(String) DEFAULT 'eu-1'
) ENGINE = MergeTree()
PARTITION BY toDate(TimestampTime)
PRIMARY KEY (ServiceName, TimestampTime)
ORDER BY (ServiceName, TimestampTime, Timestamp)"""


def body_text(body) -> str:
    if isinstance(body, dict):
        return json.dumps(body, separators=(",", ":"), sort_keys=True)
    return str(body)


def test_sdk_logs_land_in_an_older_otel_logs(start_sonde, clickhouse):
    clickhouse("CREATE DATABASE otel")
    clickhouse(OLDER_LOGS)
    ports = Ports()
    exporter = {"clickhouse": {
        "endpoint": f"http://127.0.0.1:{clickhouse.port}",
        "database": "otel",
        "create_schema": False,
        "retry_on_failure": {"initial_interval": "100ms", "max_interval": "500ms"},
    }}
    start_sonde(pipeline(ports, exporter, signals=("logs",)), ports)

    memory = InMemoryLogRecordExporter()
    provider = LoggerProvider(resource=Resource({"service.name": "ch-old", "host.name": "h1"}))
    provider.add_log_record_processor(SimpleLogRecordProcessor(memory))
    provider.add_log_record_processor(SimpleLogRecordProcessor(
        OTLPLogExporter(endpoint=f"http://127.0.0.1:{ports.http}/v1/logs")))
    emit(provider)
    provider.shutdown()
    sent = list(memory.get_finished_logs())
    assert len(sent) == 4

    columns = ("toUnixTimestamp64Nano(Timestamp) AS ts, toUnixTimestamp(TimestampTime) AS tt, "
               "TraceId, SpanId, TraceFlags, SeverityText, SeverityNumber, ServiceName, Body, "
               "ResourceSchemaUrl, ResourceAttributes, ScopeSchemaUrl, ScopeName, ScopeVersion, "
               "ScopeAttributes, LogAttributes, Site")
    deadline = time.time() + 30
    rows = []
    while time.time() < deadline:
        try:
            rows = clickhouse(f"SELECT {columns} FROM otel.otel_logs ORDER BY Timestamp")
        except urllib.error.HTTPError:
            rows = []
        if len(rows) >= 4:
            break
        time.sleep(0.3)
    assert len(rows) == 4, rows

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
        assert row["ServiceName"] == "ch-old"
        assert row["ResourceAttributes"] == {k: expected_attr(v)
                                             for k, v in readable.resource.attributes.items()}
        assert (row["ResourceSchemaUrl"], row["ScopeSchemaUrl"]) == ("", "")
        assert row["LogAttributes"] == {k: expected_attr(v)
                                        for k, v in (record.attributes or {}).items()}
        scope = readable.instrumentation_scope
        assert (row["ScopeName"], row["ScopeVersion"]) == (scope.name, scope.version or "")
        assert row["ScopeAttributes"] == {k: expected_attr(v)
                                          for k, v in (scope.attributes or {}).items()}
        # A column sonde does not know, left to its DEFAULT.
        assert row["Site"] == "eu-1"
    assert by_body["structured"]["LogAttributes"] == {"user.id": "42", "ok": "true", "r": "0.5"}


def test_a_column_of_another_type_fails_the_start(clickhouse, sonde_bin, tmp_path):
    # The first otel_logs: SeverityNumber was an Int32, sonde writes a UInt8.
    clickhouse("CREATE DATABASE otel")
    clickhouse(OLDER_LOGS.replace("SeverityNumber UInt8", "SeverityNumber Int32"))
    ports = Ports()
    exporter = {"clickhouse": {"endpoint": f"http://127.0.0.1:{clickhouse.port}",
                               "database": "otel", "create_schema": False}}
    path = tmp_path / "sonde.yaml"
    path.write_text(yaml.safe_dump(pipeline(ports, exporter, signals=("logs",))))
    result = run_cli(sonde_bin, ["--config", str(path)], timeout=60)

    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert ('table "otel"."otel_logs": column SeverityNumber has type Int32, '
            "but sonde writes UInt8") in output, output
