"""memory_limiter under a flood: the backend refuses everything, the exporter
queue would grow without bound, and several client processes push far more than
the limit. sonde must stay under limit_mib plus a margin, refuse with the
retryable gRPC UNAVAILABLE, stay alive and exit 0 on SIGTERM.

The margin is 50 MiB (also stated in README.md): the limiter can only see data
once a request is decoded, so requests in flight, allocator slack and the binary
itself come on top of what it limits.
"""

import multiprocessing
import threading
import time
from concurrent.futures import ProcessPoolExecutor

from sondetest import metrics
from sondetest.configs import otlp_exporter, pipeline
from sondetest.flood import flood
from sondetest.sink import GrpcSink
from sondetest.wait import wait_until

LIMIT_MIB = 100
SPIKE_MIB = 20
MARGIN_MIB = 50
CLIENTS = 3
FLOOD_SECONDS = 20


def test_memory_stays_bounded_under_flood(ports, start_sonde):
    sink = GrpcSink().start()
    try:
        sink.fail()
        config = pipeline(
            ports,
            {"otlp": otlp_exporter(
                sink.port, timeout="2s",
                retry_on_failure={"enabled": True, "initial_interval": "200ms",
                                  "max_interval": "1s", "max_elapsed_time": "10m"},
                sending_queue={"enabled": True, "num_consumers": 2, "queue_size": 100000})},
            processors={"memory_limiter": {"check_interval": "100ms", "limit_mib": LIMIT_MIB,
                                           "spike_limit_mib": SPIKE_MIB}},
            signals=("traces",))
        sonde = start_sonde(config, ports)

        peak = {"rss": sonde.rss_bytes()}
        sampling = threading.Event()
        sampling.set()

        def sample():
            while sampling.is_set() and sonde.running():
                try:
                    peak["rss"] = max(peak["rss"], sonde.rss_bytes())
                except Exception:  # the process may be exiting; the asserts below catch it
                    return
                time.sleep(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()

        # ~0.4 MiB per request, 2 in flight per client process.
        with ProcessPoolExecutor(CLIENTS, mp_context=multiprocessing.get_context("spawn")) as pool:
            results = list(pool.map(flood, [ports.grpc] * CLIENTS, range(CLIENTS),
                                    [FLOOD_SECONDS] * CLIENTS, [500] * CLIENTS, [600] * CLIENTS,
                                    [2] * CLIENTS))
        codes: dict[str, int] = {}
        for result in results:
            for name, n in result.items():
                codes[name] = codes.get(name, 0) + n

        sonde.check_alive()
        sampling.clear()
        sampler.join()
        peak_mib = peak["rss"] / (1 << 20)
        print(f"client results: {codes}; peak RSS {peak_mib:.1f} MiB")

        assert set(codes) <= {"OK", "UNAVAILABLE"}, codes
        assert codes.get("UNAVAILABLE", 0) > 0, codes
        assert peak_mib < LIMIT_MIB + MARGIN_MIB

        # The backend comes back; what was accepted drains and sonde exits cleanly.
        m = metrics.scrape(ports.metrics)
        refused = m.get("otelcol_receiver_refused_spans_total", receiver="otlp")
        assert refused == codes["UNAVAILABLE"] * 500
        sink.heal()
        wait_until(lambda: metrics.scrape(ports.metrics).get(
            "otelcol_exporter_queue_size", exporter="otlp") == 0, timeout=120,
            what="exporter queue drained")
        assert sonde.stop(timeout=120) == 0
    finally:
        sink.stop()
