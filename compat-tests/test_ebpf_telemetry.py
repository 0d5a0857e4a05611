"""The eBPF receiver's own counters on sonde's /metrics: what the kernel side
sent, dropped and filtered (`sonde_receiver_ebpf_events_total`), and what the
protocol layer made of it (`sonde_receiver_ebpf_messages_total`), every outcome
listed, the ones this test provokes counted."""

import socket
import threading

import pytest

from sondetest import metrics
from sondetest.ebpf import PythonServer, curl, ebpf_config
from sondetest.ports import free_port
from sondetest.telemetry import dump, ebpf_spans
from sondetest.wait import wait_until

pytestmark = pytest.mark.usefixtures("ebpf_required")

EVENTS = "sonde_receiver_ebpf_events_total"
MESSAGES = "sonde_receiver_ebpf_messages_total"
EVENT_OUTCOMES = {"sent", "ring_buffer_dropped", "channel_dropped", "decode_failed",
                  "filtered_self", "filtered_pid", "filtered_comm", "filtered_port",
                  "filtered_not_l7"}
MESSAGE_OUTCOMES = {"span", "unpaired", "unrecognised"}

# The first bytes of a TLS ClientHello: no L7 protocol the kernel side knows.
TLS_HELLO = bytes.fromhex("160301002c010000280303") + b"\x00" * 40


def send_non_l7(port: int):
    """A TCP exchange of TLS-looking bytes on `port`, both ends in this process."""
    listener = socket.create_server(("127.0.0.1", port))
    received = []

    def serve():
        conn, _ = listener.accept()
        with conn:
            received.append(conn.recv(4096))
            conn.sendall(TLS_HELLO)

    thread = threading.Thread(target=serve)
    thread.start()
    with socket.create_connection(("127.0.0.1", port)) as client:
        client.sendall(TLS_HELLO)
        assert client.recv(4096)
    thread.join(10)
    listener.close()
    assert received == [TLS_HELLO]


def test_ebpf_counters_on_metrics(start_sonde, grpc_sink, ports, peers):
    traced, untraced, opaque = free_port(), free_port(), free_port()
    PythonServer(peers, traced, {"/t": b"traced\n"})
    PythonServer(peers, untraced, {"/u": b"untraced\n"})
    sonde = start_sonde(ebpf_config(ports, grpc_sink.port, [traced, opaque]), ports)

    curl(f"http://127.0.0.1:{traced}/t")
    curl(f"http://127.0.0.1:{untraced}/u")  # another port: filtered in the kernel
    send_non_l7(opaque)                     # a traced port, but not HTTP

    wait_until(lambda: len(ebpf_spans(grpc_sink)) >= 2, timeout=30, what="2 eBPF spans")

    def counted():
        m = metrics.scrape(ports.metrics)
        return m if m.get(MESSAGES, outcome="span") >= 2 and m.get(EVENTS, outcome="sent") > 0 \
            and m.get(EVENTS, outcome="filtered_port") > 0 \
            and m.get(EVENTS, outcome="filtered_not_l7") > 0 else None

    m = wait_until(counted, timeout=30, interval=0.5, what="the eBPF counters")
    listed = {labels.get("outcome") for name, labels, _ in m.samples if name == EVENTS}
    assert listed == EVENT_OUTCOMES, listed
    listed = {labels.get("outcome") for name, labels, _ in m.samples if name == MESSAGES}
    assert listed == MESSAGE_OUTCOMES, listed
    assert {labels.get("receiver") for name, labels, _ in m.samples
            if name in (EVENTS, MESSAGES)} == {"ebpf"}

    got = ebpf_spans(grpc_sink)
    assert len(got) == 2, dump(got)  # curl and http.server on the traced port only
    assert m.get(MESSAGES, outcome="span") == 2
    assert m.get(MESSAGES, outcome="unpaired") == 0
    assert m.get(MESSAGES, outcome="unrecognised") == 0
    assert m.get(EVENTS, outcome="sent") > 0
    # sonde's own syscalls (answering this very scrape, exporting) are never traced.
    assert m.get(EVENTS, outcome="filtered_self") > 0
    assert m.get(EVENTS, outcome="filtered_pid") == 0
    assert m.get(EVENTS, outcome="filtered_comm") == 0
    for outcome in ("ring_buffer_dropped", "channel_dropped", "decode_failed"):
        assert m.get(EVENTS, outcome=outcome) == 0, outcome
    assert sonde.stop() == 0
