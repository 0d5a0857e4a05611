"""Garbage from one client does not disturb another: while one thread sends
malformed OTLP (truncated protobuf, broken JSON, a length that overflows) over
HTTP and gRPC, another sends valid spans, and every valid span arrives."""

import threading

import grpc
import requests

from sondetest.client import TraceClient
from sondetest.configs import otlp_exporter, pipeline
from sondetest.otlpdata import span_id, span_ids, trace_request

ROUNDS = 100
PER_REQUEST = 5


def garbage_bodies() -> list[tuple[str, bytes]]:
    valid = trace_request(client=9, seq=0, n=3).SerializeToString()
    return [
        ("application/x-protobuf", valid[: len(valid) // 2]),
        ("application/x-protobuf", b"\x0a\xff\xff\xff\xff\x0f"),
        ("application/json", b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": '),
    ]


def test_garbage_does_not_disturb_valid_clients(ports, start_sonde, grpc_sink):
    sonde = start_sonde(pipeline(ports, {"otlp": otlp_exporter(grpc_sink.port)},
                                 signals=("traces",)), ports)
    garbage_http: list[int] = []
    garbage_grpc: list[grpc.StatusCode] = []
    valid_codes: list = []

    def send_garbage():
        session = requests.Session()
        client = TraceClient(ports.grpc)
        bodies = garbage_bodies()
        for i in range(ROUNDS):
            content_type, body = bodies[i % len(bodies)]
            resp = session.post(f"http://127.0.0.1:{ports.http}/v1/traces", data=body,
                                headers={"Content-Type": content_type}, timeout=10)
            garbage_http.append(resp.status_code)
            garbage_grpc.append(client.send(bodies[i % 2][1]))
        client.close()

    def send_valid():
        session = requests.Session()
        client = TraceClient(ports.grpc)
        for seq in range(ROUNDS):
            body = trace_request(client=1, seq=seq, n=PER_REQUEST).SerializeToString()
            resp = session.post(f"http://127.0.0.1:{ports.http}/v1/traces", data=body,
                                headers={"Content-Type": "application/x-protobuf"}, timeout=10)
            valid_codes.append(resp.status_code)
            valid_codes.append(client.send(trace_request(client=2, seq=seq, n=PER_REQUEST)).name)
        client.close()

    threads = [threading.Thread(target=send_garbage), threading.Thread(target=send_valid)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)

    assert valid_codes == [200, "OK"] * ROUNDS
    assert garbage_http == [400] * ROUNDS
    assert set(garbage_grpc) <= {grpc.StatusCode.INTERNAL, grpc.StatusCode.INVALID_ARGUMENT}
    assert len(garbage_grpc) == ROUNDS

    total = 2 * ROUNDS * PER_REQUEST
    assert grpc_sink.wait_for_items("traces", total) == total
    sonde.check_alive()
    assert sonde.stop() == 0
    expected = sorted(span_id(c, seq, i) for c in (1, 2) for seq in range(ROUNDS)
                      for i in range(PER_REQUEST))
    assert sorted(span_ids(grpc_sink.snapshot("traces"))) == expected
