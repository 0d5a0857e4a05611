"""The real database, broker and DNS servers the eBPF protocol tests
watch, each started on 127.0.0.1 on a port of the test's choosing, with its
data in the test's own directory, and stopped by the `peers` fixture.

Every class here starts the Debian package's own server binary; none is a fake.
"""

import os
import pwd
import subprocess
from pathlib import Path

from .ebpf import Peers, require_tools, wait_port
from .wait import wait_until

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _own_dir(path: Path, user: str) -> Path:
    """`path`, created and owned by `user` (servers that refuse to run as root)."""
    path.mkdir(parents=True, exist_ok=True)
    entry = pwd.getpwnam(user)
    # The test's tmp_path lies under root-only directories: let the user reach it.
    for parent in [path, *path.parents]:
        if str(parent) in ("/", "/tmp"):
            break
        os.chmod(parent, os.stat(parent).st_mode | 0o711)
    os.chown(path, entry.pw_uid, entry.pw_gid)
    return path


def _as_user(user: str, args: list[str]) -> list[str]:
    return ["runuser", "-u", user, "--", *args]


class Redis:
    """redis-server 7.0 without persistence."""

    def __init__(self, peers: Peers, port: int):
        require_tools("redis-server", "redis-cli", "redis-benchmark")
        self.port = port
        self.proc = peers.spawn(f"redis-{port}", [
            "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", str(peers.workdir)])
        wait_port(port, self.proc, "redis-server")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def cli(self, *args: str) -> str:
        return subprocess.run(["redis-cli", "-p", str(self.port), *args], check=True,
                              capture_output=True, text=True, timeout=30).stdout


class Postgres:
    """A PostgreSQL 15 cluster of the test's own (initdb, trust authentication
    over TCP on 127.0.0.1), database `sonde`, no TLS."""

    def __init__(self, peers: Peers, port: int):
        require_tools("psql", "pgbench")
        self.port = port
        data = _own_dir(peers.workdir / f"pg-{port}", "postgres")
        sockets = _own_dir(peers.workdir / f"pg-{port}-sock", "postgres")
        subprocess.run(_as_user("postgres", [
            str(PG_BIN / "initdb"), "-D", str(data), "--auth=trust", "-U", "postgres",
            "--no-sync"]), check=True, capture_output=True, timeout=120)
        self.proc = peers.spawn(f"postgres-{port}", _as_user("postgres", [
            str(PG_BIN / "postgres"), "-D", str(data), "-p", str(port), "-k", str(sockets),
            "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "ssl=off"]))
        wait_port(port, self.proc, "postgres")
        wait_until(lambda: self._ready(), timeout=30, interval=0.2, what="postgres ready")
        self.psql("-d", "postgres", "-c", "CREATE DATABASE sonde")

    def _ready(self) -> bool:
        return subprocess.run(["psql", *self.conn("postgres"), "-c", "SELECT 1"],
                              capture_output=True, timeout=10).returncode == 0

    def conn(self, db: str = "sonde") -> list[str]:
        return ["-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", db]

    @property
    def pid(self) -> int:
        """The postmaster's pid (each connection is served by a child of it)."""
        return self.proc.pid

    def psql(self, *args: str) -> str:
        if "-d" not in args:
            args = ("-d", "sonde", *args)
        base = ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                "-v", "ON_ERROR_STOP=1", "-X", "-q"]
        env = {**os.environ, "PGSSLMODE": "disable"}
        return subprocess.run([*base, *args], check=True, capture_output=True, text=True,
                              timeout=60, env=env).stdout


class Mosquitto:
    """mosquitto 2.0 on one listener, anonymous clients allowed."""

    def __init__(self, peers: Peers, port: int):
        require_tools("mosquitto")
        self.port = port
        conf = peers.workdir / f"mosquitto-{port}.conf"
        conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\n"
                        "persistence false\n")
        self.proc = peers.spawn(f"mosquitto-{port}", ["mosquitto", "-c", str(conf)])
        wait_port(port, self.proc, "mosquitto")

    @property
    def pid(self) -> int:
        return self.proc.pid


class Dnsmasq:
    """dnsmasq answering `demo.test` names from its own data (no upstream):
    every name under `ok.demo.test` is 10.1.2.3, any other name under
    `demo.test` is NXDOMAIN."""

    def __init__(self, peers: Peers, port: int):
        require_tools("dnsmasq", "dig")
        self.port = port
        self.proc = peers.spawn(f"dnsmasq-{port}", [
            "dnsmasq", "--no-daemon", f"--port={port}", "--listen-address=127.0.0.1",
            "--bind-interfaces", "--no-resolv", "--no-hosts", "--user=root",
            "--address=/ok.demo.test/10.1.2.3", "--local=/demo.test/", "--log-facility=-"])
        # UDP has no listening socket to probe: ask until it answers.
        wait_until(lambda: self.dig("probe.ok.demo.test") != "", timeout=20, interval=0.2,
                   what="dnsmasq answering")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def dig(self, name: str, *extra: str) -> str:
        done = subprocess.run(["dig", "@127.0.0.1", "-p", str(self.port), "+short", "+tries=1",
                               "+time=2", *extra, name], capture_output=True, text=True,
                              timeout=30)
        return done.stdout.strip() if done.returncode == 0 else ""



class Memcached:
    """memcached 1.6, text protocol, 64 MB."""

    def __init__(self, peers: Peers, port: int):
        require_tools("memcached")
        self.port = port
        self.proc = peers.spawn(f"memcached-{port}", [
            "memcached", "-u", "nobody", "-l", "127.0.0.1", "-p", str(port), "-U", "0",
            "-m", "64"])
        wait_port(port, self.proc, "memcached")

    @property
    def pid(self) -> int:
        return self.proc.pid


class Nats:
    """nats-server 2.9 without authentication."""

    def __init__(self, peers: Peers, port: int):
        require_tools("nats-server")
        self.port = port
        self.proc = peers.spawn(f"nats-{port}", ["nats-server", "-a", "127.0.0.1", "-p",
                                                 str(port)])
        wait_port(port, self.proc, "nats-server")

    @property
    def pid(self) -> int:
        return self.proc.pid


class RabbitMQ:
    """A RabbitMQ 3.10 node of the test's own (its name, ports, database and
    logs), as the rabbitmq user; `guest`/`guest` may connect from loopback.
    The Erlang VM takes about ten seconds to boot."""

    def __init__(self, peers: Peers, port: int, dist_port: int):
        require_tools("/usr/lib/rabbitmq/bin/rabbitmq-server")
        self.port = port
        home = _own_dir(peers.workdir / f"rabbitmq-{port}", "rabbitmq")
        conf = home / "rabbitmq.conf"
        conf.write_text(f"listeners.tcp.default = 127.0.0.1:{port}\n")
        plugins = home / "enabled_plugins"
        plugins.write_text("[].\n")
        env = {**os.environ, "HOME": str(home), "RABBITMQ_NODENAME": f"sonde{port}@localhost",
               "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1", "RABBITMQ_NODE_PORT": str(port),
               "RABBITMQ_DIST_PORT": str(dist_port), "ERL_EPMD_ADDRESS": "127.0.0.1",
               "RABBITMQ_CONFIG_FILE": str(conf), "RABBITMQ_ENABLED_PLUGINS_FILE": str(plugins),
               "RABBITMQ_MNESIA_BASE": str(home / "mnesia"),
               "RABBITMQ_LOG_BASE": str(home / "log"), "RABBITMQ_LOGS": "-"}
        self.proc = peers.spawn(f"rabbitmq-{port}", _as_user("rabbitmq", [
            "/usr/lib/rabbitmq/bin/rabbitmq-server"]), env=env, cwd=str(home))
        wait_port(port, self.proc, "rabbitmq-server", timeout=120)


TANSU = os.environ.get("SONDE_TANSU", "/var/cache/sonde-tools/bin/tansu")


class Tansu:
    """Tansu, a Kafka-compatible broker (crates.io; no Apache Kafka can be
    installed here), in memory, with `topics` created, one partition each."""

    def __init__(self, peers: Peers, port: int, topics: list[str]):
        require_tools(TANSU)
        self.port = port
        url = f"tcp://127.0.0.1:{port}"
        self.proc = peers.spawn(f"tansu-{port}", [
            TANSU, "broker", "--listener-url", url, "--advertised-listener-url", url,
            "--storage-engine", "memory://tansu/"])
        wait_port(port, self.proc, "tansu")
        for topic in topics:
            subprocess.run([TANSU, "topic", "create", topic, "--partitions", "1",
                            "--broker", url], check=True, capture_output=True, timeout=60)

    @property
    def pid(self) -> int:
        return self.proc.pid


class MariaDB:
    """A MariaDB 10.11 server of the test's own (its data directory, socket and
    port), as the mysql user, with database `sonde` and a user `sonde` (no
    password) that may connect over TCP from 127.0.0.1."""

    def __init__(self, peers: Peers, port: int):
        require_tools("mariadbd", "mariadb-install-db", "mariadb")
        self.port = port
        data = _own_dir(peers.workdir / f"mariadb-{port}", "mysql")
        self.socket = str(data / "mysqld.sock")
        subprocess.run(["mariadb-install-db", "--user=mysql", f"--datadir={data}",
                        "--auth-root-authentication-method=socket", "--skip-test-db"],
                       check=True, capture_output=True, timeout=120)
        self.proc = peers.spawn(f"mariadb-{port}", [
            "mariadbd", "--user=mysql", f"--datadir={data}", f"--socket={self.socket}",
            f"--port={port}", "--bind-address=127.0.0.1", "--skip-log-bin",
            f"--pid-file={data}/mariadb.pid", "--innodb-buffer-pool-size=64M"])
        wait_port(port, self.proc, "mariadbd", timeout=60)
        # root logs in over the socket only: it makes the TCP user.
        self.root("CREATE DATABASE sonde; CREATE USER 'sonde'@'127.0.0.1'; "
                  "GRANT ALL ON sonde.* TO 'sonde'@'127.0.0.1';")

    def root(self, sql: str) -> str:
        return subprocess.run(["mariadb", f"--socket={self.socket}", "-u", "root", "-e", sql],
                              check=True, capture_output=True, text=True, timeout=60).stdout

    @property
    def pid(self) -> int:
        return self.proc.pid
