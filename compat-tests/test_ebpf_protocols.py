"""The eBPF receiver beyond HTTP/1, against the real servers and clients of each
protocol: a run of known size gives exactly that many client spans (and server
spans where the server is a traced process), RED histograms count the same, and
the protocol's own errors come out with status ERROR and their `error.type`.

Each test traces only its own server's port."""

import os
import subprocess

import pytest

from sondetest.ebpf import VENV_PYTHON, ebpf_config, require_tools, run_client as run
from sondetest.ports import free_port
from sondetest.servers import Dnsmasq, MariaDB, Memcached, Mosquitto, Postgres, Redis
from sondetest.telemetry import (dump, ebpf_spans, histogram_points, latest, red_count,
                                 spans_where, wait_spans)
from sondetest.wait import wait_until

pytestmark = pytest.mark.usefixtures("ebpf_required")

ERROR = 2


def test_dns_over_udp_and_tcp_with_dig_against_dnsmasq(start_sonde, grpc_sink, ports, peers):
    require_tools("dig", "dnsmasq")
    port = free_port()
    dns = Dnsmasq(peers, port)
    sonde = start_sonde(ebpf_config(ports, grpc_sink.port, [port], metrics_flush="500ms",
                                    ebpf_overrides={"protocols": {"ports": {"dns": [port], "dns_tcp": [port]}}}),
                        ports)
    names = [f"n{i}.ok.demo.test" for i in range(10)]
    for name in names:
        assert dns.dig(name) == "10.1.2.3"
    assert dns.dig("www.ok.demo.test", "+tcp") == "10.1.2.3"
    # Under the local domain and not given an address: NXDOMAIN.
    subprocess.run(["dig", "@127.0.0.1", "-p", str(port), "+tries=1", "nosuch.demo.test"],
                   check=True, capture_output=True, timeout=30)

    wait_spans(grpc_sink, 2, "NXDOMAIN spans", **{"dns.question.name": "nosuch.demo.test"})
    wait_spans(grpc_sink, 2, "tcp spans", **{"dns.question.name": "www.ok.demo.test"})
    assert sonde.stop() == 0

    got = [s for s in ebpf_spans(grpc_sink) if s.attrs.get("dns.question.name", "").endswith(
        "demo.test") and s.attrs.get("dns.question.name") != "probe.ok.demo.test"]
    clients = [s for s in got if s.kind == "CLIENT"]
    servers = [s for s in got if s.kind == "SERVER"]
    assert sorted(s.attrs["dns.question.name"] for s in clients) == sorted(
        names + ["www.ok.demo.test", "nosuch.demo.test"]), dump(clients)
    assert len(servers) == len(clients), dump(servers)
    assert all(s.resource["process.pid"] == dns.pid for s in servers)
    assert {s.name for s in got} == {"DNS A"}

    [nx_client] = [s for s in clients if s.attrs["dns.question.name"] == "nosuch.demo.test"]
    assert nx_client.status == ERROR
    assert nx_client.attrs["error.type"] == "NXDOMAIN"
    ok = [s for s in got if s.attrs["dns.question.name"] != "nosuch.demo.test"]
    assert all("error.type" not in s.attrs and s.status != ERROR for s in ok), dump(ok)
    # The client was joined to the server over TCP (one trace, server child of client).
    [tcp_client] = [s for s in clients if s.attrs["dns.question.name"] == "www.ok.demo.test"]
    [tcp_server] = [s for s in servers if s.attrs["dns.question.name"] == "www.ok.demo.test"]
    assert (tcp_server.trace_id, tcp_server.parent) == (tcp_client.trace_id, tcp_client.span_id)

    points = histogram_points(grpc_sink.snapshot("metrics"), "dns.lookup.duration")
    counts = {}
    for p in points:
        if p.attrs.get("dns.question.name", "").endswith("demo.test"):
            counts.setdefault(p.resource["process.pid"], []).append(p)
    total = sum(p.count for pid, ps in counts.items() for p in latest(ps, pid))
    probe = sum(p.count for pid, ps in counts.items() for p in latest(ps, pid)
                if p.attrs.get("dns.question.name") == "probe.ok.demo.test")
    assert total - probe == len(clients)


def assert_failed_select_nosuch(every, code: str):
    """`SELECT * FROM nosuch WHERE id = 7` failed with `code` on both ends, and the
    server's span is the child of the client's (joined by the TCP sequence)."""
    [client] = [s for s in every if s.kind == "CLIENT"
                and s.attrs.get("db.collection.name") == "nosuch"]
    [server] = [s for s in every if s.kind == "SERVER"
                and s.attrs.get("db.collection.name") == "nosuch"]
    for s in (client, server):
        assert s.name == "SELECT nosuch"
        assert s.status == ERROR
        assert s.attrs["db.response.status_code"] == code
        assert s.attrs["error.type"] == code
        assert s.attrs["db.query.text"] == "SELECT * FROM nosuch WHERE id = ?"
    assert (server.trace_id, server.parent) == (client.trace_id, client.span_id)


PG_TRANSACTIONS = 25
PG_CLIENTS = 2


def test_postgresql_with_pgbench_and_psql(start_sonde, grpc_sink, ports, peers):
    port = free_port()
    pg = Postgres(peers, port)
    env = {**os.environ, "PGSSLMODE": "disable"}
    run(["pgbench", "-i", "-s", "1", "-q", *pg.conn()], env)
    sonde = start_sonde(ebpf_config(ports, grpc_sink.port, [port], metrics_flush="500ms"), ports)

    runs = {}
    for mode in ("simple", "prepared"):
        pid, out = run(["pgbench", "-n", "-M", mode, "-c", str(PG_CLIENTS), "-t",
                        str(PG_TRANSACTIONS), *pg.conn()], env)
        assert f"number of transactions actually processed: {PG_CLIENTS * PG_TRANSACTIONS}" \
            in out, out
        runs[mode] = pid
    bad = subprocess.run(["psql", *pg.conn(), "-X", "-c", "SELECT * FROM nosuch WHERE id = 7"],
                         capture_output=True, text=True, timeout=60, env=env)
    assert 'relation "nosuch" does not exist' in bad.stderr

    made = PG_CLIENTS * PG_TRANSACTIONS
    accounts = {"db.operation.name": "UPDATE", "db.collection.name": "pgbench_accounts"}
    wait_spans(grpc_sink, 4 * made, "UPDATE pgbench_accounts spans", **accounts)
    wait_spans(grpc_sink, 2, "failed SELECT spans", **{"db.collection.name": "nosuch"})
    # The last histogram flush after the last span.
    wait_until(lambda: sum(red_count(grpc_sink, "db.client.operation.duration", pid, **accounts)
                           for pid in runs.values()) == 2 * made,
               timeout=30, interval=0.5, what="histogram counts")
    assert sonde.stop() == 0

    every = [s for s in ebpf_spans(grpc_sink) if s.attrs.get("db.system.name") == "postgresql"]
    for mode, pid in runs.items():
        mine = [s for s in every if s.resource["process.pid"] == pid]
        assert all(s.kind == "CLIENT" for s in mine)
        by_statement = {}
        for s in mine:
            key = (s.attrs.get("db.operation.name"), s.attrs.get("db.collection.name"))
            by_statement[key] = by_statement.get(key, 0) + 1
        for statement in [("BEGIN", None), ("UPDATE", "pgbench_accounts"),
                          ("SELECT", "pgbench_accounts"), ("UPDATE", "pgbench_tellers"),
                          ("UPDATE", "pgbench_branches"), ("INSERT", "pgbench_history"),
                          ("END", None)]:
            assert by_statement.get(statement) == made, (mode, statement, by_statement)
        assert red_count(grpc_sink, "db.client.operation.duration", pid, **accounts) == made
    servers = [s for s in every if s.kind == "SERVER"
               and s.attrs.get("db.collection.name") == "pgbench_accounts"
               and s.attrs.get("db.operation.name") == "UPDATE"]
    assert len(servers) == 2 * made
    assert all(s.attrs["db.namespace"] == "sonde" for s in every), dump(every[:3])

    assert_failed_select_nosuch(every, "42P01")


REDIS_OPS = 1600


def test_redis_pipelined_benchmark_and_a_wrongtype_error(start_sonde, grpc_sink, ports, peers):
    port = free_port()
    redis = Redis(peers, port)
    sonde = start_sonde(ebpf_config(ports, grpc_sink.port, [port], metrics_flush="500ms"), ports)

    pid, out = run(["redis-benchmark", "-p", str(port), "-n", str(REDIS_OPS), "-P", "16",
                    "-c", "2", "-t", "set,get", "-q"])
    assert "SET" in out and "GET" in out, out
    redis.cli("HSET", "sonde:list", "f", "x")
    wrong = redis.cli("LPUSH", "sonde:list", "y")
    assert wrong.startswith("WRONGTYPE"), wrong

    wait_spans(grpc_sink, 2 * REDIS_OPS, "GET spans", **{"db.operation.name": "GET"})
    wait_spans(grpc_sink, 2, "LPUSH spans", **{"db.operation.name": "LPUSH"})
    wait_until(lambda: red_count(grpc_sink, "db.client.operation.duration", pid,
                                 **{"db.operation.name": "GET"}) == REDIS_OPS,
               timeout=30, interval=0.5, what="histogram counts")
    assert sonde.stop() == 0

    every = [s for s in ebpf_spans(grpc_sink) if s.attrs.get("db.system.name") == "redis"]
    for op in ("SET", "GET"):
        spans = [s for s in every if s.attrs.get("db.operation.name") == op]
        clients = [s for s in spans if s.kind == "CLIENT" and s.resource["process.pid"] == pid]
        servers = [s for s in spans if s.kind == "SERVER" and s.resource["process.pid"]
                   == redis.pid]
        assert (len(clients), len(servers)) == (REDIS_OPS, REDIS_OPS), op
        assert all(s.name == op and s.status != ERROR for s in spans)
        assert red_count(grpc_sink, "db.client.operation.duration", pid,
                         **{"db.operation.name": op}) == REDIS_OPS
    assert {s.attrs["db.query.text"] for s in every
            if s.attrs.get("db.operation.name") == "SET"} == {"SET ? ?"}

    lpush = [s for s in every if s.attrs.get("db.operation.name") == "LPUSH"]
    assert sorted(s.kind for s in lpush) == ["CLIENT", "SERVER"]
    for s in lpush:
        assert s.status == ERROR
        assert s.attrs["error.type"] == "WRONGTYPE"
        assert s.attrs["db.response.status_code"] == "WRONGTYPE"


MYSQL_ROWS = 30

# PyMySQL (text protocol, COM_QUERY): creates `orders`, inserts and selects
# each row, then a table that does not exist (ERR 1146).
PYMYSQL_CLIENT = """
import sys
import pymysql
port, n = int(sys.argv[1]), int(sys.argv[2])
db = pymysql.connect(host="127.0.0.1", port=port, user="sonde", database="sonde",
                     autocommit=True)
with db.cursor() as c:
    c.execute("CREATE TABLE orders (id INT PRIMARY KEY, name VARCHAR(40))")
    for i in range(n):
        c.execute("INSERT INTO orders VALUES (%s, %s)", (i, f"order-{i}"))
    for i in range(n):
        c.execute("SELECT name FROM orders WHERE id = %s", (i,))
        assert c.fetchone() == (f"order-{i}",)
    try:
        c.execute("SELECT * FROM nosuch WHERE id = 7")
    except pymysql.err.ProgrammingError as e:
        print("refused:", e.args[0])
db.close()
"""

# mysql-connector-python's server-side prepared statements: one
# COM_STMT_PREPARE, then a COM_STMT_EXECUTE per row.
PREPARED_CLIENT = """
import sys
import mysql.connector
port, n = int(sys.argv[1]), int(sys.argv[2])
conn = mysql.connector.connect(host="127.0.0.1", port=port, user="sonde", database="sonde")
c = conn.cursor(prepared=True)
for i in range(n):
    c.execute("SELECT name FROM orders WHERE id = ?", (i,))
    assert c.fetchall() == [(f"order-{i}",)]
conn.close()
"""


def test_mariadb_with_pymysql_and_prepared_statements(start_sonde, grpc_sink, ports, peers):
    port = free_port()
    db = MariaDB(peers, port)
    sonde = start_sonde(ebpf_config(ports, grpc_sink.port, [port], metrics_flush="500ms"), ports)

    text_pid, out = run([VENV_PYTHON, "-c", PYMYSQL_CLIENT, str(port), str(MYSQL_ROWS)])
    assert "refused: 1146" in out, out
    prepared_pid, _ = run([VENV_PYTHON, "-c", PREPARED_CLIENT, str(port), str(MYSQL_ROWS)])

    select = {"db.operation.name": "SELECT", "db.collection.name": "orders"}
    wait_spans(grpc_sink, 2 * 2 * MYSQL_ROWS, "SELECT orders spans", **select)
    wait_spans(grpc_sink, 2, "failed SELECT spans", **{"db.collection.name": "nosuch"})
    wait_until(lambda: red_count(grpc_sink, "db.client.operation.duration", prepared_pid,
                                 **select) == MYSQL_ROWS,
               timeout=30, interval=0.5, what="histogram counts")
    assert sonde.stop() == 0

    every = [s for s in ebpf_spans(grpc_sink)
             if s.attrs.get("db.system.name") in ("mariadb", "mysql")]
    # MariaDB is told from its greeting. mysql-connector reads the greeting's
    # 4-byte header on its own, before the kernel's filter knows the socket,
    # so its side never sees the greeting (nor the handshake after it) and
    # says `mysql`.
    systems = {pid: {s.attrs["db.system.name"] for s in every if s.resource["process.pid"] == pid}
               for pid in (text_pid, prepared_pid, db.pid)}
    assert systems == {text_pid: {"mariadb"}, prepared_pid: {"mysql"}, db.pid: {"mariadb"}}
    for pid, statement, count in (
            (text_pid, ("INSERT", "orders"), MYSQL_ROWS),
            (text_pid, ("SELECT", "orders"), MYSQL_ROWS),
            (prepared_pid, ("SELECT", "orders"), MYSQL_ROWS)):
        clients = [s for s in every if s.resource["process.pid"] == pid and (
            s.attrs.get("db.operation.name"), s.attrs.get("db.collection.name")) == statement]
        assert len(clients) == count, (pid, statement, dump(clients[:3]))
        assert all(s.kind == "CLIENT" and s.name == " ".join(statement) for s in clients)
        # The handshake names the database: unseen by mysql-connector's side.
        namespace = None if pid == prepared_pid else "sonde"
        assert all(s.attrs.get("db.namespace") == namespace and s.status != ERROR
                   for s in clients)
        assert red_count(grpc_sink, "db.client.operation.duration", pid,
                         **dict(zip(("db.operation.name", "db.collection.name"), statement))) \
            == count
    texts = {s.attrs["db.query.text"] for s in every if s.resource["process.pid"] == prepared_pid
             and s.attrs.get("db.collection.name") == "orders"}
    assert texts == {"SELECT name FROM orders WHERE id = ?"}, texts
    servers = [s for s in every if s.kind == "SERVER" and s.resource["process.pid"] == db.pid
               and s.attrs.get("db.collection.name") == "orders"
               and s.attrs.get("db.operation.name") == "SELECT"]
    assert len(servers) == 2 * MYSQL_ROWS

    assert_failed_select_nosuch(every, "1146")


MEMCACHED_OPS = 50

# pymemcache, the Python client most used with memcached: sets then gets, then
# an incr of a text value, which memcached refuses with CLIENT_ERROR. Sets wait
# for STORED (pymemcache's default is noreply).
MEMCACHED_CLIENT = """
import sys
from pymemcache.client.base import Client
from pymemcache.exceptions import MemcacheClientError
port, n = int(sys.argv[1]), int(sys.argv[2])
client = Client(("127.0.0.1", port), default_noreply=False)
for i in range(n):
    client.set(f"sonde:{i}", b"v" * 100)
for i in range(n):
    assert client.get(f"sonde:{i}") == b"v" * 100
client.set("sonde:text", b"abc")
try:
    client.incr("sonde:text", 1)
except MemcacheClientError as e:
    print("refused:", e)
"""


def test_memcached_with_pymemcache(start_sonde, grpc_sink, ports, peers):
    port = free_port()
    server = Memcached(peers, port)
    sonde = start_sonde(ebpf_config(ports, grpc_sink.port, [port], metrics_flush="500ms"), ports)

    pid, out = run([VENV_PYTHON, "-c", MEMCACHED_CLIENT, str(port), str(MEMCACHED_OPS)])
    assert "refused: b'cannot increment or decrement non-numeric value'" in out, out

    wait_spans(grpc_sink, 2, "incr spans", **{"db.operation.name": "incr"})
    wait_until(lambda: red_count(grpc_sink, "db.client.operation.duration", pid,
                                 **{"db.operation.name": "get"}) == MEMCACHED_OPS,
               timeout=30, interval=0.5, what="histogram counts")
    assert sonde.stop() == 0

    every = spans_where(grpc_sink, **{"db.system.name": "memcached"})
    for op, count in (("set", MEMCACHED_OPS + 1), ("get", MEMCACHED_OPS)):
        spans = [s for s in every if s.attrs["db.operation.name"] == op]
        clients = [s for s in spans if s.kind == "CLIENT" and s.resource["process.pid"] == pid]
        servers = [s for s in spans if s.kind == "SERVER"
                   and s.resource["process.pid"] == server.pid]
        assert (len(clients), len(servers)) == (count, count), (op, dump(spans[:4]))
        assert all(s.name == op and s.status != ERROR for s in spans)
        assert red_count(grpc_sink, "db.client.operation.duration", pid,
                         **{"db.operation.name": op}) == count
    assert {s.attrs["db.query.text"] for s in every
            if s.attrs["db.operation.name"] == "get"} == {"get ?"}
    # Each server span is the child of its client span: joined by TCP sequence.
    clients = {s.span_id: s for s in every if s.kind == "CLIENT"}
    assert all(s.parent in clients for s in every if s.kind == "SERVER")

    incr = [s for s in every if s.attrs["db.operation.name"] == "incr"]
    assert sorted(s.kind for s in incr) == ["CLIENT", "SERVER"]
    for s in incr:
        assert s.status == ERROR
        assert s.attrs["error.type"] == "CLIENT_ERROR"
        assert s.attrs["db.response.status_code"] == "CLIENT_ERROR"


MQTT_PUBLISHES = 50


def test_mqtt_qos1_publishes_to_mosquitto(start_sonde, grpc_sink, ports, peers):
    require_tools("mosquitto_pub")
    port = free_port()
    Mosquitto(peers, port)
    sonde = start_sonde(ebpf_config(ports, grpc_sink.port, [port], metrics_flush="500ms"), ports)

    pid, out = run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-i", "sonde-pub",
                    "-t", "orders", "-m", "one order", "-q", "1", "--repeat",
                    str(MQTT_PUBLISHES)])

    def published():
        return [s for s in spans_where(grpc_sink, **{"messaging.system": "mqtt"})
                if s.resource["process.pid"] == pid and s.attrs.get(
                    "messaging.destination.name") == "orders"]

    wait_until(lambda: len(published()) >= MQTT_PUBLISHES, timeout=60, interval=0.5,
               what=f"{MQTT_PUBLISHES} publish spans")
    wait_until(lambda: red_count(grpc_sink, "messaging.client.operation.duration", pid,
                                 **{"messaging.destination.name": "orders"})
               == MQTT_PUBLISHES, timeout=30, interval=0.5, what="histogram counts")
    assert sonde.stop() == 0
    spans = published()
    assert len(spans) == MQTT_PUBLISHES, dump(spans)
    assert {(s.name, s.kind) for s in spans} == {("publish orders", "PRODUCER")}
    assert {s.attrs["messaging.client.id"] for s in spans} == {"sonde-pub"}
    assert all(s.status != ERROR for s in spans)
