"""The eBPF receiver watching `python -m http.server` and curl: one SERVER and one
CLIENT span per request, attributed by the HTTP semantic conventions, joined into
one trace with the client span as the server span's parent, each under its
process's resource."""

import json
import os
import socket

import pytest

from sondetest.ebpf import PYTHON, Nginx, PythonServer, curl, ebpf_config, require_tools
from sondetest.ports import free_port
from sondetest.telemetry import Tree, dump, ebpf_spans, histogram_points, latest, on_port
from sondetest.wait import wait_until

pytestmark = pytest.mark.usefixtures("ebpf_required")

AGENT = "sondetest-curl/1"


def wait_spans(sink, port: int, count: int) -> None:
    wait_until(lambda: len(on_port(ebpf_spans(sink), port)) >= count, timeout=30,
               what=f"{count} eBPF spans on port {port}")


def test_curl_against_python_http_server(start_sonde, grpc_sink, ports, peers):
    port = free_port()
    server = PythonServer(peers, port, {f"/items/{i}": f"item {i}\n".encode() for i in (1, 2, 3)})
    sonde = start_sonde(ebpf_config(ports, grpc_sink.port, [port]), ports)

    runs = []
    for i in (1, 2, 3):
        # The query is not recorded: url.query is off by default (queries carry tokens).
        query = "?token=secret" if i == 2 else ""
        pid, [row] = curl(f"http://127.0.0.1:{port}/items/{i}{query}", agent=AGENT)
        assert row["status"] == 200
        runs.append((i, pid, row["local_port"]))

    wait_spans(grpc_sink, port, 6)
    assert sonde.stop() == 0
    got = on_port(ebpf_spans(grpc_sink), port)
    print(dump(got))
    assert len(got) == 6, f"expected 6 spans on port {port}, got:\n{dump(got)}"
    tree = Tree(got)
    host = socket.gethostname()

    for i, curl_pid, local_port in runs:
        path = f"/items/{i}"
        mine = [s for s in got if s.attrs.get("url.path") == path]
        servers = [s for s in mine if s.kind == "SERVER"]
        clients = [s for s in mine if s.kind == "CLIENT"]
        assert len(servers) == 1 and len(clients) == 1, f"{path}:\n{dump(mine)}"
        server_span, client_span = servers[0], clients[0]

        assert client_span.trace_id == server_span.trace_id, dump(mine)
        assert server_span.parent == client_span.span_id, dump(mine)
        assert tree.parent_of(client_span) is None, f"the curl span is a root:\n{dump(mine)}"
        assert client_span.parent == ""

        assert server_span.name == "GET /items/{id}"
        assert server_span.status == 0  # UNSET
        assert server_span.attrs == {
            "http.request.method": "GET",
            "url.path": path,
            "url.scheme": "http",
            "http.route": "/items/{id}",
            "http.response.status_code": 200,
            "server.address": "127.0.0.1",
            "server.port": port,
            "client.address": "127.0.0.1",
            "client.port": local_port,
            "network.peer.address": "127.0.0.1",
            "network.peer.port": local_port,
            "network.protocol.version": "1.1",
            "user_agent.original": AGENT,
        }, server_span.dump()

        assert client_span.name == "GET"
        assert client_span.status == 0
        assert client_span.attrs == {
            "http.request.method": "GET",
            "url.path": path,
            "url.scheme": "http",
            "http.response.status_code": 200,
            "server.address": "127.0.0.1",
            "server.port": port,
            "network.peer.address": "127.0.0.1",
            "network.peer.port": port,
            "network.protocol.version": "1.1",
            "user_agent.original": AGENT,
        }, client_span.dump()

        # The server's view lies inside the client's.
        assert client_span.start <= server_span.start <= server_span.end <= client_span.end, dump(mine)

        assert {k: client_span.resource.get(k) for k in RESOURCE_KEYS} == {
            "service.name": "curl",
            "process.pid": curl_pid,
            "process.executable.name": "curl",
            "process.executable.path": os.path.realpath("/usr/bin/curl"),
            "host.name": host,
        }
        assert {k: server_span.resource.get(k) for k in RESOURCE_KEYS} == {
            "service.name": os.path.basename(PYTHON),
            "process.pid": server.pid,
            "process.executable.name": os.path.basename(PYTHON),
            "process.executable.path": PYTHON,
            "host.name": host,
        }
        for span in (client_span, server_span):
            # process.command_line is opt-in; container.id only inside a container.
            assert set(span.resource) - set(RESOURCE_KEYS) <= {"container.id"}, span.resource

    assert len({s.trace_id for s in got}) == 3, dump(got)
    assert not any("secret" in json.dumps(s.attrs) for s in got), dump(got)

    # RED metrics of the same requests: one series on the server, one per curl.
    requests = grpc_sink.snapshot("metrics")
    [server_series] = latest(histogram_points(requests, "http.server.request.duration"), server.pid)
    assert server_series.attrs == {
        "http.request.method": "GET",
        "http.route": "/items/{id}",
        "http.response.status_code": 200,
        "server.address": "127.0.0.1",
        "server.port": port,
        "network.protocol.version": "1.1",
    }
    assert server_series.count == 3
    assert server_series.unit == "s"
    for _, curl_pid, _ in runs:
        [client_series] = latest(histogram_points(requests, "http.client.request.duration"),
                                 curl_pid)
        assert client_series.count == 1
        assert client_series.attrs == {
            "http.request.method": "GET",
            "http.response.status_code": 200,
            "server.address": "127.0.0.1",
            "server.port": port,
            "network.protocol.version": "1.1",
        }


RESOURCE_KEYS = ("service.name", "process.pid", "process.executable.name",
                 "process.executable.path", "host.name")


STATUS_ERROR = 2
ERROR_ROUTES = {"/ok": 200, "/nope": 404, "/boom": 500, "/unavailable": 503}


def test_error_statuses_and_request_id(start_sonde, grpc_sink, ports, peers):
    """Span status ERROR for 5xx on the server and 4xx/5xx on the client, with
    `error.type` on spans and RED series; X-Request-ID kept as an attribute."""
    require_tools("nginx", "curl")
    port = free_port()
    nginx = Nginx(peers, port, routes={p: (st, f"{p}\\n") for p, st in ERROR_ROUTES.items()})
    [worker] = nginx.worker_pids()
    sonde = start_sonde(ebpf_config(ports, grpc_sink.port, [port]), ports)

    for path, status in ERROR_ROUTES.items():
        _, [row] = curl(f"http://127.0.0.1:{port}{path}",
                        extra=["-H", f"X-Request-ID: req{path.replace('/', '-')}"])
        assert row["status"] == status

    wait_spans(grpc_sink, port, 2 * len(ERROR_ROUTES))
    assert sonde.stop() == 0
    got = on_port(ebpf_spans(grpc_sink), port)
    print(dump(got))
    assert len(got) == 2 * len(ERROR_ROUTES), dump(got)

    for path, status in ERROR_ROUTES.items():
        mine = [s for s in got if s.attrs["url.path"] == path]
        [server_span] = [s for s in mine if s.kind == "SERVER"]
        [client_span] = [s for s in mine if s.kind == "CLIENT"]
        assert server_span.parent == client_span.span_id, dump(mine)
        for span, fails in ((server_span, status >= 500), (client_span, status >= 400)):
            assert span.attrs["http.response.status_code"] == status, span.dump()
            assert span.status == (STATUS_ERROR if fails else 0), span.dump()
            assert span.attrs.get("error.type") == (str(status) if fails else None), span.dump()
            assert span.attrs["http.request.header.x-request-id"] == \
                [f"req{path.replace('/', '-')}"], span.dump()

    series = latest(histogram_points(grpc_sink.snapshot("metrics"),
                                     "http.server.request.duration"), worker)
    by_status = {p.attrs["http.response.status_code"]: p for p in series}
    assert sorted(by_status) == sorted(ERROR_ROUTES.values())
    for path, status in ERROR_ROUTES.items():
        point = by_status[status]
        assert point.count == 1
        assert point.attrs["http.route"] == path
        assert point.attrs.get("error.type") == (str(status) if status >= 500 else None)


def test_large_bodies_span_many_syscalls(start_sonde, grpc_sink, ports, peers, tmp_path):
    """A 4 MiB download from http.server (HTTP/1.1, kept alive, then a small
    request on the same connection) and a 1 MiB upload to nginx: each request is
    still exactly one SERVER and one CLIENT span, paired and joined."""
    require_tools("nginx", "curl")
    py_port, nginx_port = free_port(), free_port()
    PythonServer(peers, py_port, {"/big.bin": os.urandom(4 << 20), "/small.txt": b"small\n"},
                 protocol="HTTP/1.1")
    Nginx(peers, nginx_port, routes={"/upload": (200, "stored\\n")})
    sonde = start_sonde(ebpf_config(ports, grpc_sink.port, [py_port, nginx_port]), ports)

    _, rows = curl(f"http://127.0.0.1:{py_port}/big.bin", f"http://127.0.0.1:{py_port}/small.txt")
    assert [(r["status"], r["connects"]) for r in rows] == [(200, 1), (200, 0)]
    upload = tmp_path / "upload.bin"
    upload.write_bytes(os.urandom(1 << 20))
    _, [row] = curl(f"http://127.0.0.1:{nginx_port}/upload",
                    extra=["--data-binary", f"@{upload}", "-H", "Expect:"])
    assert row["status"] == 200

    def spans():
        got = ebpf_spans(grpc_sink)
        return on_port(got, py_port) + on_port(got, nginx_port)

    wait_until(lambda: len(spans()) >= 6, timeout=30, what="6 eBPF spans")
    assert sonde.stop() == 0
    got = spans()
    print(dump(got))
    assert len(got) == 6, dump(got)
    for method, path in (("GET", "/big.bin"), ("GET", "/small.txt"), ("POST", "/upload")):
        mine = [s for s in got if s.attrs["url.path"] == path]
        [server_span] = [s for s in mine if s.kind == "SERVER"]
        [client_span] = [s for s in mine if s.kind == "CLIENT"]
        for span in (server_span, client_span):
            assert span.attrs["http.request.method"] == method, span.dump()
            assert span.attrs["http.response.status_code"] == 200, span.dump()
        assert server_span.parent == client_span.span_id, dump(mine)
        assert client_span.start <= server_span.start <= server_span.end <= client_span.end, \
            dump(mine)


def test_ipv6_loopback(start_sonde, grpc_sink, ports, peers):
    """curl to http.server on [::1]: the spans carry IPv6 addresses and still join."""
    require_tools("curl")
    if not socket.has_ipv6 or not os.path.exists("/proc/net/if_inet6"):
        reason = "no IPv6 on this host"
        print(f"SKIP: {reason}")
        pytest.skip(reason)
    port = free_port()
    PythonServer(peers, port, {"/v6.txt": b"six\n"}, bind="::1")
    sonde = start_sonde(ebpf_config(ports, grpc_sink.port, [port]), ports)

    _, [row] = curl(f"http://[::1]:{port}/v6.txt", agent=AGENT)
    assert row["status"] == 200

    wait_spans(grpc_sink, port, 2)
    assert sonde.stop() == 0
    got = on_port(ebpf_spans(grpc_sink), port)
    print(dump(got))
    assert len(got) == 2, dump(got)
    [server_span] = [s for s in got if s.kind == "SERVER"]
    [client_span] = [s for s in got if s.kind == "CLIENT"]
    assert server_span.parent == client_span.span_id, dump(got)
    assert server_span.attrs["server.address"] == "::1"
    assert server_span.attrs["client.address"] == "::1"
    assert server_span.attrs["client.port"] == row["local_port"]
    assert client_span.attrs["server.address"] == "::1"
    assert client_span.attrs["network.peer.address"] == "::1"
