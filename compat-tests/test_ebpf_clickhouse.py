"""eBPF spans land in ClickHouse too: curl against `python -m http.server`, watched
by the eBPF receiver, exported by the clickhouse exporter into contrib's
`otel_traces` (chDB behind `sondetest.chfront`); the two rows are one trace, the
client the server's parent, under each process's service name."""

import time
import urllib.error

import pytest

from sondetest.configs import Ports, pipeline
from sondetest.ebpf import PYTHON, PythonServer, curl
from sondetest.ports import free_port
from test_clickhouse_chdb import clickhouse  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("ebpf_required")


def test_ebpf_spans_land_in_otel_traces(start_sonde, clickhouse, peers):  # noqa: F811
    ports = Ports()
    port = free_port()
    PythonServer(peers, port, {"/items/7": b"seven\n"})
    config = pipeline(ports, {"clickhouse": {
        "endpoint": f"http://127.0.0.1:{clickhouse.port}",
        "database": "otel",
        "retry_on_failure": {"initial_interval": "100ms", "max_interval": "500ms"},
    }}, signals=("traces",))
    config["receivers"]["ebpf"] = {"include_ports": [port], "span_flush_interval": "100ms"}
    config["service"]["pipelines"]["traces"]["receivers"] = ["otlp", "ebpf"]
    start_sonde(config, ports)

    _, [row] = curl(f"http://127.0.0.1:{port}/items/7")
    assert row["status"] == 200

    query = ("SELECT SpanKind, ServiceName, SpanName, TraceId, SpanId, ParentSpanId, "
             "SpanAttributes['url.path'] AS path, SpanAttributes['http.response.status_code'] "
             "AS status FROM otel.otel_traces "
             f"WHERE SpanAttributes['server.port'] = '{port}' ORDER BY SpanKind")
    rows = []
    deadline = time.time() + 30
    while time.time() < deadline and len(rows) < 2:
        try:
            rows = clickhouse(query)
        except urllib.error.HTTPError:
            rows = []  # the table is not there yet
        time.sleep(0.3)
    assert len(rows) == 2, rows
    client, server = rows  # 'Client' sorts before 'Server'
    assert (client["SpanKind"], client["ServiceName"], client["SpanName"]) == \
        ("Client", "curl", "GET"), rows
    assert (server["SpanKind"], server["ServiceName"], server["SpanName"]) == \
        ("Server", PYTHON.rsplit("/", 1)[-1], "GET /items/{id}"), rows
    assert client["path"] == server["path"] == "/items/7"
    assert client["status"] == server["status"] == "200"
    assert client["TraceId"] == server["TraceId"] and len(client["TraceId"]) == 32
    assert server["ParentSpanId"] == client["SpanId"]
    assert client["ParentSpanId"] == ""
