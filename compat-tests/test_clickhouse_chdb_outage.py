"""ClickHouse goes away for a while, then comes back: sonde's clickhouse exporter
holds the spans in its sending queue, retries, and every span lands in otel_traces
exactly once (count and distinct SpanId), with otelcol's exporter metrics saying so.

The outage is the chDB front (`sondetest.chfront`) answering 503, closing every
connection unanswered, or not running at all (killed, then started again on the
same data directory).
"""

import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import grpc
import pytest

from sondetest import metrics
from sondetest.client import TraceClient
from sondetest.configs import Ports, pipeline
from sondetest.otlpdata import span_id, trace_request
from sondetest.ports import free_port, port_open
from sondetest.wait import wait_until

HERE = Path(__file__).parent
RETRY = {"enabled": True, "initial_interval": "100ms", "max_interval": "500ms",
         "max_elapsed_time": "5m"}


class Front:
    """A chfront process that can be stopped and started again on its data."""

    def __init__(self, tmp_path: Path):
        self.port = free_port()
        self.data = tmp_path / "chdb"
        self.log_path = tmp_path / "chfront.log"
        self.proc = None

    def start(self):
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen([sys.executable, "-m", "sondetest.chfront", str(self.port),
                                      str(self.data)], cwd=HERE, stdout=log, stderr=log)
        log.close()
        deadline = time.time() + 60
        while not port_open(self.port):
            assert self.proc.poll() is None, self.log_path.read_text()
            assert time.time() < deadline, "chfront did not start"
            time.sleep(0.2)

    def stop(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def control(self, mode: str | None = None) -> dict:
        query = "?" + urllib.parse.urlencode({"mode": mode}) if mode else ""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/__front{query}",
                                    timeout=30) as r:
            return json.loads(r.read())

    def query(self, sql: str) -> list[dict]:
        url = f"http://127.0.0.1:{self.port}/?" + urllib.parse.urlencode(
            {"query": sql, "default_format": "JSONEachRow"})
        with urllib.request.urlopen(url, timeout=30) as r:
            return [json.loads(line) for line in r.read().decode().splitlines() if line]


@pytest.fixture
def front(tmp_path):
    f = Front(tmp_path)
    f.start()
    yield f
    f.stop()
    print(f"----- chfront log -----\n{f.log_path.read_text()}")


def config(ports: Ports, front_port: int) -> dict:
    exporter = {"clickhouse": {
        "endpoint": f"http://127.0.0.1:{front_port}",
        "database": "otel",
        "timeout": "2s",
        "retry_on_failure": RETRY,
        "sending_queue": {"enabled": True, "num_consumers": 2, "queue_size": 1000},
    }}
    return pipeline(ports, exporter, processors={"batch": {"send_batch_size": 10,
                                                           "timeout": "50ms"}},
                    signals=("traces",))


def send_spans(ports: Ports, client_no: int, requests: int, per_request: int):
    client = TraceClient(ports.grpc)
    for seq in range(requests):
        assert client.send(trace_request(client=client_no, seq=seq, n=per_request)) \
            == grpc.StatusCode.OK
    client.close()


def rows(front: Front) -> dict:
    return front.query("SELECT count() AS n, uniqExact(SpanId) AS ids FROM otel.otel_traces")[0]


def wait_drained(ports: Ports, total: int):
    def drained():
        m = metrics.scrape(ports.metrics)
        done = (m.get("otelcol_exporter_queue_size", exporter="clickhouse") == 0
                and m.get("otelcol_exporter_sent_spans_total", exporter="clickhouse") == total)
        return m if done else None

    return wait_until(drained, timeout=60, what="queue drained and all spans sent")


@pytest.mark.parametrize("outage", ["unavailable", "close", "down"])
def test_outage_then_recovery_inserts_every_span_once(outage, front, start_sonde):
    requests, per_request = 20, 10
    total = requests * per_request
    ports = Ports()
    sonde = start_sonde(config(ports, front.port), ports)
    # The schema is in place before the outage: the table is there to count in.
    wait_until(lambda: front.query("EXISTS TABLE otel.otel_traces") == [{"result": 1}],
               what="otel_traces created")

    queue_sizes = []
    stop_sampling = threading.Event()

    def sample():
        while not stop_sampling.is_set():
            try:
                queue_sizes.append(metrics.scrape(ports.metrics).get(
                    "otelcol_exporter_queue_size", exporter="clickhouse"))
            except OSError:
                pass  # a failed scrape is not a queue size; the asserts catch a dead sonde
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        if outage == "down":
            front.stop()
        else:
            front.control(outage)
        send_spans(ports, 3, requests, per_request)
        wait_until(lambda: max(queue_sizes, default=0) > 0, what="queue_size > 0")
        if outage == "down":
            time.sleep(1.0)  # let a few connection attempts fail
            front.start()
        else:
            wait_until(lambda: front.control()["refused"] >= 5, what="retries refused")
            assert front.control("ok")["mode"] == "ok"
        final = wait_drained(ports, total)
    finally:
        stop_sampling.set()
        sampler.join()

    assert rows(front) == {"n": total, "ids": total}
    want = sorted(span_id(3, seq, i).hex() for seq in range(requests) for i in range(per_request))
    got = [r["SpanId"] for r in front.query("SELECT SpanId FROM otel.otel_traces ORDER BY SpanId")]
    assert got == want
    assert final.get("otelcol_receiver_accepted_spans_total", receiver="otlp") == total
    assert final.get("otelcol_exporter_send_failed_spans_total", exporter="clickhouse") == 0
    assert final.get("otelcol_exporter_enqueue_failed_spans_total", exporter="clickhouse") == 0
    assert sonde.stop() == 0


@pytest.mark.parametrize("window", [1000, 0])
def test_answer_lost_after_insert(window, front, start_sonde):
    """The server inserts, then the answer is lost (503 here, a timeout in life): the
    exporter retries the same rows. ClickHouse drops a block whose content hash it has
    seen within the table's deduplication window, so with a window every span is in
    the table once; a plain MergeTree's window is 0 (contrib's DDL sets none), and
    then the retry inserts the rows again. sonde sends the same bytes on every
    attempt, which is what the content hash needs."""
    requests, per_request = 10, 10
    total = requests * per_request
    ports = Ports()
    cfg = config(ports, front.port)
    # Synchronous inserts: ClickHouse deduplicates asynchronous ones only with
    # async_insert_deduplicate, and (per its docs) on Replicated tables.
    cfg["exporters"]["clickhouse"]["async_insert"] = False
    sonde = start_sonde(cfg, ports)
    wait_until(lambda: front.query("EXISTS TABLE otel.otel_traces") == [{"result": 1}],
               what="otel_traces created")
    front.query(f"ALTER TABLE otel.otel_traces MODIFY SETTING "
                f"non_replicated_deduplication_window = {window}")

    front.control("commit_then_fail")
    send_spans(ports, 4, requests, per_request)
    wait_until(lambda: front.control()["inserts_committed_then_failed"] >= 2 * requests,
               what="inserts answered 503 after committing")
    front.control("ok")
    final = wait_drained(ports, total)

    counts = rows(front)
    assert counts["ids"] == total
    if window:
        assert counts["n"] == total
    else:
        assert counts["n"] > total  # the risk the window removes
    assert final.get("otelcol_exporter_send_failed_spans_total", exporter="clickhouse") == 0
    assert sonde.stop() == 0
