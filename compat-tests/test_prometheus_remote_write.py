"""The `prometheusremotewrite` receiver against the real Prometheus 2.42: Prometheus
scrapes a fixed exposition (served by Python's http.server) every half second and
remote-writes to sonde, which sends OTLP to a recording gRPC sink.

Every series of the target arrives with its exact labels and values: the counter as
a cumulative monotonic Sum, the gauge with both label sets, the histogram whole
(bounds, de-cumulated bucket counts, sum, count), the summary whole; job `shop/cart`
becomes `service.namespace` + `service.name`, the instance `service.instance.id`;
Prometheus's own `up` and `scrape_*` series arrive as gauges; the metadata Prometheus
sends on its own gives the metrics their help text. Malformed bodies get 400 and a
message while a good client and Prometheus itself keep being served.
"""

import struct
import threading
import time

import cramjam
import pytest
import requests

from sondetest.configs import Ports, otlp_exporter
from sondetest.prometheus import PROMETHEUS, start_prometheus
from sondetest.ports import free_port
from sondetest.wait import wait_until

def sonde_config(ports: Ports, port: int, sink_port: int) -> dict:
    return {
        "receivers": {"prometheusremotewrite": {"endpoint": f"127.0.0.1:{port}"}},
        "exporters": {"otlp": otlp_exporter(sink_port)},
        "extensions": {"health_check": {"endpoint": f"127.0.0.1:{ports.health}"}},
        "service": {
            "extensions": ["health_check"],
            "telemetry": {"metrics": {"level": "none"}},
            "pipelines": {"metrics": {"receivers": ["prometheusremotewrite"],
                                      "exporters": ["otlp"]}},
        },
    }


@pytest.fixture
def receiver(start_sonde, grpc_sink):
    if PROMETHEUS is None:
        pytest.skip("no prometheus binary (apt-get install prometheus; CI installs it)")
    ports = Ports()
    port = free_port()
    start_sonde(sonde_config(ports, port, grpc_sink.port), ports, wait_ports=[port])
    return port


def resource_key(rm) -> tuple:
    return tuple((a.key, a.value.string_value) for a in rm.resource.attributes)


def collect(sink) -> dict:
    """metric name -> list of (resource, kind, metric, data point) of all received."""
    out = {}
    for request in sink.snapshot("metrics"):
        for rm in request.resource_metrics:
            for sm in rm.scope_metrics:
                assert sm.scope.name == "sonde/receiver/prometheusremotewrite"
                for metric in sm.metrics:
                    kind = metric.WhichOneof("data")
                    for dp in getattr(metric, kind).data_points:
                        out.setdefault(metric.name, []).append(
                            (resource_key(rm), kind, metric, dp))
    return out


def attrs(dp) -> dict:
    return {a.key: a.value.string_value for a in dp.attributes}


EVERY_NAME = {"shop_orders_total", "shop_queue_depth", "shop_request_seconds",
              "shop_gc_seconds", "up", "scrape_duration_seconds", "scrape_samples_scraped",
              "scrape_samples_post_metric_relabeling", "scrape_series_added"}


def test_prometheus_scrapes_arrive_whole(peers, tmp_path, receiver, grpc_sink):
    started = time.time()
    target = start_prometheus(peers, tmp_path, receiver)
    # Until every family has arrived, and the help text from Prometheus's metadata
    # requests has reached a counter (metadata go out once a second, on their own).
    got = wait_until(
        lambda: (lambda g: g if EVERY_NAME <= set(g) and any(
            m.description == "Orders placed." for _, _, m, _ in g["shop_orders_total"]
        ) else None)(collect(grpc_sink)),
        timeout=60, what="every family, and metadata")
    resource = (("service.namespace", "shop"), ("service.name", "cart"),
                ("service.instance.id", f"127.0.0.1:{target}"))
    now = time.time()
    for name, points in got.items():
        for res, _, _, dp in points:
            assert res == resource, name
            assert started * 1e9 - 5e9 < dp.time_unix_nano < now * 1e9, name
            assert dp.time_unix_nano % 1_000_000 == 0, "Prometheus times are milliseconds"

    orders = got["shop_orders_total"]
    assert {kind for _, kind, _, _ in orders} == {"sum"}
    for _, _, metric, dp in orders:
        assert metric.sum.is_monotonic and metric.sum.aggregation_temporality == 2
        assert (attrs(dp), dp.as_double) in [({"method": "card"}, 42.0),
                                             ({"method": "cash"}, 7.0)]
    assert {attrs(dp)["method"] for *_, dp in orders} == {"card", "cash"}

    depth = got["shop_queue_depth"]
    assert {kind for _, kind, _, _ in depth} == {"gauge"}
    assert {(attrs(dp)["queue"], dp.as_double) for *_, dp in depth} == {("fast", 3.0),
                                                                        ("slow", 11.5)}

    # A histogram whole: bounds, counts per bucket (not cumulative), sum, count.
    for _, kind, metric, dp in got["shop_request_seconds"]:
        assert kind == "histogram" and metric.histogram.aggregation_temporality == 2
        assert attrs(dp) == {"path": "/buy"}
        assert list(dp.explicit_bounds) == [0.1, 0.5]
        assert list(dp.bucket_counts) == [4, 5, 1]
        assert (dp.sum, dp.count) == (2.75, 10)

    for _, kind, _, dp in got["shop_gc_seconds"]:
        assert kind == "summary"
        assert attrs(dp) == {}
        assert [(q.quantile, q.value) for q in dp.quantile_values] == [(0.5, 0.002),
                                                                     (0.99, 0.015)]
        assert (dp.sum, dp.count) == (0.4, 120)

    # Prometheus's own series about the scrape: gauges.
    for name in ["up", "scrape_duration_seconds", "scrape_samples_scraped",
                 "scrape_samples_post_metric_relabeling", "scrape_series_added"]:
        assert {kind for _, kind, _, _ in got[name]} == {"gauge"}, name
        assert all(attrs(dp) == {} for *_, dp in got[name]), name
    assert {dp.as_double for *_, dp in got["up"]} == {1.0}
    assert {dp.as_double for *_, dp in got["scrape_samples_scraped"]} == {13.0}

    # Prometheus may cut one scrape across two requests; a family cut so arrives as
    # its parts, never wrong. Apart from those, nothing else arrives.
    parts = {"shop_request_seconds_bucket", "shop_request_seconds_sum",
             "shop_request_seconds_count", "shop_gc_seconds_sum", "shop_gc_seconds_count"}
    assert set(got) - EVERY_NAME <= parts, set(got) - EVERY_NAME


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(tag: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field."""
    return varint(tag << 3 | 2) + varint(len(payload)) + payload


def write_request(name: str, labels: dict, value: float, ms: int) -> bytes:
    """A prometheus.WriteRequest of one series and one sample, snappy-compressed."""
    series = b"".join(field(1, field(1, k.encode()) + field(2, v.encode()))
                      for k, v in {"__name__": name, **labels}.items())
    series += field(2, b"\x09" + struct.pack("<d", value) + b"\x10" + varint(ms))
    return bytes(cramjam.snappy.compress_raw(field(1, series)))


HEADERS = {"Content-Type": "application/x-protobuf", "Content-Encoding": "snappy",
           "X-Prometheus-Remote-Write-Version": "0.1.0"}


def test_malformed_bodies_get_400_and_disturb_no_one(peers, tmp_path, receiver, grpc_sink):
    url = f"http://127.0.0.1:{receiver}/api/v1/write"
    not_snappy = requests.post(url, data=b"plain protobuf, not snappy", headers=HEADERS)
    assert not_snappy.status_code == 400
    assert not_snappy.text.startswith(
        "body is not snappy-compressed (block format): snappy: corrupt input")
    garbage = requests.post(url, data=bytes(cramjam.snappy.compress_raw(b"\xff\xff\xff")),
                            headers=HEADERS)
    assert (garbage.status_code, garbage.text) == (
        400, "body is not a protobuf prometheus.WriteRequest: "
             "failed to decode Protobuf message: invalid varint\n")
    no_name = requests.post(url, headers=HEADERS, data=bytes(cramjam.snappy.compress_raw(
        field(1, field(1, field(1, b"job") + field(2, b"x"))))))
    assert (no_name.status_code, no_name.text) == (
        400, 'series 0 {job="x"} has no __name__ label\n')
    framed = requests.post(url, data=bytes(cramjam.snappy.compress(b"\x0a\x00")),
                           headers=HEADERS)
    assert framed.status_code == 400, "the framed format is not remote-write's"
    gzip = requests.post(url, data=b"x", headers={**HEADERS, "Content-Encoding": "gzip"})
    assert (gzip.status_code, gzip.text) == (
        415, 'unsupported Content-Encoding "gzip": remote-write bodies are snappy\n')
    assert grpc_sink.items("metrics") == 0

    # A bad client hammers while a good one and Prometheus itself are served.
    stop = threading.Event()
    bad_answers = []

    def hammer():
        with requests.Session() as session:
            while not stop.is_set():
                for body in (b"\x00garbage", bytes(cramjam.snappy.compress_raw(b"\x0b\x0c"))):
                    bad_answers.append(session.post(url, data=body, headers=HEADERS).status_code)

    threads = [threading.Thread(target=hammer) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        start_prometheus(peers, tmp_path, receiver)
        now_ms = int(time.time() * 1000)
        for i in range(20):
            good = requests.post(url, headers=HEADERS, data=write_request(
                "probe_value", {"job": "probe", "n": str(i)}, i * 1.5, now_ms + i))
            assert (good.status_code, good.text) == (204, "")
        wait_until(lambda: "up" in collect(grpc_sink), timeout=60,
                   what="Prometheus's data while a bad client hammers")
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert len(bad_answers) > 20 and set(bad_answers) == {400}
    got = collect(grpc_sink)
    probes = sorted((int(attrs(dp)["n"]), dp.as_double, dp.time_unix_nano)
                    for *_, dp in got["probe_value"])
    assert probes == [(i, i * 1.5, (now_ms + i) * 1_000_000) for i in range(20)]
    assert {res for res, *_ in got["probe_value"]} == {(("service.name", "probe"),)}
