"""The `deepflow` receiver: the DeepFlow agent's integration paths on one listener,
fed by real senders pointed at it as they would be at an agent — the OpenTelemetry
Python SDK's OTLP/HTTP exporter on `/api/v1/otel/trace`, the real Prometheus 2.42
remote-writing to `/api/v1/prometheus`, and line protocol posted to
`/api/v1/telegraf` as Telegraf's `http` output does (Telegraf itself is in no
registry here). Malformed requests get their status and message while other
clients are served.
"""

import gzip

import pytest
import requests

from sondetest.configs import Ports, otlp_exporter
from sondetest.ebpf import run_python
from sondetest.ports import free_port
from sondetest.prometheus import PROMETHEUS, start_prometheus
from sondetest.telemetry import spans
from sondetest.wait import wait_until


@pytest.fixture
def deepflow(start_sonde, grpc_sink):
    ports = Ports()
    port = free_port()
    pipeline = {"receivers": ["deepflow"], "exporters": ["otlp"]}
    start_sonde({
        "receivers": {"deepflow": {"endpoint": f"127.0.0.1:{port}", "sums": ["*_total"]}},
        "exporters": {"otlp": otlp_exporter(grpc_sink.port)},
        "extensions": {"health_check": {"endpoint": f"127.0.0.1:{ports.health}"}},
        "service": {
            "extensions": ["health_check"],
            "telemetry": {"metrics": {"level": "none"}},
            "pipelines": {"traces": pipeline, "metrics": dict(pipeline)},
        },
    }, ports, wait_ports=[port])
    return port


SDK = r"""
import sys
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

provider = TracerProvider(resource=Resource.create({"service.name": "migrated"}))
provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=sys.argv[1])))
with provider.get_tracer("sondetest.deepflow").start_as_current_span("checkout") as span:
    span.set_attribute("order.id", 1234)
provider.shutdown()
"""


def test_sdk_spans_on_the_otel_trace_path(deepflow, grpc_sink):
    run_python(SDK, f"http://127.0.0.1:{deepflow}/api/v1/otel/trace")
    wait_until(lambda: spans(grpc_sink.snapshot("traces")), timeout=30, what="the SDK span")
    [span] = spans(grpc_sink.snapshot("traces"))
    assert (span.name, span.scope, span.attrs) == ("checkout", "sondetest.deepflow",
                                                   {"order.id": 1234})
    assert span.resource["service.name"] == "migrated"


def metric_points(sink) -> dict:
    """metric name -> [(kind, attributes, value)]."""
    out = {}
    for request in sink.snapshot("metrics"):
        for rm in request.resource_metrics:
            for sm in rm.scope_metrics:
                assert sm.scope.name == "sonde/receiver/deepflow"
                for metric in sm.metrics:
                    kind = metric.WhichOneof("data")
                    for dp in getattr(metric, kind).data_points:
                        value = getattr(dp, dp.WhichOneof("value"), None) if kind in (
                            "gauge", "sum") else dp.count
                        out.setdefault(metric.name, []).append(
                            (kind, {a.key: a.value.string_value for a in dp.attributes}, value))
    return out


def test_telegraf_lines_with_one_bad_line(deepflow, grpc_sink):
    body = ("cpu,host=web-1 usage_idle=97.5,usage_user=2i 1700000000000000000\n"
            "cpu,host=web-1 usage_idle=\n"
            "net,host=web-1,interface=eth0 bytes_recv_total=123456u 1700000000000000000\n")
    answer = requests.post(f"http://127.0.0.1:{deepflow}/api/v1/telegraf", data=body)
    assert answer.status_code == 400
    assert answer.text == ("partial write: 1 of 3 lines did not parse (the others were "
                           "written): line 2, column 27: missing field value\n")
    gz = requests.post(f"http://127.0.0.1:{deepflow}/api/v1/telegraf?precision=s",
                       data=gzip.compress(b"disk,path=/ used_percent=41.5 1700000000\n"),
                       headers={"Content-Encoding": "gzip"})
    assert gz.status_code == 204, gz.text
    wait_until(lambda: "disk_used_percent" in metric_points(grpc_sink), timeout=30,
               what="the telegraf metrics")
    got = metric_points(grpc_sink)
    assert got["cpu_usage_idle"] == [("gauge", {"host": "web-1"}, 97.5)]
    assert got["cpu_usage_user"] == [("gauge", {"host": "web-1"}, 2)]
    assert got["net_bytes_recv_total"] == [("sum", {"host": "web-1", "interface": "eth0"},
                                            123456)]
    assert got["disk_used_percent"] == [("gauge", {"path": "/"}, 41.5)]


def test_prometheus_remote_writes_to_the_prometheus_path(deepflow, grpc_sink, peers, tmp_path):
    if PROMETHEUS is None:
        pytest.skip("no prometheus binary (apt-get install prometheus; CI installs it)")
    start_prometheus(peers, tmp_path, deepflow, path="/api/v1/prometheus")

    def orders():
        return metric_points(grpc_sink).get("shop_orders_total", [])

    wait_until(lambda: {a["method"] for _, a, _ in orders()} == {"card", "cash"}, timeout=60,
               what="the scraped counter")
    by_method = {a["method"]: (kind, v) for kind, a, v in orders()}
    assert by_method == {"card": ("sum", 42.0), "cash": ("sum", 7.0)}
    # The histogram arrives whole: its count is the exposition's.
    wait_until(lambda: metric_points(grpc_sink).get("shop_request_seconds"), timeout=60,
               what="the histogram")
    assert {v for _, _, v in metric_points(grpc_sink)["shop_request_seconds"]} == {10}


def test_malformed_requests_get_their_status_and_others_are_served(deepflow, grpc_sink):
    base = f"http://127.0.0.1:{deepflow}"
    cases = [
        ("/api/v1/otel/trace", {"Content-Type": "application/json"}, b"{}", 415,
         "\"application/json\" is not supported: send application/x-protobuf\n"),
        ("/api/v1/otel/trace", {"Content-Type": "application/x-protobuf"}, b"\xff\xff\xff", 400,
         None),
        ("/api/v1/prometheus", {"Content-Type": "application/x-protobuf",
                                "Content-Encoding": "snappy"}, b"not snappy at all", 400, None),
        ("/api/v1/prometheus", {"Content-Type": "application/x-protobuf"}, b"", 415,
         "Content-Encoding is required: snappy\n"),
        ("/api/v1/telegraf?precision=fortnight", {}, b"m v=1", 400,
         "invalid precision \"fortnight\"\n"),
        ("/api/v1/telegraf", {"Content-Encoding": "gzip"}, b"not gzip", 400, None),
    ]
    for path, headers, body, status, message in cases:
        answer = requests.post(base + path, data=body, headers=headers)
        assert answer.status_code == status, (path, answer.status_code, answer.text)
        if message is not None:
            assert answer.text == message, path
        else:
            assert answer.text.strip(), path
        # A good client right after each bad one is served.
        good = requests.post(base + "/api/v1/telegraf", data=f"ok,case={len(path)} v=1")
        assert good.status_code == 204
    assert requests.get(base + "/api/v1/telegraf").status_code == 405
    wait_until(lambda: len(metric_points(grpc_sink).get("ok_v", [])) == len(cases), timeout=30,
               what="every good client's point")
