"""The eBPF receiver on message brokers, each with its own real client: nats-py
against nats-server, pika against RabbitMQ, kafka-python against Tansu (a
Kafka-compatible broker). A run of known size gives exactly that many PRODUCER
(and CONSUMER) spans and histogram counts, and the broker's refusals (no
responders, a missing queue, an unknown topic) fail their spans with the
protocol's own `error.type`.

Each test traces only its own broker's port."""

import pytest

from sondetest.ebpf import VENV_PYTHON, ebpf_config, run_client
from sondetest.ports import free_port
from sondetest.servers import Nats, RabbitMQ, Tansu
from sondetest.telemetry import dump, red_count, spans_where, wait_spans
from sondetest.wait import wait_until

pytestmark = pytest.mark.usefixtures("ebpf_required")

ERROR = 2
MESSAGES = 50

# nats-py: one connection subscribes to `orders`, another publishes MESSAGES
# to it; then a request nobody answers (nats-server says 503, no responders).
NATS_CLIENT = """
import asyncio, sys
import nats
from nats.errors import NoRespondersError

async def main(port, n):
    url = f"nats://127.0.0.1:{port}"
    got = asyncio.Queue()
    sub = await nats.connect(url, name="sonde-sub")
    await sub.subscribe("orders", cb=got.put)
    await sub.flush()
    pub = await nats.connect(url, name="sonde-pub")
    for i in range(n):
        await pub.publish("orders", b"order %d" % i)
    await pub.flush()
    for _ in range(n):
        await asyncio.wait_for(got.get(), 10)
    try:
        await pub.request("nobody.home", b"?", timeout=5)
    except NoRespondersError:
        print("no responders")
    await pub.drain()
    await sub.drain()

asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
"""


def test_nats_publish_subscribe_and_no_responders(start_sonde, grpc_sink, ports, peers):
    port = free_port()
    Nats(peers, port)
    # nats-py writes its 50 buffered PUBs in one syscall, and nats-server its
    # 50 MSGs in one: about 1.3 KB each, more than the default 1 KiB a syscall's
    # capture keeps. Keep up to 4 KiB, so every message is seen.
    sonde = start_sonde(ebpf_config(ports, grpc_sink.port, [port], metrics_flush="500ms",
                                    ebpf_overrides={"payload_size": 4096}), ports)

    pid, out = run_client([VENV_PYTHON, "-c", NATS_CLIENT, str(port), str(MESSAGES)])
    assert "no responders" in out, out

    orders = {"messaging.system": "nats", "messaging.destination.name": "orders"}
    wait_spans(grpc_sink, 2 * MESSAGES, "publish and receive spans", **orders)
    wait_spans(grpc_sink, 1, "no-responders span", **{"error.type": "503"})
    publish = {"messaging.operation.name": "publish", **orders}
    wait_until(lambda: red_count(grpc_sink, "messaging.client.operation.duration", pid,
                                 **publish) == MESSAGES, timeout=30, interval=0.5,
               what="histogram counts")
    assert sonde.stop() == 0

    mine = [s for s in spans_where(grpc_sink, **orders) if s.resource["process.pid"] == pid]
    published = [s for s in mine if s.kind == "PRODUCER"]
    received = [s for s in mine if s.kind == "CONSUMER"]
    assert len(published) == len(received) == MESSAGES, dump(mine[:4])
    assert {s.name for s in published} == {"publish orders"}
    assert {s.name for s in received} == {"receive orders"}
    assert {s.attrs["messaging.client.id"] for s in published} == {"sonde-pub"}
    assert all(s.status != ERROR for s in mine)

    [refused] = [s for s in spans_where(grpc_sink, **{"messaging.system": "nats"})
                 if s.status == ERROR and s.resource["process.pid"] == pid]
    assert refused.attrs["error.type"] == "503", refused.dump()


# pika: declares `orders`, publishes MESSAGES to it through the default
# exchange, takes them back with basic.get, then asks a queue that does not
# exist (RabbitMQ closes the channel with 404 NOT_FOUND).
PIKA_CLIENT = """
import sys
import pika

port, n = int(sys.argv[1]), int(sys.argv[2])
conn = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", port))
ch = conn.channel()
ch.queue_declare("orders")
for i in range(n):
    ch.basic_publish(exchange="", routing_key="orders", body=b"order %d" % i)
got = 0
while got < n:
    method, _, body = ch.basic_get("orders", auto_ack=True)
    if method is not None:
        got += 1
try:
    conn.channel().basic_get("nosuch", auto_ack=True)
except pika.exceptions.ChannelClosedByBroker as e:
    print("closed:", e.reply_code, e.reply_text)
conn.close()
"""


def test_rabbitmq_publish_get_and_a_missing_queue(start_sonde, grpc_sink, ports, peers):
    port = free_port()
    broker = RabbitMQ(peers, port, dist_port=free_port())
    sonde = start_sonde(ebpf_config(ports, grpc_sink.port, [port], metrics_flush="500ms"), ports)

    pid, out = run_client([VENV_PYTHON, "-c", PIKA_CLIENT, str(port), str(MESSAGES)])
    assert "closed: 404 NOT_FOUND - no queue 'nosuch'" in out, out

    orders = {"messaging.system": "rabbitmq", "messaging.destination.name": "orders"}
    wait_spans(grpc_sink, 2 * MESSAGES, "publish and get spans", **orders)
    wait_spans(grpc_sink, 1, "NOT_FOUND span", **{"error.type": "NOT_FOUND"})
    wait_until(lambda: red_count(grpc_sink, "messaging.client.operation.duration", pid,
                                 **{"messaging.operation.name": "receive", **orders})
               >= MESSAGES, timeout=30, interval=0.5, what="histogram counts")
    assert sonde.stop() == 0

    mine = [s for s in spans_where(grpc_sink, **orders) if s.resource["process.pid"] == pid]
    published = [s for s in mine if s.name == "publish orders"]
    taken = [s for s in mine if s.name == "receive orders"]
    assert len(published) == MESSAGES, dump(mine[:4])
    assert {s.kind for s in published} == {"PRODUCER"}
    # basic.get polls until it has them all: every get-ok is one receive; an
    # empty poll (get-empty) receives nothing and says so.
    assert len([s for s in taken if "messaging.message.body.size" in s.attrs]) == MESSAGES
    assert all(s.status != ERROR for s in mine)
    assert red_count(grpc_sink, "messaging.client.operation.duration", pid,
                     **{"messaging.operation.name": "publish", **orders}) == MESSAGES

    failed = [s for s in spans_where(grpc_sink, **{"messaging.system": "rabbitmq"})
              if s.status == ERROR]
    assert [(s.resource["process.pid"], s.attrs["error.type"]) for s in failed] == [
        (pid, "NOT_FOUND")], dump(failed)


# kafka-python: produces MESSAGES to `orders`, each waited for (one Produce
# request each), reads them back, then sends to a topic the broker does not
# have, with topic auto-creation off: every Metadata answer says
# UNKNOWN_TOPIC_OR_PARTITION until the producer gives up.
KAFKA_CLIENT = """
import sys
from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import KafkaTimeoutError

port, n = sys.argv[1], int(sys.argv[2])
servers = ["127.0.0.1:" + port]
producer = KafkaProducer(bootstrap_servers=servers, client_id="sonde-producer", acks=1,
                         allow_auto_create_topics=False, max_block_ms=3000)
for i in range(n):
    producer.send("orders", b"order %d" % i).get(timeout=10)
try:
    producer.send("nosuch", b"lost").get(timeout=10)
except KafkaTimeoutError as e:
    print("gave up:", e)
producer.close()
consumer = KafkaConsumer("orders", bootstrap_servers=servers, client_id="sonde-consumer",
                         auto_offset_reset="earliest", consumer_timeout_ms=10000)
got = 0
for _ in consumer:
    got += 1
    if got == n:
        break
print("consumed", got)
consumer.close()
"""


def test_kafka_produce_fetch_and_an_unknown_topic(start_sonde, grpc_sink, ports, peers):
    port = free_port()
    Tansu(peers, port, topics=["orders"])
    sonde = start_sonde(ebpf_config(ports, grpc_sink.port, [port], metrics_flush="500ms"), ports)

    pid, out = run_client([VENV_PYTHON, "-c", KAFKA_CLIENT, str(port), str(MESSAGES)])
    assert f"consumed {MESSAGES}" in out and "gave up:" in out, out

    orders = {"messaging.system": "kafka", "messaging.destination.name": "orders"}
    send = {"messaging.operation.name": "send", **orders}
    wait_spans(grpc_sink, MESSAGES, "send spans", **send)
    wait_spans(grpc_sink, 1, "unknown topic spans", **{"error.type": "UNKNOWN_TOPIC_OR_PARTITION"})
    wait_until(lambda: red_count(grpc_sink, "messaging.client.operation.duration", pid, **send)
               == MESSAGES, timeout=30, interval=0.5, what="histogram counts")
    assert sonde.stop() == 0

    mine = [s for s in spans_where(grpc_sink, **{"messaging.system": "kafka"})
            if s.resource["process.pid"] == pid]
    sent = [s for s in mine if s.attrs.get("messaging.operation.name") == "send"]
    assert len(sent) == MESSAGES, dump(sent[:3])
    assert {(s.name, s.kind, s.attrs["messaging.destination.name"],
             s.attrs["messaging.client.id"]) for s in sent} == {
        ("send orders", "PRODUCER", "orders", "sonde-producer")}
    assert all(s.status != ERROR for s in sent)
    polls = [s for s in mine if s.attrs.get("messaging.operation.name") == "poll"]
    assert polls and {(s.name, s.kind) for s in polls} == {("poll orders", "CONSUMER")}

    failed = [s for s in mine if s.status == ERROR]
    assert failed, dump(mine[-5:])
    assert {(s.name, s.attrs["error.type"]) for s in failed} == {
        ("Metadata", "UNKNOWN_TOPIC_OR_PARTITION")}, dump(failed)
