"""A load run at a fixed rate (hey, four keep-alive connections) against nginx,
watched by the eBPF receiver: nginx's SERVER spans, hey's CLIENT spans and the
count of each side's RED histogram all equal the number of requests hey made,
exactly, and every server span is joined to its client span."""

import pytest

from sondetest.ebpf import Nginx, ebpf_config, hey, require_tools
from sondetest.ports import free_port
from sondetest.telemetry import (Tree, cumulative_count, dump, ebpf_spans, histogram_points,
                                 of_kind, of_pid, on_port)
from sondetest.wait import wait_until

pytestmark = pytest.mark.usefixtures("ebpf_required")

REQUESTS = 4000
CONCURRENCY = 4
QPS_PER_WORKER = 100  # hey's -q is per worker: 400 requests/s in all, about 10 s

CUMULATIVE = 2


def test_span_and_histogram_counts_equal_the_load_tools_request_count(start_sonde, grpc_sink,
                                                                      ports, peers):
    require_tools("nginx", "hey")
    port = free_port()
    nginx = Nginx(peers, port, routes={"/load": (200, "ok\\n")})
    [worker] = nginx.worker_pids()
    sonde = start_sonde(ebpf_config(ports, grpc_sink.port, [port], metrics_flush="1s"), ports)

    hey_pid, statuses, report = hey(f"http://127.0.0.1:{port}/load", REQUESTS, CONCURRENCY,
                                    QPS_PER_WORKER)
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
