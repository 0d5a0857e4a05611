"""nginx as a reverse proxy in front of a Python backend, watched by the eBPF
receiver: each request is one trace of four spans, curl CLIENT -> nginx SERVER ->
nginx CLIENT -> backend SERVER, each the parent of the next (joined on the wire
between processes, and through nginx's worker thread inside it), and each
parent's time span covers its child's."""

import pytest

from sondetest.ebpf import Nginx, PythonServer, curl, ebpf_config, require_tools
from sondetest.ports import free_port
from sondetest.telemetry import Tree, dump, ebpf_spans, of_kind, on_port
from sondetest.wait import wait_until

pytestmark = pytest.mark.usefixtures("ebpf_required")

PATHS = ["/api/orders/7", "/api/orders/8", "/static/app.js"]


def test_nginx_proxy_gives_one_trace_of_four_spans_per_request(start_sonde, grpc_sink, ports,
                                                              peers):
    require_tools("nginx", "curl")
    front, back = free_port(), free_port()
    backend = PythonServer(peers, back, {p: f"body of {p}\n".encode() for p in PATHS},
                           service_name="orders-backend")
    nginx = Nginx(peers, front, proxy_port=back)
    [worker] = nginx.worker_pids()
    sonde = start_sonde(ebpf_config(ports, grpc_sink.port, [front, back]), ports)

    curls = {}
    for path in PATHS:
        pid, [row] = curl(f"http://127.0.0.1:{front}{path}")
        assert row["status"] == 200
        curls[path] = pid

    def spans():
        got = ebpf_spans(grpc_sink)
        return on_port(got, front) + on_port(got, back)

    wait_until(lambda: len(spans()) >= 4 * len(PATHS), timeout=30,
               what=f"{4 * len(PATHS)} eBPF spans")
    assert sonde.stop() == 0
    got = spans()
    print(dump(got))
    assert len(got) == 4 * len(PATHS), dump(got)
    tree = Tree(got)

    for path in PATHS:
        mine = [s for s in got if s.attrs.get("url.path") == path]
        assert len(mine) == 4, f"{path}:\n{dump(mine)}"
        [curl_client] = [s for s in of_kind(on_port(mine, front), "CLIENT")]
        [nginx_server] = [s for s in of_kind(on_port(mine, front), "SERVER")]
        [nginx_client] = [s for s in of_kind(on_port(mine, back), "CLIENT")]
        [backend_server] = [s for s in of_kind(on_port(mine, back), "SERVER")]

        assert curl_client.resource["service.name"] == "curl"
        assert curl_client.resource["process.pid"] == curls[path]
        for span in (nginx_server, nginx_client):
            assert span.resource["service.name"] == "nginx", span.dump()
            assert span.resource["process.pid"] == worker, span.dump()
            assert span.resource["process.executable.path"] == "/usr/sbin/nginx"
        # The backend's OTEL_SERVICE_NAME names it.
        assert backend_server.resource["service.name"] == "orders-backend"
        assert backend_server.resource["process.pid"] == backend.pid

        assert len({s.trace_id for s in mine}) == 1, f"{path}: not one trace:\n{dump(mine)}"
        chain = [curl_client, nginx_server, nginx_client, backend_server]
        assert curl_client.parent == "", dump(mine)
        for parent, child in zip(chain, chain[1:]):
            assert child.parent == parent.span_id, \
                f"{path}: {child.kind} of {child.resource['service.name']} should be the " \
                f"child of {parent.kind} of {parent.resource['service.name']}:\n{dump(mine)}"
            assert tree.parent_of(child) is parent
            assert parent.start <= child.start, f"{path}:\n{dump(mine)}"
            assert parent.end >= child.end, f"{path}:\n{dump(mine)}"
            assert parent.duration >= child.duration

        assert nginx_server.name == "GET " + nginx_server.attrs["http.route"]
        assert nginx_client.attrs["server.address"] == "127.0.0.1"
        assert nginx_client.attrs["server.port"] == back
        # nginx speaks HTTP/1.0 to its upstream unless told otherwise.
        assert nginx_client.attrs["network.protocol.version"] == "1.0"
        assert backend_server.attrs["network.protocol.version"] == "1.0"
        for span in chain:
            assert span.attrs["http.response.status_code"] == 200, span.dump()

    assert len({s.trace_id for s in got}) == len(PATHS), dump(got)
