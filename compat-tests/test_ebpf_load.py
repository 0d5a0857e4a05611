"""Load runs at a fixed rate with hey, watched by the eBPF receiver.

Against nginx (four workers on keep-alive connections, or a new connection per
request): nginx's SERVER spans, hey's CLIENT spans and the count of each side's
RED histogram all equal the number of requests hey made, exactly, and every
server span is joined to its client span. Through nginx to a Python backend:
every request is one trace of four spans, as with single requests."""

import pytest

from sondetest.ebpf import Nginx, PythonServer, ebpf_config, hey, require_tools
from sondetest.ports import free_port
from sondetest.telemetry import (Tree, cumulative_count, dump, ebpf_spans, histogram_points,
                                 of_kind, of_pid, on_port)
from sondetest.wait import wait_until

pytestmark = pytest.mark.usefixtures("ebpf_required")

REQUESTS = 4000
CONCURRENCY = 4
QPS_PER_WORKER = 100  # hey's -q is per worker: 400 requests/s in all, about 10 s

CUMULATIVE = 2


@pytest.mark.parametrize("keepalive", [True, False], ids=["keepalive", "connection-per-request"])
def test_span_and_histogram_counts_equal_the_load_tools_request_count(keepalive, start_sonde,
                                                                      grpc_sink, ports, peers):
    require_tools("nginx", "hey")
    port = free_port()
    nginx = Nginx(peers, port, routes={"/load": (200, "ok\\n")})
    [worker] = nginx.worker_pids()
    sonde = start_sonde(ebpf_config(ports, grpc_sink.port, [port], metrics_flush="1s"), ports)

    hey_pid, statuses, report = hey(f"http://127.0.0.1:{port}/load", REQUESTS, CONCURRENCY,
                                    QPS_PER_WORKER, keepalive=keepalive)
    print(report)
    made = sum(statuses.values())
    assert statuses == {200: REQUESTS}, report

    def server_spans():
        return of_kind(of_pid(on_port(ebpf_spans(grpc_sink), port), worker), "SERVER")

    wait_until(lambda: len(server_spans()) >= made, timeout=120, interval=1,
               what=f"{made} nginx server spans")
    assert sonde.stop() == 0

    got = on_port(ebpf_spans(grpc_sink), port)
    servers = of_kind(of_pid(got, worker), "SERVER")
    clients = of_kind(of_pid(got, hey_pid), "CLIENT")
    assert len(servers) == made, f"{len(servers)} nginx server spans for {made} requests"
    assert len(clients) == made, f"{len(clients)} hey client spans for {made} requests"
    assert len(got) == 2 * made, dump([s for s in got if s not in servers and s not in clients])
    assert all(s.attrs["url.path"] == "/load" for s in got)
    assert all(s.attrs["http.response.status_code"] == 200 for s in got)

    requests = grpc_sink.snapshot("metrics")
    server_points = histogram_points(requests, "http.server.request.duration")
    client_points = histogram_points(requests, "http.client.request.duration")
    assert server_points and all(p.temporality == CUMULATIVE for p in server_points)
    assert cumulative_count(server_points, worker) == made
    assert cumulative_count(client_points, hey_pid) == made

    # Every nginx span is the child of the hey span that sent the same bytes.
    tree = Tree(got)
    orphans = [s for s in servers
               if (p := tree.parent_of(s)) is None or p.resource["process.pid"] != hey_pid]
    assert not orphans, f"{len(orphans)} server spans not joined to a hey span, e.g.:\n" \
                        f"{dump(orphans[:5])}"


PROXIED_REQUESTS = 2000
PROXIED_QPS_PER_WORKER = 50  # 200 requests/s in all through nginx to a Python backend


def test_every_request_through_a_proxy_under_load_is_one_trace_of_four(start_sonde, grpc_sink,
                                                                       ports, peers):
    require_tools("nginx", "hey")
    front, back = free_port(), free_port()
    backend = PythonServer(peers, back, {"/proxied": b"from the backend\n"})
    nginx = Nginx(peers, front, proxy_port=back)
    [worker] = nginx.worker_pids()
    sonde = start_sonde(ebpf_config(ports, grpc_sink.port, [front, back], metrics_flush="1s"),
                        ports)

    hey_pid, statuses, report = hey(f"http://127.0.0.1:{front}/proxied", PROXIED_REQUESTS,
                                    CONCURRENCY, PROXIED_QPS_PER_WORKER)
    print(report)
    assert statuses == {200: PROXIED_REQUESTS}, report
    made = PROXIED_REQUESTS

    def all_spans():
        got = ebpf_spans(grpc_sink)
        return on_port(got, front) + on_port(got, back)

    wait_until(lambda: len(all_spans()) >= 4 * made, timeout=120, interval=1,
               what=f"{4 * made} spans")
    assert sonde.stop() == 0
    got = all_spans()
    hey_clients = of_kind(of_pid(got, hey_pid), "CLIENT")
    nginx_servers = of_kind(of_pid(got, worker), "SERVER")
    nginx_clients = of_kind(of_pid(got, worker), "CLIENT")
    backend_servers = of_kind(of_pid(got, backend.pid), "SERVER")
    assert [len(hey_clients), len(nginx_servers), len(nginx_clients), len(backend_servers)] == \
        [made] * 4
    assert len(got) == 4 * made

    tree = Tree(got)
    broken = []
    for backend_span in backend_servers:
        chain = [backend_span]
        while (parent := tree.parent_of(chain[-1])) is not None:
            chain.append(parent)
        chain.reverse()
        shape = [(s.resource["process.pid"], s.kind) for s in chain]
        # A wrong parent shows as a parent that does not cover its child in time.
        covered = all(p.start <= c.start and c.end <= p.end for p, c in zip(chain, chain[1:]))
        if shape != [(hey_pid, "CLIENT"), (worker, "SERVER"), (worker, "CLIENT"),
                     (backend.pid, "SERVER")] or len({s.trace_id for s in chain}) != 1 \
                or not covered:
            broken.append(chain)
    # Each request nginx served made exactly one upstream call.
    crowded = [s for s in nginx_servers if len(tree.children.get(s.span_id, [])) != 1]
    assert not broken and not crowded, \
        f"{len(broken)} of {made} requests are not a trace of four, e.g.:\n" + \
        "\n\n".join(dump(c) for c in broken[:3]) + \
        f"\n{len(crowded)} nginx server spans without exactly one nginx client child, e.g.:\n" + \
        "\n\n".join(dump([s, *tree.children.get(s.span_id, [])]) for s in crowded[:3])

    requests = grpc_sink.snapshot("metrics")
    assert cumulative_count(histogram_points(requests, "http.server.request.duration"),
                            worker) == made
    assert cumulative_count(histogram_points(requests, "http.client.request.duration"),
                            worker) == made
    assert cumulative_count(histogram_points(requests, "http.server.request.duration"),
                            backend.pid) == made
