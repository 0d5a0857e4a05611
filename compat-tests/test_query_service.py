"""The query extension end to end: the OpenTelemetry Python SDK -> sonde (otlp receiver
-> clickhouse exporter) -> ClickHouse (chDB behind `sondetest.chfront`), and the same
sonde's `query` extension answering SQL and trace look-ups over what was stored.

A trace by id returns every one of its spans, across services; an aggregation returns
the right counts; writes, DDL and a second statement are refused with 400 before they
reach ClickHouse; a syntax error comes back as 400 with ClickHouse's own message; the
bearer token is required.

Then the same service in front of Debian's real `clickhouse-server` (18.16, `apt-get
install clickhouse-server`): the bounds sent as URL settings beside `readonly=1` are
taken by a real server, and its older error text (`Code: N, e.displayText() = ...`, no
code header) is read right.
"""

import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from sondetest.configs import Ports, pipeline
from sondetest.ports import free_port, port_open

# chDB and the HTTP front, started per test (see test_clickhouse_chdb.py).
from test_clickhouse_chdb import clickhouse  # noqa: F401  (pytest fixture)

TOKEN = "s3cret-token"


def call(port: int, method: str, path: str, *, form: dict | None = None,
         body: dict | None = None, token: str | None = TOKEN):
    """One request to the query service; returns (status, headers, parsed JSON body)."""
    data, headers = None, {}
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data,
                                     headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.headers, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, e.headers, json.loads(e.read() or b"null")


def sql(port: int, statement: str, **kwargs):
    return call(port, "POST", "/v1/query", form={"sql": statement}, **kwargs)


def provider(service: str, port: int, memory: InMemorySpanExporter) -> TracerProvider:
    p = TracerProvider(resource=Resource({"service.name": service}))
    p.add_span_processor(SimpleSpanProcessor(memory))
    p.add_span_processor(SimpleSpanProcessor(
        OTLPSpanExporter(endpoint=f"http://127.0.0.1:{port}/v1/traces")))
    return p


def test_query_service_over_stored_spans(start_sonde, clickhouse):  # noqa: F811
    ports = Ports()
    query_port = free_port()
    exporter = {"clickhouse": {
        "endpoint": f"http://127.0.0.1:{clickhouse.port}",
        "database": "otel",
        "retry_on_failure": {"initial_interval": "100ms", "max_interval": "500ms"},
    }}
    config = pipeline(ports, exporter, signals=("traces",))
    config["extensions"]["query"] = {
        "endpoint": f"127.0.0.1:{query_port}",
        "clickhouse": {"endpoint": f"http://127.0.0.1:{clickhouse.port}", "database": "otel"},
        "auth": {"bearer": {"token": TOKEN}},
    }
    config["service"]["extensions"].append("query")
    start_sonde(config, ports, wait_ports=[ports.grpc, ports.http, query_port])

    # One trace across two services (checkout -> payments), and a second trace in
    # payments alone: checkout has 2 spans, payments 3.
    memory = InMemorySpanExporter()
    checkout = provider("checkout", ports.http, memory)
    payments = provider("payments", ports.http, memory)
    with checkout.get_tracer("shop").start_as_current_span("POST /order", kind=SpanKind.SERVER):
        with checkout.get_tracer("shop").start_as_current_span(
                "POST /pay", kind=SpanKind.CLIENT) as client:
            ctx = trace.set_span_in_context(client)
            payments.get_tracer("pay").start_span("charge", context=ctx,
                                                  kind=SpanKind.SERVER).end()
    with payments.get_tracer("pay").start_as_current_span("refund"):
        payments.get_tracer("pay").start_span("ledger").end()
    checkout.shutdown()
    payments.shutdown()
    sent = memory.get_finished_spans()
    assert len(sent) == 5

    # Wait until every span is stored, asking through the service itself.
    deadline = time.time() + 30
    while True:
        status, _, answer = sql(query_port, "SELECT count() FROM otel_traces")
        if status == 200 and answer["result"]["values"] == [[5]]:
            break
        assert time.time() < deadline, (status, answer)
        time.sleep(0.3)

    # An aggregation: exact numbers, in DeepFlow's querier envelope.
    status, _, answer = call(query_port, "POST", "/v1/query", body={
        "sql": "SELECT ServiceName, count() AS spans FROM otel_traces "
               "GROUP BY ServiceName ORDER BY ServiceName"})
    assert status == 200, answer
    assert answer == {"OPT_STATUS": "SUCCESS", "DESCRIPTION": "", "result": {
        "columns": ["ServiceName", "spans"],
        "values": [["checkout", 2], ["payments", 3]]}}

    # A trace by id: all three spans, two services, with their names, ids and parents.
    order = next(s for s in sent if s.name == "POST /order")
    trace_id = format(order.context.trace_id, "032x")
    want = {format(s.context.span_id, "016x"): s for s in sent
            if s.context.trace_id == order.context.trace_id}
    assert len(want) == 3
    status, headers, answer = call(query_port, "GET", f"/api/traces/{trace_id.upper()}")
    assert status == 200, answer
    assert headers["Content-Type"] == "application/json"
    got = {}
    for rs in answer["resourceSpans"]:
        service = next(a["value"]["stringValue"] for a in rs["resource"]["attributes"]
                       if a["key"] == "service.name")
        for ss in rs["scopeSpans"]:
            for span in ss["spans"]:
                got[span["spanId"]] = (span, service, ss["scope"]["name"])
    assert set(got) == set(want)
    for span_id, (span, service, scope) in got.items():
        s = want[span_id]
        assert span["traceId"] == trace_id
        assert span["name"] == s.name
        assert span["parentSpanId"] == (format(s.parent.span_id, "016x") if s.parent else "")
        assert service == s.resource.attributes["service.name"]
        assert scope == s.instrumentation_scope.name
        assert span["startTimeUnixNano"] == str(s.start_time)
        assert span["endTimeUnixNano"] == str(s.end_time)
        assert span["kind"] == {SpanKind.SERVER: 2, SpanKind.CLIENT: 3}[s.kind]

    # Unknown and malformed trace ids.
    status, _, answer = call(query_port, "GET", "/api/traces/" + "ab" * 16)
    assert status == 404, answer
    status, _, answer = call(query_port, "GET", "/api/traces/not-a-trace-id")
    assert status == 400, answer
    assert "malformed trace id" in answer["DESCRIPTION"]

    # Writes, DDL and a second statement never reach ClickHouse.
    allowed = ("only one SELECT, SHOW, DESCRIBE, EXPLAIN or WITH ... SELECT statement "
               "is allowed")
    for statement, why in [
        ("INSERT INTO otel_traces (SpanName) VALUES ('x')", "INSERT statements are not allowed"),
        ("DROP TABLE otel_traces", "DROP statements are not allowed"),
        ("ALTER TABLE otel_traces DELETE WHERE 1", "ALTER statements are not allowed"),
        ("SELECT 1; DROP TABLE otel_traces", "more than one statement"),
        ("TRUNCATE TABLE otel_traces", "TRUNCATE statements are not allowed"),
    ]:
        status, _, answer = sql(query_port, statement)
        assert status == 400, (statement, answer)
        assert answer["OPT_STATUS"] == "INVALID_SQL"
        assert answer["DESCRIPTION"].startswith(why), answer
        assert answer["DESCRIPTION"].endswith(allowed), answer
    assert [int(r["n"]) for r in clickhouse("SELECT count() AS n FROM otel.otel_traces")] == [5]

    # A syntax error: ClickHouse's message and code.
    status, _, answer = sql(query_port, "SELECT (1 FROM otel_traces")
    assert status == 400, answer
    assert answer["OPT_STATUS"] == "CLICKHOUSE_ERROR"
    assert answer["CLICKHOUSE_CODE"] == 62, answer
    assert answer["DESCRIPTION"].startswith("Code: 62. DB::Exception: Syntax error"), answer

    # ClickHouse's own read-only guard holds as well: a setting cannot be changed.
    status, _, answer = sql(query_port, "SELECT 1 SETTINGS max_result_rows = 1000000000")
    assert status == 400, answer
    assert answer["CLICKHOUSE_CODE"] == 164, answer

    # The result bound: more rows than max_rows is an error, not a truncation.
    status, _, answer = sql(query_port, "SELECT number FROM numbers(20000)")
    assert status == 400, answer
    assert answer["CLICKHOUSE_CODE"] == 396, answer

    # The bearer token is required.
    status, headers, answer = sql(query_port, "SELECT 1", token=None)
    assert status == 401
    assert headers["WWW-Authenticate"] == 'Bearer realm="sonde query"'
    status, _, _ = sql(query_port, "SELECT 1", token="wrong")
    assert status == 401
    status, _, _ = call(query_port, "GET", f"/api/traces/{trace_id}", token=None)
    assert status == 401


@pytest.fixture
def debian_clickhouse(tmp_path):
    """Debian's real `clickhouse-server` (18.16) on free ports with its data in the
    test's temp dir; yields its HTTP port. Too old for the OpenTelemetry schema, but a
    real server: how it takes URL settings and reports errors is the genuine article."""
    server = shutil.which("clickhouse-server") or "/usr/sbin/clickhouse-server"
    if not os.access(server, os.X_OK):
        pytest.fail("missing peer program clickhouse-server: apt-get install "
                    "clickhouse-server", pytrace=False)
    http, tcp, interserver = free_port(), free_port(), free_port()
    data = tmp_path / "ch"
    (data / "tmp").mkdir(parents=True)
    (data / "users.xml").write_text(
        "<yandex><profiles><default/></profiles><users><default><password/>"
        "<networks><ip>127.0.0.1</ip></networks><profile>default</profile>"
        "<quota>default</quota></default></users><quotas><default/></quotas></yandex>")
    (data / "config.xml").write_text(f"""<yandex>
  <logger><level>warning</level><console>1</console></logger>
  <http_port>{http}</http_port><tcp_port>{tcp}</tcp_port>
  <interserver_http_port>{interserver}</interserver_http_port>
  <listen_host>127.0.0.1</listen_host>
  <path>{data}/</path><tmp_path>{data}/tmp/</tmp_path>
  <users_config>{data}/users.xml</users_config>
  <default_profile>default</default_profile><default_database>default</default_database>
  <mark_cache_size>5368709</mark_cache_size>
</yandex>""")
    log = open(tmp_path / "clickhouse-server.log", "w")
    proc = subprocess.Popen([server, f"--config={data / 'config.xml'}"], cwd=data,
                            stdout=log, stderr=log)
    try:
        deadline = time.time() + 60
        while not port_open(http):
            assert proc.poll() is None, (tmp_path / "clickhouse-server.log").read_text()
            assert time.time() < deadline, "clickhouse-server did not start"
            time.sleep(0.2)
        yield http
    finally:
        proc.kill()
        proc.wait()
        log.close()
        print((tmp_path / "clickhouse-server.log").read_text()[-4000:])


def test_query_service_against_the_debian_clickhouse_server(start_sonde, debian_clickhouse):
    def admin(statement: str):
        urllib.request.urlopen(urllib.request.Request(
            f"http://127.0.0.1:{debian_clickhouse}/", data=statement.encode()), timeout=30)

    admin("CREATE TABLE default.calls (ServiceName String, Ms UInt64) ENGINE = Memory")
    admin("INSERT INTO default.calls VALUES ('a', 1), ('a', 2), ('b', 3), ('a', 4)")

    ports = Ports()
    query_port = free_port()
    config = pipeline(ports, {"debug": {}}, signals=("traces",))
    config["extensions"]["query"] = {
        "endpoint": f"127.0.0.1:{query_port}",
        "clickhouse": {"endpoint": f"http://127.0.0.1:{debian_clickhouse}"},
        "max_rows": 100,
    }
    config["service"]["extensions"].append("query")
    start_sonde(config, ports, wait_ports=[ports.grpc, ports.http, query_port])

    status, _, answer = sql(query_port, "SELECT ServiceName, count() AS n, sum(Ms) AS ms "
                                        "FROM calls GROUP BY ServiceName ORDER BY ServiceName",
                            token=None)
    assert status == 200, answer
    assert answer["result"] == {"columns": ["ServiceName", "n", "ms"],
                                "values": [["a", 3, 7], ["b", 1, 3]]}

    # The bounds travel as URL settings beside readonly=1, and the server took them:
    # more than max_rows is its error 396, and the statement cannot change a setting.
    status, _, answer = sql(query_port, "SELECT number FROM system.numbers LIMIT 1000",
                            token=None)
    assert (status, answer["CLICKHOUSE_CODE"]) == (400, 396), answer
    assert "Limit for result exceeded, max rows: 100.00" in answer["DESCRIPTION"]
    status, _, answer = sql(query_port, "SELECT 1 SETTINGS max_result_rows = 1000000",
                            token=None)
    assert (status, answer["CLICKHOUSE_CODE"]) == (400, 164), answer

    # This server writes `Code: 62, e.displayText() = ...`, without the code header.
    status, _, answer = sql(query_port, "SELECT (1 FROM calls", token=None)
    assert (status, answer["CLICKHOUSE_CODE"]) == (400, 62), answer
    assert answer["DESCRIPTION"].startswith("Code: 62, e.displayText() = DB::Exception: "
                                            "Syntax error"), answer

    status, _, answer = sql(query_port, "INSERT INTO calls VALUES ('c', 5)", token=None)
    assert (status, answer["OPT_STATUS"]) == (400, "INVALID_SQL"), answer
    status, _, answer = sql(query_port, "SELECT count() FROM calls", token=None)
    assert answer["result"]["values"] == [[4]], answer
