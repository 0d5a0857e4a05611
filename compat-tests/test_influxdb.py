"""The `influxdb` receiver against the real InfluxDB Python clients: `influxdb-client`
(the 2.x API, `/api/v2/write`) and `influxdb` (the 1.x API, `/write`). sonde turns the
line protocol into OTLP metrics and sends them to a recording OTLP/gRPC sink.

Every field arrives as a data point of `<measurement>_<field>` with the tags as
attributes and the line's time; a batch with a bad line answers 400 naming its line
and column, and the batch's good lines arrive; bad requests get their status and a
message while another client's points all arrive; a refusing pipeline answers 503.
"""

import gzip
import threading

import pytest
import requests
from influxdb import InfluxDBClient as InfluxDB1
from influxdb.exceptions import InfluxDBClientError
from influxdb_client import InfluxDBClient, Point, WritePrecision
from influxdb_client.client.exceptions import InfluxDBError
from influxdb_client.client.write_api import SYNCHRONOUS

from sondetest.configs import Ports, otlp_exporter
from sondetest.ports import free_port


def config(ports: Ports, influx_port: int, sink_port: int, **exporter) -> dict:
    return {
        "receivers": {"influxdb": {"endpoint": f"127.0.0.1:{influx_port}",
                                   "sums": ["*_total"]}},
        "exporters": {"otlp": otlp_exporter(sink_port, **exporter)},
        "extensions": {"health_check": {"endpoint": f"127.0.0.1:{ports.health}"}},
        "service": {
            "extensions": ["health_check"],
            "telemetry": {"metrics": {"level": "none"}},
            "pipelines": {"metrics": {"receivers": ["influxdb"], "exporters": ["otlp"]}},
        },
    }


@pytest.fixture
def influx(start_sonde, grpc_sink):
    ports = Ports()
    port = free_port()
    start_sonde(config(ports, port, grpc_sink.port), ports, wait_ports=[port])
    return port


def points(sink) -> dict:
    """metric name -> [(attributes, time, value, kind)] of everything the sink got, in
    time order (separate writes may leave the pipeline in either order, as in
    otelcol); a value is `(int, n)` or `(float, x)`, as the data point holds it."""
    out = {}
    for request in sink.snapshot("metrics"):
        for rm in request.resource_metrics:
            for sm in rm.scope_metrics:
                assert sm.scope.name == "sonde/receiver/influxdb"
                for metric in sm.metrics:
                    kind = metric.WhichOneof("data")
                    for dp in getattr(metric, kind).data_points:
                        attrs = {a.key: a.value.string_value for a in dp.attributes}
                        which = dp.WhichOneof("value")
                        value = (int if which == "as_int" else float, getattr(dp, which))
                        out.setdefault(metric.name, []).append(
                            (attrs, dp.time_unix_nano, value, kind))
    for series in out.values():
        series.sort(key=lambda point: point[1])
    return out


def test_v2_client_points_arrive_as_metrics(influx, grpc_sink):
    ts = 1_700_000_000_123_456_789
    with InfluxDBClient(url=f"http://127.0.0.1:{influx}", token="t", org="o") as client:
        write = client.write_api(write_options=SYNCHRONOUS)
        write.write(bucket="b", record=Point("cpu").tag("host", "h1").tag("cpu", "cpu0")
                    .field("usage_idle", 98.5).field("procs", 7).time(ts, WritePrecision.NS))
        write.write(bucket="b", record="http,code=200 requests_total=41i,up=true 1700000000",
                    write_precision=WritePrecision.S)
    with InfluxDBClient(url=f"http://127.0.0.1:{influx}", token="t", org="o",
                        enable_gzip=True) as client:
        client.write_api(write_options=SYNCHRONOUS).write(
            bucket="b", record="cpu,host=h2 usage_idle=50 1700000001000",
            write_precision=WritePrecision.MS)

    assert grpc_sink.wait_for_items("metrics", 5) == 5
    got = points(grpc_sink)
    assert got["cpu_usage_idle"] == [
        ({"host": "h1", "cpu": "cpu0"}, ts, (float, 98.5), "gauge"),
        ({"host": "h2"}, 1_700_000_001_000_000_000, (float, 50.0), "gauge"),
    ]
    assert got["cpu_procs"] == [({"host": "h1", "cpu": "cpu0"}, ts, (int, 7), "gauge")]
    assert got["http_requests_total"] == [
        ({"code": "200"}, 1_700_000_000_000_000_000, (int, 41), "sum")]
    assert got["http_up"] == [({"code": "200"}, 1_700_000_000_000_000_000, (int, 1), "gauge")]


def test_v1_client_points_arrive_as_metrics(influx, grpc_sink):
    client = InfluxDB1(host="127.0.0.1", port=influx, database="telegraf")
    assert client.ping().startswith("sonde-")
    assert client.write_points([
        {"measurement": "mem", "tags": {"host": "h1"}, "time": 1_700_000_000,
         "fields": {"used": 5, "free": 1.5, "note": "not a number"}},
        {"measurement": "mem", "tags": {"host": "h2"}, "time": 1_700_000_060,
         "fields": {"used": 6}},
    ], time_precision="s")
    assert client.write_points(["disk,path=/ free=10i 1700000000000"], protocol="line",
                               time_precision="ms")

    assert grpc_sink.wait_for_items("metrics", 4) == 4
    got = points(grpc_sink)
    assert got["mem_used"] == [({"host": "h1"}, 1_700_000_000_000_000_000, (int, 5), "gauge"),
                               ({"host": "h2"}, 1_700_000_060_000_000_000, (int, 6), "gauge")]
    assert got["mem_free"] == [({"host": "h1"}, 1_700_000_000_000_000_000, (float, 1.5), "gauge")]
    assert got["disk_free"] == [({"path": "/"}, 1_700_000_000_000_000_000, (int, 10), "gauge")]
    assert "mem_note" not in got


def test_a_bad_line_is_named_and_the_good_lines_arrive(influx, grpc_sink):
    lines = ["cpu v=1 1", "cpu v=oops 2", "cpu v=3 3", "cpu,host v=4 4"]
    with InfluxDBClient(url=f"http://127.0.0.1:{influx}", token="t", org="o") as client:
        with pytest.raises(InfluxDBError) as caught:
            client.write_api(write_options=SYNCHRONOUS).write(bucket="b", record=lines)
    assert caught.value.response.status == 400
    assert caught.value.message == (
        "partial write: 2 of 4 lines did not parse (the others were written): "
        "line 2, column 7: invalid float field value \"oops\"; "
        "line 4, column 9: missing tag value for tag key \"host\"")
    assert grpc_sink.wait_for_items("metrics", 2) == 2
    assert [(t, v) for _, t, v, _ in points(grpc_sink)["cpu_v"]] == [(1, (float, 1.0)), (3, (float, 3.0))]

    v1 = InfluxDB1(host="127.0.0.1", port=influx, database="db")
    with pytest.raises(InfluxDBClientError) as caught:
        v1.write_points(["mem used=1i 5", "mem used=2x 6"], protocol="line")
    assert caught.value.code == 400
    assert "line 2, column 10: invalid float field value \\\"2x\\\"" in caught.value.content
    assert grpc_sink.wait_for_items("metrics", 3) == 3


def test_malformed_requests_get_their_status_and_disturb_no_one(influx, grpc_sink):
    base = f"http://127.0.0.1:{influx}"
    bad = [
        ("/api/v2/write?org=o", {}, b"m v=1", 400, {"code": "invalid",
                                                   "message": "bucket is required"}),
        ("/write", {}, b"m v=1", 400, {"error": "database is required"}),
        ("/api/v2/write?bucket=b&precision=d", {}, b"m v=1", 400,
         {"code": "invalid", "message": "invalid precision \"d\""}),
        ("/api/v2/write?bucket=b", {"Content-Encoding": "gzip"}, b"not gzip", 400, None),
        ("/api/v2/write?bucket=b", {"Content-Encoding": "br"}, b"m v=1", 415, None),
        ("/write?db=d", {}, b"\xff\xfe v=1", 400,
         {"error": "partial write: 1 of 1 lines did not parse (the others were written): "
                   "line 1, column 1: the line is not valid UTF-8"}),
        ("/api/v2/write?bucket=b", {"Content-Encoding": "gzip"},
         gzip.compress(b"m v=1\n" * (7 << 20)), 413, None),
    ]
    statuses = []

    def garbage():
        for _ in range(10):
            for path, headers, body, _, _ in bad:
                statuses.append(requests.post(base + path, data=body, headers=headers,
                                              timeout=30).status_code)

    thread = threading.Thread(target=garbage)
    thread.start()
    with InfluxDBClient(url=base, token="t", org="o") as client:
        write = client.write_api(write_options=SYNCHRONOUS)
        for i in range(200):
            write.write(bucket="b", record=f"good,client=1 n={i}i {i}")
    thread.join()
    assert statuses == [b[3] for b in bad] * 10
    for path, headers, body, status, answer in bad:
        r = requests.post(base + path, data=body, headers=headers, timeout=30)
        assert r.status_code == status
        if answer is not None:
            assert r.json() == answer
        else:
            assert r.json()["message"], r.text
    assert grpc_sink.wait_for_items("metrics", 200) == 200
    assert sorted(v for _, _, v, _ in points(grpc_sink)["good_n"]) == [(int, i) for i in range(200)]


def test_a_refusing_pipeline_answers_503(start_sonde, grpc_sink):
    ports = Ports()
    port = free_port()
    start_sonde(config(ports, port, grpc_sink.port, sending_queue={"enabled": False},
                       retry_on_failure={"enabled": False}), ports, wait_ports=[port])
    grpc_sink.fail()
    r = requests.post(f"http://127.0.0.1:{port}/api/v2/write?bucket=b", data=b"m v=1 1",
                      timeout=30)
    assert r.status_code == 503
    assert r.headers["Retry-After"] == "1"
    assert r.json()["code"] == "unavailable"
    grpc_sink.heal()
    r = requests.post(f"http://127.0.0.1:{port}/api/v2/write?bucket=b", data=b"m v=1 1",
                      timeout=30)
    assert r.status_code == 204
    assert grpc_sink.wait_for_items("metrics", 1) == 1
