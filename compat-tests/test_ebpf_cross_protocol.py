"""One trace across protocols, with no instrumentation: an HTTP service that,
for each request, reads PostgreSQL, writes and reads Redis and produces to
Kafka yields per request one trace holding curl's CLIENT span, the service's
SERVER span, and under it the service's database and messaging client spans.

The service is plain Python (http.server, psycopg, redis-py, kafka-python), no
OpenTelemetry anywhere: the eBPF receiver joins it all by itself."""

import pytest

from sondetest.ebpf import VENV_PYTHON, curl, ebpf_config, wait_port
from sondetest.ports import free_port
from sondetest.servers import Postgres, Redis, Tansu
from sondetest.telemetry import dump, ebpf_spans, wait_spans

pytestmark = pytest.mark.usefixtures("ebpf_required")

# A thread-per-request service would do as well; this one serves one request
# at a time on its main thread. kafka-python's KafkaProducer sends from a
# thread of its own, which no request is served on, so its sends could not be
# told apart by thread: the service drives kafka-python's network client on
# the serving thread instead (the same requests on the wire).
ORDER_SERVICE = """
import sys, time
from http.server import BaseHTTPRequestHandler, HTTPServer
import psycopg, redis
from kafka.net.compat import KafkaNetClient
from kafka.protocol.producer import ProduceRequest
from kafka.record.memory_records import MemoryRecordsBuilder

http_port, pg_port, redis_port, kafka_port = map(int, sys.argv[1:5])
db = psycopg.connect(f"host=127.0.0.1 port={pg_port} user=postgres dbname=sonde "
                     "sslmode=disable", autocommit=True)
cache = redis.Redis(host="127.0.0.1", port=redis_port)
cache.ping()
kafka = KafkaNetClient(bootstrap_servers=[f"127.0.0.1:{kafka_port}"], client_id="orders-svc")
kafka.check_version()
[broker] = [b.node_id for b in kafka.cluster.brokers()]
Topic = ProduceRequest.TopicProduceData


def produce(value):
    batch = MemoryRecordsBuilder(magic=2, compression_type=0, batch_size=16384)
    batch.append(timestamp=int(time.time() * 1000), key=None, value=value, headers=[])
    batch.close()
    request = ProduceRequest(acks=1, timeout_ms=5000, max_version=9, topic_data=[Topic(
        name="orders", partition_data=[Topic.PartitionProduceData(
            index=0, records=batch.buffer())])])
    [topic] = kafka.send_and_receive(broker, request).responses
    [partition] = topic.partition_responses
    assert partition.error_code == 0, partition


class Orders(BaseHTTPRequestHandler):
    def do_GET(self):
        order = int(self.path.rsplit("/", 1)[1])
        [(name,)] = db.execute("SELECT name FROM orders WHERE id = %s", (order,)).fetchall()
        cache.set(f"order:{order}", name)
        assert cache.get(f"order:{order}") == name.encode()
        produce(name.encode())
        body = name.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


HTTPServer(("127.0.0.1", http_port), Orders).serve_forever()
"""

REQUESTS = 5


def test_one_trace_through_http_postgresql_redis_and_kafka(start_sonde, grpc_sink, ports,
                                                           peers):
    http_port, pg_port, redis_port, kafka_port = (free_port() for _ in range(4))
    pg = Postgres(peers, pg_port)
    pg.psql("-c", "CREATE TABLE orders (id int PRIMARY KEY, name text); "
                  "INSERT INTO orders SELECT i, 'order-' || i FROM generate_series(1, 10) i")
    Redis(peers, redis_port)
    Tansu(peers, kafka_port, topics=["orders"])
    sonde = start_sonde(ebpf_config(ports, grpc_sink.port,
                                    [http_port, pg_port, redis_port, kafka_port]), ports)
    service = peers.spawn("order-service", [VENV_PYTHON, "-c", ORDER_SERVICE, str(http_port),
                                            str(pg_port), str(redis_port), str(kafka_port)])
    wait_port(http_port, service, "order service")

    urls = [f"http://127.0.0.1:{http_port}/order/{i}" for i in range(1, REQUESTS + 1)]
    curl_pid, rows = curl(*urls)
    assert [r["status"] for r in rows] == [200] * REQUESTS

    wait_spans(grpc_sink, REQUESTS, "produce spans", **{"messaging.destination.name": "orders",
                                                        "messaging.operation.name": "send"})
    assert sonde.stop() == 0

    spans = ebpf_spans(grpc_sink)
    served = [s for s in spans if s.kind == "SERVER" and s.resource["process.pid"] == service.pid
              and s.attrs.get("http.request.method") == "GET"]
    assert sorted(s.attrs["url.path"] for s in served) == sorted(
        f"/order/{i}" for i in range(1, REQUESTS + 1)), dump(served)
    by_id = {s.span_id: s for s in spans}
    setups = 0
    for server in served:
        caller = by_id.get(server.parent)
        assert caller is not None and caller.kind == "CLIENT", server.dump()
        assert (caller.resource["process.pid"], caller.trace_id) == (curl_pid, server.trace_id)
        children = sorted(
            (s.kind, s.name) for s in spans
            if s.parent == server.span_id and s.resource["process.pid"] == service.pid)
        # kafka-python opens its connection to the partition's broker on the
        # first produce (the bootstrap connection is another): that request
        # also holds the new connection's ApiVersions.
        setup = [c for c in children if c == ("CLIENT", "ApiVersions")]
        assert [c for c in children if c not in setup] == [
            ("CLIENT", "GET"), ("CLIENT", "SELECT orders"), ("CLIENT", "SET"),
            ("PRODUCER", "send orders")], dump([s for s in spans if s.trace_id == server.trace_id])
        setups += len(setup)
        assert all(s.trace_id == server.trace_id for s in spans if s.parent == server.span_id)
    assert setups == 1
