"""SIGTERM while clients are sending: every span sonde acknowledged (the client got
OK) reaches the backend -- including what the batch processor and the exporter
queue still held -- nothing else does, and sonde exits 0."""

import threading

import grpc

from sondetest.client import TraceClient
from sondetest.configs import otlp_exporter, pipeline
from sondetest.otlpdata import span_id, span_ids, trace_request
from sondetest.wait import wait_until

PER_REQUEST = 10
CLIENTS = 2


def test_sigterm_under_load_loses_nothing_acknowledged(ports, start_sonde, grpc_sink):
    config = pipeline(
        ports, {"otlp": otlp_exporter(grpc_sink.port)},
        processors={"batch": {"send_batch_size": 200, "timeout": "1s"}},
        signals=("traces",))
    sonde = start_sonde(config, ports)

    acked: dict[int, list[int]] = {c: [] for c in range(CLIENTS)}
    refusals: dict[int, list] = {c: [] for c in range(CLIENTS)}
    terminated = threading.Event()

    def send(client_id: int):
        client = TraceClient(ports.grpc)
        seq = 0
        while True:
            code = client.send(trace_request(client_id, seq, PER_REQUEST), timeout=10)
            if code == grpc.StatusCode.OK:
                acked[client_id].append(seq)
            else:
                refusals[client_id].append(code)
                if terminated.is_set():
                    break
            seq += 1
        client.close()

    threads = [threading.Thread(target=send, args=(c,), daemon=True) for c in range(CLIENTS)]
    for t in threads:
        t.start()
    wait_until(lambda: all(len(a) >= 50 for a in acked.values()), what="50 requests acked per client")
    terminated.set()
    code = sonde.stop(timeout=60)
    for t in threads:
        t.join(30)
        assert not t.is_alive()

    assert code == 0
    assert all(refusals[c] for c in range(CLIENTS))  # each client did see sonde go
    expected = sorted(span_id(c, seq, i) for c in range(CLIENTS) for seq in acked[c]
                      for i in range(PER_REQUEST))
    arrived = sorted(span_ids(grpc_sink.snapshot("traces")))
    print(f"acked requests: { {c: len(a) for c, a in acked.items()} }; arrived spans: {len(arrived)}")
    assert len(arrived) == len(expected)
    assert arrived == expected
