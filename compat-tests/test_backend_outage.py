"""The backend goes away and comes back: sonde's exporter queue holds the data,
retries, and delivers every span exactly once. With a tiny queue that must not
block, sonde refuses what it cannot hold -- the client sees gRPC UNAVAILABLE --
and counts each refused span in otelcol_exporter_enqueue_failed_spans_total.
"""

import threading
import time

import grpc
import pytest

from sondetest import metrics
from sondetest.client import TraceClient
from sondetest.configs import otlp_exporter, pipeline
from sondetest.otlpdata import span_id, span_ids, trace_request
from sondetest.sink import GrpcSink
from sondetest.wait import wait_until

RETRY = {"enabled": True, "initial_interval": "100ms", "max_interval": "500ms",
         "max_elapsed_time": "5m"}


def exporter_with_queue(sink_port: int, **queue) -> dict:
    return {"otlp": otlp_exporter(sink_port, timeout="2s", retry_on_failure=RETRY,
                                  sending_queue={"enabled": True, **queue})}


@pytest.mark.parametrize("outage", ["unavailable", "down"])
def test_outage_then_recovery_delivers_exactly_once(outage, ports, start_sonde):
    requests, per_request = 40, 10
    total = requests * per_request
    sink = GrpcSink()
    try:
        if outage == "unavailable":
            sink.start()
            sink.fail()
        config = pipeline(ports, exporter_with_queue(sink.port, num_consumers=4, queue_size=1000),
                          signals=("traces",))
        sonde = start_sonde(config, ports)

        # Sampled all along: the queue must be seen growing, then drained.
        queue_sizes = []
        stop_sampling = threading.Event()

        def sample():
            while not stop_sampling.is_set():
                try:
                    queue_sizes.append(metrics.scrape(ports.metrics).get(
                        "otelcol_exporter_queue_size", exporter="otlp"))
                except OSError:
                    pass  # a failed scrape is not a queue size; the asserts catch a dead sonde
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()

        client = TraceClient(ports.grpc)
        for seq in range(requests):
            assert client.send(trace_request(client=1, seq=seq, n=per_request)) == grpc.StatusCode.OK
        client.close()

        wait_until(lambda: max(queue_sizes, default=0) > 0, what="queue_size > 0")
        if outage == "unavailable":
            wait_until(lambda: sink.refused["traces"] >= 5, what="retries against the sink")
            sink.heal()
        else:
            time.sleep(1.0)  # let a few connection attempts fail
            sink.start()

        assert sink.wait_for_items("traces", total, timeout=60) == total

        def drained():
            m = metrics.scrape(ports.metrics)
            done = (m.get("otelcol_exporter_queue_size", exporter="otlp") == 0
                    and m.get("otelcol_exporter_sent_spans_total", exporter="otlp") == total)
            return m if done else None

        final = wait_until(drained, what="queue drained and all spans sent")
        stop_sampling.set()
        sampler.join()

        assert final.get("otelcol_receiver_accepted_spans_total", receiver="otlp") == total
        assert final.get("otelcol_exporter_send_failed_spans_total", exporter="otlp") == 0
        assert final.get("otelcol_exporter_enqueue_failed_spans_total", exporter="otlp") == 0
        assert final.get("otelcol_exporter_queue_capacity", exporter="otlp") == 1000
        assert sonde.stop() == 0

        expected = sorted(span_id(1, seq, i) for seq in range(requests) for i in range(per_request))
        assert sorted(span_ids(sink.snapshot("traces"))) == expected  # each exactly once
    finally:
        sink.stop()


def test_full_queue_refuses_and_counts(ports, start_sonde):
    requests, per_request = 20, 5
    sink = GrpcSink().start()
    try:
        sink.fail()
        config = pipeline(ports, exporter_with_queue(sink.port, num_consumers=1, queue_size=2,
                                                     block_on_overflow=False),
                          signals=("traces",))
        sonde = start_sonde(config, ports)

        client = TraceClient(ports.grpc)
        codes = [client.send(trace_request(client=2, seq=seq, n=per_request))
                 for seq in range(requests)]
        client.close()
        accepted = [seq for seq, code in enumerate(codes) if code == grpc.StatusCode.OK]
        refused = [seq for seq, code in enumerate(codes) if code != grpc.StatusCode.OK]
        assert {codes[seq] for seq in refused} == {grpc.StatusCode.UNAVAILABLE}
        assert accepted and refused, codes

        m = metrics.scrape(ports.metrics)
        assert m.get("otelcol_exporter_enqueue_failed_spans_total", exporter="otlp") == len(refused) * per_request
        assert m.get("otelcol_receiver_refused_spans_total", receiver="otlp") == len(refused) * per_request
        assert m.get("otelcol_receiver_accepted_spans_total", receiver="otlp") == len(accepted) * per_request
        assert m.get("otelcol_exporter_queue_capacity", exporter="otlp") == 2

        sink.heal()
        want = len(accepted) * per_request
        assert sink.wait_for_items("traces", want, timeout=60) == want
        wait_until(lambda: metrics.scrape(ports.metrics).get(
            "otelcol_exporter_sent_spans_total", exporter="otlp") == want, what="sent == accepted")
        assert sonde.stop() == 0
        expected = sorted(span_id(2, seq, i) for seq in accepted for i in range(per_request))
        assert sorted(span_ids(sink.snapshot("traces"))) == expected
    finally:
        sink.stop()
