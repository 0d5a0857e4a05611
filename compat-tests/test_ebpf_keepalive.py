"""Several requests on one connection, watched by the eBPF receiver: keep-alive
(curl fetching three URLs over one connection, to nginx — with Content-Length
and with chunked bodies — and to Python's http.server speaking HTTP/1.1) and pipelining (three requests in one `send` to
nginx). Each request pairs with its own response: the right path with the
right status, in order, and each client span is the parent of its server span."""

import pytest

from sondetest.ebpf import Nginx, PythonServer, curl, ebpf_config, require_tools, run_python
from sondetest.ports import free_port
from sondetest.telemetry import dump, ebpf_spans, of_kind, on_port
from sondetest.wait import wait_until

pytestmark = pytest.mark.usefixtures("ebpf_required")

# path -> status, in request order, for nginx (`return`) and for http.server (files;
# 404 when absent; its error replies close the connection, so the 404 comes last).
NGINX_ROUTES = {"/ka/one": 200, "/ka/missing": 404, "/ka/three": 201}
PYTHON_ROUTES = {"/ka/one": 200, "/ka/three": 200, "/ka/missing": 404}

STATUS_ERROR = 2


def in_order(records):
    return sorted(records, key=lambda s: (s.start, s.end, s.seq))


# gzip drops Content-Length: nginx answers with chunked bodies.
GZIP = "    gzip on; gzip_min_length 1; gzip_types text/plain;"


def start_server(kind: str, peers, port: int) -> dict[str, int]:
    if kind in ("nginx", "nginx-chunked"):
        Nginx(peers, port, routes={p: (st, f"{p} " * 20 + "\\n") for p, st in NGINX_ROUTES.items()},
              http_extra=GZIP if kind == "nginx-chunked" else "")
        return NGINX_ROUTES
    files = {p: f"{p}\n".encode() for p, st in PYTHON_ROUTES.items() if st == 200}
    PythonServer(peers, port, files, protocol="HTTP/1.1")
    return PYTHON_ROUTES


@pytest.mark.parametrize("server", ["nginx", "nginx-chunked", "python"])
def test_keep_alive_requests_pair_with_their_responses(server, start_sonde, grpc_sink, ports,
                                                       peers):
    require_tools("nginx", "curl")
    port = free_port()
    routes = start_server(server, peers, port)
    sonde = start_sonde(ebpf_config(ports, grpc_sink.port, [port]), ports)

    paths = list(routes)
    curl_pid, rows = curl(*(f"http://127.0.0.1:{port}{p}" for p in paths),
                          extra=["--compressed"] if server == "nginx-chunked" else [])
    assert [r["status"] for r in rows] == [routes[p] for p in paths]
    # One connection for all three: curl reused it.
    assert [r["connects"] for r in rows] == [1, 0, 0], rows
    assert len({r["local_port"] for r in rows}) == 1, rows

    wait_until(lambda: len(on_port(ebpf_spans(grpc_sink), port)) >= 2 * len(paths), timeout=30,
               what="the keep-alive spans")
    assert sonde.stop() == 0
    got = on_port(ebpf_spans(grpc_sink), port)
    print(dump(got))
    assert len(got) == 2 * len(paths), dump(got)

    servers = in_order(of_kind(got, "SERVER"))
    clients = in_order(of_kind(got, "CLIENT"))
    assert [s.attrs["url.path"] for s in servers] == paths, dump(got)
    assert [s.attrs["url.path"] for s in clients] == paths, dump(got)
    for path, server_span, client_span in zip(paths, servers, clients):
        status = routes[path]
        assert server_span.attrs["http.response.status_code"] == status, server_span.dump()
        assert client_span.attrs["http.response.status_code"] == status, client_span.dump()
        assert server_span.attrs["client.port"] == rows[0]["local_port"]
        assert client_span.resource["process.pid"] == curl_pid
        assert server_span.parent == client_span.span_id, f"{path}:\n{dump(got)}"
        assert server_span.trace_id == client_span.trace_id
        # 4xx fails the client's call, not the server's work.
        assert server_span.status == 0 and "error.type" not in server_span.attrs
        if status >= 400:
            assert client_span.status == STATUS_ERROR, client_span.dump()
            assert client_span.attrs["error.type"] == str(status)
        else:
            assert client_span.status == 0 and "error.type" not in client_span.attrs
    # One request after the other on the connection.
    for earlier, later in zip(clients, clients[1:]):
        assert earlier.end <= later.start, dump(clients)


PIPELINER = r"""
import re, socket, sys
port, paths = int(sys.argv[1]), sys.argv[2:]
requests = b"".join(
    f"GET {p} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: pipeliner/1\r\n"
    f"{'Connection: close' + chr(13) + chr(10) if i == len(paths) - 1 else ''}\r\n".encode()
    for i, p in enumerate(paths))
conn = socket.create_connection(("127.0.0.1", port))
sent = conn.send(requests)
assert sent == len(requests), f"one send took {sent} of {len(requests)} bytes"
data = b""
while True:
    chunk = conn.recv(65536)
    if not chunk:
        break
    data += chunk
statuses = [int(code) for code in re.findall(rb"HTTP/1\.1 (\d{3}) ", data)]
print(conn.getsockname()[1], *statuses)
"""

PIPELINE_ROUTES = {"/pipe/a": 200, "/pipe/b": 404, "/pipe/c": 201}


def test_pipelined_requests_in_one_send_pair_in_order(start_sonde, grpc_sink, ports, peers):
    require_tools("nginx")
    port = free_port()
    Nginx(peers, port, routes={p: (st, f"{p}\\n") for p, st in PIPELINE_ROUTES.items()})
    sonde = start_sonde(ebpf_config(ports, grpc_sink.port, [port]), ports)

    paths = list(PIPELINE_ROUTES)
    client_pid, out = run_python(PIPELINER, str(port), *paths)
    local_port, *statuses = (int(x) for x in out.split())
    assert statuses == [PIPELINE_ROUTES[p] for p in paths], out

    wait_until(lambda: len(of_kind(on_port(ebpf_spans(grpc_sink), port), "SERVER")) >= 3,
               timeout=30, what="3 server spans")
    assert sonde.stop() == 0
    got = on_port(ebpf_spans(grpc_sink), port)
    print(dump(got))

    servers = in_order(of_kind(got, "SERVER"))
    assert [s.attrs["url.path"] for s in servers] == paths, dump(got)
    assert [s.attrs["http.response.status_code"] for s in servers] == statuses, dump(got)
    for s in servers:
        assert s.attrs["client.port"] == local_port
        assert s.attrs["user_agent.original"] == "pipeliner/1"

    clients = in_order(of_kind(got, "CLIENT"))
    assert [s.attrs["url.path"] for s in clients] == paths, dump(got)
    assert [s.attrs["http.response.status_code"] for s in clients] == statuses, dump(got)
    for client_span, server_span in zip(clients, servers):
        assert client_span.resource["process.pid"] == client_pid
        assert server_span.parent == client_span.span_id, \
            f"{server_span.attrs['url.path']}: the server span's parent is not its client span:\n" \
            f"{dump(got)}"
        assert server_span.trace_id == client_span.trace_id
