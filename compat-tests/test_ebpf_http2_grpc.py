"""The eBPF receiver on HTTP/2 and gRPC: h2load against nginx over h2c, and a
Python grpcio client against a grpcio server. A run of known size gives exactly
that many client spans and server spans, the RED histograms count the same, a
404 fails the client side, and a gRPC NOT_FOUND fails both sides' spans with
`rpc.grpc.status_code` 5.

Each test traces only its own server's port."""

import pytest

from sondetest.ebpf import VENV_PYTHON, Nginx, ebpf_config, require_tools, run_client, wait_port
from sondetest.ports import free_port
from sondetest.telemetry import dump, red_count, spans_where, wait_spans
from sondetest.wait import wait_until

pytestmark = pytest.mark.usefixtures("ebpf_required")

ERROR = 2
# nginx closes an HTTP/2 connection after 1000 requests (keepalive_requests
# does not apply to it): stay under that per connection.
H2_REQUESTS = 300
H2_CONNECTIONS = 3
H2_MISSING = 10


def test_h2load_against_nginx_h2c(start_sonde, grpc_sink, ports, peers):
    require_tools("h2load", "nginx")
    port = free_port()
    nginx = Nginx(peers, port, http2=True,
                  routes={"/ok": (200, "fine"), "/missing": (404, "none here")})
    [worker] = nginx.worker_pids()
    sonde = start_sonde(ebpf_config(ports, grpc_sink.port, [port], metrics_flush="500ms"), ports)

    base = f"http://127.0.0.1:{port}"
    ok_pid, out = run_client(["h2load", "-n", str(H2_REQUESTS), "-c", str(H2_CONNECTIONS),
                              "-m", "4", f"{base}/ok"])
    assert f"{H2_REQUESTS} succeeded" in out and "2xx" in out, out
    missing_pid, out = run_client(["h2load", "-n", str(H2_MISSING), "-c", "1",
                                   f"{base}/missing"])
    # h2load counts a 4xx answer as a failed request.
    assert f"{H2_MISSING} done" in out and f"{H2_MISSING} 4xx" in out, out

    total = H2_REQUESTS + H2_MISSING
    wait_spans(grpc_sink, 2 * total, "HTTP/2 spans", **{"network.protocol.version": "2"})
    wait_until(lambda: red_count(grpc_sink, "http.server.request.duration", worker) == total,
               timeout=30, interval=0.5, what="server histogram counts")
    assert sonde.stop() == 0

    spans = spans_where(grpc_sink, **{"network.protocol.version": "2"})
    clients = [s for s in spans if s.kind == "CLIENT"]
    servers = [s for s in spans if s.kind == "SERVER"]
    assert len(clients) == total and len(servers) == total, dump(spans[:4])
    assert all(s.resource["process.pid"] == worker for s in servers)
    assert {s.name for s in clients} == {"GET"}, dump(clients[:2])
    for pid, path, status, count in ((ok_pid, "/ok", 200, H2_REQUESTS),
                                     (missing_pid, "/missing", 404, H2_MISSING)):
        mine = [s for s in clients if s.resource["process.pid"] == pid]
        assert len(mine) == count
        assert {(s.attrs["url.path"], s.attrs["http.response.status_code"]) for s in mine} \
            == {(path, status)}
        assert red_count(grpc_sink, "http.client.request.duration", pid) == count
    # A 404 fails the client, not the server (HTTP's rule, as in HTTP/1).
    for s in spans:
        failed = s.kind == "CLIENT" and s.attrs["http.response.status_code"] == 404
        assert (s.status == ERROR) == failed, s.dump()
        assert s.attrs.get("error.type") == ("404" if failed else None), s.dump()
    # Every server span is the child of its client span (TCP sequence).
    by_id = {s.span_id: s for s in clients}
    assert all(s.parent in by_id and by_id[s.parent].trace_id == s.trace_id
               for s in servers), dump(servers[:2])


GRPC_CALLS = 40

# A grpcio server with one service, demo.Orders: Get answers, except for the
# order "missing", which it aborts with NOT_FOUND. Raw bytes (no generated
# stubs): the wire is the same.
GRPC_SERVER = """
import sys
from concurrent import futures
import grpc

def get(request, context):
    if request == b"missing":
        context.abort(grpc.StatusCode.NOT_FOUND, "no such order")
    return b"order " + request

server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(
    "demo.Orders", {"Get": grpc.unary_unary_rpc_method_handler(get)})])
server.add_insecure_port("127.0.0.1:" + sys.argv[1])
server.start()
server.wait_for_termination()
"""

GRPC_CLIENT = """
import sys
import grpc

port, n = sys.argv[1], int(sys.argv[2])
with grpc.insecure_channel("127.0.0.1:" + port) as channel:
    get = channel.unary_unary("/demo.Orders/Get")
    for i in range(n):
        assert get(str(i).encode(), timeout=10) == b"order " + str(i).encode()
    try:
        get(b"missing", timeout=10)
    except grpc.RpcError as e:
        print("failed:", e.code().name, e.details())
"""


def test_grpcio_client_and_server_with_not_found(start_sonde, grpc_sink, ports, peers):
    port = free_port()
    server = peers.spawn(f"grpc-server-{port}", [VENV_PYTHON, "-c", GRPC_SERVER, str(port)])
    wait_port(port, server, "grpcio server")
    sonde = start_sonde(ebpf_config(ports, grpc_sink.port, [port], metrics_flush="500ms"), ports)

    pid, out = run_client([VENV_PYTHON, "-c", GRPC_CLIENT, str(port), str(GRPC_CALLS)])
    assert "failed: NOT_FOUND no such order" in out, out

    method = {"rpc.system": "grpc", "rpc.service": "demo.Orders", "rpc.method": "Get"}
    wait_spans(grpc_sink, 2 * (GRPC_CALLS + 1), "gRPC spans", **method)
    wait_until(lambda: red_count(grpc_sink, "rpc.client.call.duration", pid, **method)
               == GRPC_CALLS + 1, timeout=30, interval=0.5, what="client histogram counts")
    wait_until(lambda: red_count(grpc_sink, "rpc.server.call.duration", server.pid, **method)
               == GRPC_CALLS + 1, timeout=30, interval=0.5, what="server histogram counts")
    assert sonde.stop() == 0

    spans = spans_where(grpc_sink, **method)
    clients = [s for s in spans if s.kind == "CLIENT"]
    servers = [s for s in spans if s.kind == "SERVER"]
    assert len(clients) == len(servers) == GRPC_CALLS + 1, dump(spans[:4])
    assert all(s.resource["process.pid"] == pid for s in clients)
    assert all(s.resource["process.pid"] == server.pid for s in servers)
    assert {s.name for s in spans} == {"demo.Orders/Get"}
    for side in (clients, servers):
        ok = [s for s in side if s.attrs["rpc.grpc.status_code"] == 0]
        [missing] = [s for s in side if s.attrs["rpc.grpc.status_code"] == 5]
        assert len(ok) == GRPC_CALLS
        assert all(s.status != ERROR and "error.type" not in s.attrs for s in ok)
    # NOT_FOUND is the caller's error: the client span fails, the server's
    # does not (gRPC's server-side rule in the conventions).
    [missing_client] = [s for s in clients if s.attrs["rpc.grpc.status_code"] == 5]
    [missing_server] = [s for s in servers if s.attrs["rpc.grpc.status_code"] == 5]
    assert missing_client.status == ERROR and missing_server.status != ERROR
    assert missing_client.attrs["error.type"] == "NOT_FOUND"
    assert (missing_server.trace_id, missing_server.parent) == (missing_client.trace_id,
                                                                missing_client.span_id)
