"""The `skywalking` receiver against the real SkyWalking agents: the Python agent
(`apache-skywalking` 1.2.0, `sw-python run`) in a Flask app that calls an
uninstrumented `python -m http.server` with `requests`, over gRPC and over HTTP; and
the Node.js agent (`skywalking-backend-js` 0.9.0) in a tiny `http` server, over gRPC.
sonde translates their segments into OTLP the way otelcol-contrib does and sends them
to a recording OTLP/gRPC sink.

The entry span is a SERVER span named after the route with the agent's tags as
attributes, the exit span a CLIENT child of it in the same trace, the resource's
`service.name` the agent's name. With the eBPF receiver on as well (root and BTF
only), the callee's eBPF SERVER span joins the agent's trace as the child of its exit
span, through the `sw8` header the agent sent. Bad JSON and garbage gRPC get 400 /
INVALID_ARGUMENT while a good client still gets through.
"""

import os
import shutil
import sys
import threading

import grpc
import pytest
import requests

from sondetest import metrics
from sondetest.configs import Ports, otlp_exporter
from sondetest.ebpf import PythonServer, ebpf_unavailable, peer_env, wait_port
from sondetest.ports import free_port
from sondetest.telemetry import dump, ebpf_spans, on_port, spans
from sondetest.wait import wait_until

SW_PYTHON = os.path.join(os.path.dirname(sys.executable), "sw-python")
# The Node.js agent lives in a cache outside the clone (test.sh installs it there).
NODE_MODULES = os.environ.get("SONDE_NODE_MODULES", "/var/cache/sonde-npm/node_modules")

FLASK_APP = r"""
import logging
import sys
import requests
from flask import Flask

port, callee = int(sys.argv[1]), int(sys.argv[2])
app = Flask(__name__)


@app.route("/call")
def call():
    # Reported by the agent's log reporter (WARNING and up), which sonde drops.
    logging.getLogger("app").warning("calling the callee")
    answer = requests.get(f"http://127.0.0.1:{callee}/hello.txt", timeout=10)
    return f"callee said {answer.status_code}"


app.run(host="127.0.0.1", port=port)
"""

NODE_APP = r"""
const agent = require('skywalking-backend-js').default;
agent.start({serviceName: 'node-app', serviceInstance: 'node-1',
             collectorAddress: process.argv[3]});
const http = require('http');
http.createServer((req, res) => { res.end('hi from node'); })
    .listen(Number(process.argv[2]), '127.0.0.1');
"""


def config(ports: Ports, grpc_port: int, http_port: int, sink_port: int,
           ebpf_ports: list[int] | None = None) -> dict:
    receivers = {"skywalking": {"protocols": {
        "grpc": {"endpoint": f"127.0.0.1:{grpc_port}"},
        "http": {"endpoint": f"127.0.0.1:{http_port}"}}}}
    if ebpf_ports is not None:
        receivers["ebpf"] = {"include_ports": ebpf_ports, "span_flush_interval": "100ms"}
    return {
        "receivers": receivers,
        "exporters": {"otlp": otlp_exporter(sink_port)},
        "extensions": {"health_check": {"endpoint": f"127.0.0.1:{ports.health}"}},
        "service": {
            "extensions": ["health_check"],
            "telemetry": {"metrics": {"readers": [{"pull": {"exporter": {"prometheus": {
                "host": "127.0.0.1", "port": ports.metrics}}}}]}},
            "pipelines": {"traces": {"receivers": list(receivers), "exporters": ["otlp"]}},
        },
    }


@pytest.fixture
def sky(start_sonde, grpc_sink):
    ports = Ports()
    grpc_port, http_port = free_port(), free_port()
    sonde = start_sonde(config(ports, grpc_port, http_port, grpc_sink.port), ports,
                        wait_ports=[grpc_port, http_port])
    return grpc_port, http_port, ports, sonde


# sonde logs each gRPC method it does not serve once: an agent call it would refuse.
UNKNOWN_METHOD = "unknown SkyWalking gRPC method"


def agent_spans(sink, service: str):
    return [s for s in spans(sink.snapshot("traces")) if s.resource.get("service.name") == service]


def run_flask(peers, protocol: str, backend: str, callee: int, name: str) -> int:
    """Starts the Flask app under `sw-python run`, calls `/call` once, returns its pid."""
    port = free_port()
    script = peers.workdir / "flask_app.py"
    script.write_text(FLASK_APP)
    env = peer_env(SW_AGENT_NAME=name, SW_AGENT_INSTANCE_NAME=f"{name}-1",
                   SW_AGENT_COLLECTOR_BACKEND_SERVICES=backend, SW_AGENT_PROTOCOL=protocol,
                   SW_AGENT_LOGGING_LEVEL="DEBUG", SW_AGENT_METER_REPORTER_PERIOD="1")
    proc = peers.spawn(f"flask-{protocol}", [SW_PYTHON, "run", sys.executable, str(script), str(port),
                                             str(callee)], env=env)
    wait_port(port, proc, "the Flask app")
    answer = requests.get(f"http://127.0.0.1:{port}/call", timeout=10)
    assert (answer.status_code, answer.text) == (200, "callee said 200")
    return proc.pid


def check_flask_trace(got, name: str, callee: int):
    assert len(got) == 2, dump(got)
    [entry] = [s for s in got if s.kind == "SERVER"]
    [exit_] = [s for s in got if s.kind == "CLIENT"]
    assert entry.name == "/call"
    assert entry.parent == ""
    assert entry.status == 1  # STATUS_CODE_OK, contrib's "SUCCESS"
    assert entry.attrs["http.method"] == "GET"
    assert entry.attrs["http.url"].startswith("http://127.0.0.1:")
    assert entry.attrs["http.url"].endswith("/call")
    assert entry.attrs["http.status_code"] == "200"
    assert entry.attrs["sw8.span_id"] == 0
    assert "sw8.parent_span_id" not in entry.attrs
    assert exit_.name == "/hello.txt"
    assert exit_.trace_id == entry.trace_id
    assert exit_.parent == entry.span_id
    assert exit_.attrs["http.method"] == "GET"
    assert exit_.attrs["http.url"] == f"http://127.0.0.1:{callee}/hello.txt"
    assert exit_.attrs["http.status_code"] == "200"
    assert exit_.attrs["sw8.span_id"] == 1
    assert exit_.attrs["sw8.parent_span_id"] == 0
    assert exit_.attrs["sw8.segment_id"] == entry.attrs["sw8.segment_id"]
    for span in got:
        assert span.resource["service.name"] == name
        assert span.resource["service.instance.id"] == f"{name}-1"
        assert span.resource["sw8.trace_id"].replace("-", "") == span.trace_id
        assert span.scope == ""
        assert span.start % 1_000_000 == 0 and span.end % 1_000_000 == 0
        assert span.start <= span.end
    assert entry.start <= exit_.start <= exit_.end <= entry.end
    return entry, exit_


@pytest.mark.parametrize("protocol", ["grpc", "http"])
def test_python_agent_flask_trace(sky, grpc_sink, peers, protocol):
    grpc_port, http_port, ports, sonde = sky
    callee = PythonServer(peers, free_port(), {"/hello.txt": b"hello\n"})
    backend = f"127.0.0.1:{grpc_port if protocol == 'grpc' else http_port}"
    name = f"flask-{protocol}"
    run_flask(peers, protocol, backend, callee.port, name)
    wait_until(lambda: len(agent_spans(grpc_sink, name)) >= 2, timeout=30,
               what="the agent's two spans")
    got = agent_spans(grpc_sink, name)
    print(dump(got))
    check_flask_trace(got, name, callee.port)
    # The agent's other reports are taken and dropped: its log records, and over gRPC
    # its PVM meters (HTTP has no meter reporter).
    dropped = "sonde_receiver_skywalking_dropped_messages_total"
    wait_until(lambda: metrics.scrape(ports.metrics).get(dropped, service="log") >= 1,
               timeout=30, what="the dropped log record")
    if protocol == "grpc":
        wait_until(lambda: metrics.scrape(ports.metrics).get(dropped, service="meter") >= 1,
                   timeout=30, what="the dropped meters")
    logs = peers.logs()
    assert "UNIMPLEMENTED" not in logs and "StatusCode.UNAVAILABLE" not in logs, logs
    assert UNKNOWN_METHOD not in sonde.log()


def test_python_agent_exit_span_is_the_parent_of_the_ebpf_server_span(
        start_sonde, grpc_sink, peers):
    reason = ebpf_unavailable()
    if reason:
        print(f"SKIP: {reason}", file=sys.stderr)
        pytest.skip(reason)
    ports = Ports()
    grpc_port, http_port, callee_port = free_port(), free_port(), free_port()
    callee = PythonServer(peers, callee_port, {"/hello.txt": b"hello\n"})
    start_sonde(config(ports, grpc_port, http_port, grpc_sink.port, ebpf_ports=[callee_port]),
                ports, wait_ports=[grpc_port, http_port])
    flask_pid = run_flask(peers, "grpc", f"127.0.0.1:{grpc_port}", callee_port, "flask-ebpf")

    def ebpf():
        return on_port(ebpf_spans(grpc_sink), callee_port)

    wait_until(lambda: len(agent_spans(grpc_sink, "flask-ebpf")) >= 2 and len(ebpf()) >= 2,
               timeout=30, what="the agent's spans and the eBPF spans of the call")
    got = agent_spans(grpc_sink, "flask-ebpf")
    _, exit_ = check_flask_trace(got, "flask-ebpf", callee_port)
    seen = ebpf()
    print(dump(got + seen))
    assert len(seen) == 2, dump(got + seen)
    [client] = [s for s in seen if s.kind == "CLIENT"]
    [server] = [s for s in seen if s.kind == "SERVER"]
    # The call as the Flask process made it continues the agent's exit span (the
    # eBPF receiver reads the sw8 header the agent put on it); the callee's side of
    # the same call is its child.
    assert client.resource["process.pid"] == flask_pid
    assert client.trace_id == exit_.trace_id, dump(got + seen)
    assert client.parent == exit_.span_id, dump(got + seen)
    assert server.resource["process.pid"] == callee.pid
    assert server.trace_id == exit_.trace_id, dump(got + seen)
    assert server.parent == client.span_id, dump(got + seen)


def test_node_agent_http_server_trace(sky, grpc_sink, peers):
    if shutil.which("node") is None:
        pytest.fail("missing peer program node: apt-get install nodejs npm", pytrace=False)
    if not os.path.isdir(os.path.join(NODE_MODULES, "skywalking-backend-js")):
        pytest.fail(f"skywalking-backend-js is not installed in {NODE_MODULES}: "
                    f"npm install --prefix {os.path.dirname(NODE_MODULES)} "
                    "skywalking-backend-js@0.9.0", pytrace=False)
    grpc_port, _, _, sonde = sky
    port = free_port()
    script = peers.workdir / "node_app.js"
    script.write_text(NODE_APP)
    env = peer_env(NODE_PATH=NODE_MODULES)
    proc = peers.spawn("node-app", ["node", str(script), str(port), f"127.0.0.1:{grpc_port}"],
                       env=env)
    wait_port(port, proc, "the Node.js app")
    answer = requests.get(f"http://127.0.0.1:{port}/hello/node", timeout=10)
    assert (answer.status_code, answer.text) == (200, "hi from node")
    wait_until(lambda: agent_spans(grpc_sink, "node-app"), timeout=30,
               what="the Node.js agent's span")
    got = agent_spans(grpc_sink, "node-app")
    print(dump(got))
    [entry] = got
    assert entry.name == "GET:/hello/node"
    assert entry.kind == "SERVER"
    assert entry.parent == ""
    assert entry.resource["service.name"] == "node-app"
    assert entry.resource["service.instance.id"] == "node-1"
    assert entry.attrs["http.method"] == "GET"
    assert entry.attrs["http.status_code"] == "200"
    assert "UNIMPLEMENTED" not in peers.logs()
    assert UNKNOWN_METHOD not in sonde.log()


SEGMENT = {
    "traceId": "de5980b8-fce3-4a37-aab9-b4ac3af7eedd",
    "traceSegmentId": "56a5e1c519ae4c76a2b8b11d92cead7f",
    "service": "good-client", "serviceInstance": "good-1",
    "spans": [{"spanId": 0, "parentSpanId": -1, "startTime": 1700000000123,
               "endTime": 1700000000456, "operationName": "/good", "spanType": "Entry",
               "spanLayer": "Http", "componentId": 7001, "isError": False,
               "tags": [{"key": "http.method", "value": "GET"}]}],
}


def test_malformed_input_is_refused_while_a_good_client_gets_through(sky, grpc_sink):
    grpc_port, http_port, _, sonde = sky
    base = f"http://127.0.0.1:{http_port}"
    stop = threading.Event()
    good = []

    def good_client():
        while not stop.is_set():
            segment = dict(SEGMENT, traceSegmentId=f"{len(good):032x}")
            answer = requests.post(f"{base}/v3/segments", json=[segment], timeout=10)
            good.append(answer.status_code)

    thread = threading.Thread(target=good_client)
    thread.start()
    try:
        answer = requests.post(f"{base}/v3/segments", data=b'[{"traceId": "x",\n "spans": [}]',
                               timeout=10)
        assert answer.status_code == 400
        assert answer.json() == {"status": "failing", "msg": (
            "bad segments: expected value at line 2 column 12")}
        answer = requests.post(f"{base}/v3/segment", json={"spans": [{"spanType": "Sideways"}]},
                               timeout=10)
        assert answer.status_code == 400
        assert answer.json()["msg"].startswith(
            'bad segment: invalid value: string "Sideways", expected a SpanType '
            "(Entry, Exit, Local or a number) at line 1 column"), answer.json()

        channel = grpc.insecure_channel(f"127.0.0.1:{grpc_port}")
        collect = channel.stream_unary("/skywalking.v3.TraceSegmentReportService/collect",
                                       request_serializer=lambda b: b,
                                       response_deserializer=lambda b: b)
        with pytest.raises(grpc.RpcError) as caught:
            collect(iter([b"\x0a\xff\xff garbage"]), timeout=10)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert caught.value.details().startswith("skywalking.v3.SegmentObject: "), \
            caught.value.details()
        unknown = channel.unary_unary("/skywalking.v3.NoSuchService/call",
                                      request_serializer=lambda b: b,
                                      response_deserializer=lambda b: b)
        with pytest.raises(grpc.RpcError) as caught:
            unknown(b"", timeout=10)
        assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED
        assert caught.value.details() == "unknown method /skywalking.v3.NoSuchService/call"
        # The same connection still takes a good segment afterwards.
        assert collect(iter([segment_bytes()]), timeout=10) == b""
        channel.close()
    finally:
        stop.set()
        thread.join()
    assert good and set(good) == {200}, good
    wait_until(lambda: len(agent_spans(grpc_sink, "good-client")) >= len(good) + 1,
               timeout=30, what="every good segment")
    assert len(agent_spans(grpc_sink, "good-client")) == len(good) + 1
    assert sonde.log().count(UNKNOWN_METHOD) == 1


def segment_bytes() -> bytes:
    """SEGMENT as protobuf, encoded by hand (no SkyWalking stubs are needed for one)."""
    def field(number: int, payload: bytes) -> bytes:
        return bytes([number << 3 | 2]) + varint(len(payload)) + payload

    def varint(n: int) -> bytes:
        out = b""
        while True:
            byte, n = n & 0x7F, n >> 7
            out += bytes([byte | (0x80 if n else 0)])
            if not n:
                return out

    span = (bytes([0x10]) + varint((1 << 64) - 1)  # parentSpanId = -1
            + bytes([0x18]) + varint(1700000000123) + bytes([0x20]) + varint(1700000000456)
            + field(6, b"/good"))
    return (field(1, SEGMENT["traceId"].encode()) + field(2, b"f" * 32) + field(3, span)
            + field(4, b"good-client") + field(5, b"good-1"))


def test_a_refusing_pipeline_answers_unavailable_and_503(start_sonde, grpc_sink):
    ports = Ports()
    grpc_port, http_port = free_port(), free_port()
    cfg = config(ports, grpc_port, http_port, grpc_sink.port)
    cfg["processors"] = {"memory_limiter": {"check_interval": "100ms", "limit_mib": 1}}
    cfg["service"]["pipelines"]["traces"]["processors"] = ["memory_limiter"]
    start_sonde(cfg, ports, wait_ports=[grpc_port, http_port])
    answer = requests.post(f"http://127.0.0.1:{http_port}/v3/segments", json=[SEGMENT],
                           timeout=10)
    assert answer.status_code == 503, answer.text
    assert answer.json()["status"] == "failing"
    assert answer.headers["Retry-After"] == "1"
    channel = grpc.insecure_channel(f"127.0.0.1:{grpc_port}")
    collect = channel.stream_unary("/skywalking.v3.TraceSegmentReportService/collect",
                                   request_serializer=lambda b: b,
                                   response_deserializer=lambda b: b)
    with pytest.raises(grpc.RpcError) as caught:
        collect(iter([segment_bytes()]), timeout=10)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    channel.close()
