#!/usr/bin/env python3
"""Records the Redis and Memcached transcripts of testdata/ from real programs.

Each scenario starts a fresh server on a free loopback port, runs a real
client under strace, and keeps the bytes of every read/write syscall on the
client's (or, for `*.server.trace`, the server's) TCP sockets to that port,
one syscall a line, in the order they happened:

    c0 > "*3\\r\\n$3\\r\\nSET\\r\\n$3\\r\\nfoo\\r\\n$3\\r\\nbar\\r\\n"
    c0 < "+OK\\r\\n"

`c0` is the connection (in the order they first moved data), `>` bytes the
traced process wrote, `<` bytes it read. Strings are C-escaped (\\r \\n \\t \\\\
\\" \\xHH). A run of one byte repeated more than 64 times is written as
`"x"*100000` so large values stay readable. tests/common/transcript.rs reads
this format.

Needs: redis-server and redis-tools 7.0, memcached 1.6, strace, and a Python
with `redis` and `pymemcache` (PYTHON, default the one running this script).

    python3 testdata/record.py            # every scenario
    python3 testdata/record.py redis_cli  # the named ones
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = os.environ.get("PYTHON", sys.executable)
SYSCALLS = "read,write,recvfrom,sendto,readv,writev,sendmsg,recvmsg"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, deadline=10.0):
    end = time.time() + deadline
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on {port}")


# --- strace output -------------------------------------------------------

LINE = re.compile(r"^(\d+)\s+(\w+)\((\d+)<(TCP|TCPv6):\[([^\]]*)\]>, (.*)\) = (-?\d+)")
STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


def unescape(s):
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            n = s[i + 1]
            if n == "x":
                out.append(int(s[i + 2 : i + 4], 16))
                i += 4
                continue
            out += {"n": b"\n", "r": b"\r", "t": b"\t", "\\": b"\\", '"': b'"'}.get(n, n.encode())
            i += 2
            continue
        out += c.encode("latin-1")
        i += 1
    return bytes(out)


def join_resumed(lines):
    """strace -f splits a syscall that another thread interrupted."""
    pending = {}
    for line in lines:
        m = re.match(r"^(\d+)\s+(.*)$", line)
        if not m:
            continue
        pid, rest = m.groups()
        if rest.endswith("<unfinished ...>"):
            pending[pid] = rest[: -len("<unfinished ...>")].rstrip()
            continue
        r = re.match(r"^<\.\.\. \w+ resumed>\s?(.*)$", rest)
        if r:
            rest = pending.pop(pid, "") + r.group(1)
        yield f"{pid} {rest}"


def syscalls(trace_file, port):
    """(connection tuple, '>' or '<', bytes) of each syscall that moved data."""
    with open(trace_file, encoding="latin-1") as f:
        for line in join_resumed(f.read().splitlines()):
            m = LINE.match(line)
            if not m:
                continue
            _pid, call, _fd, _proto, tuple_, args, ret = m.groups()
            ret = int(ret)
            if ret <= 0 or f":{port}" not in tuple_:
                continue
            strings = [unescape(s) for s in STRING.findall(args)]
            if not strings:
                continue
            if call in ("writev", "readv", "sendmsg", "recvmsg"):
                data = b"".join(strings)
            else:
                data = strings[0]
            if call.startswith(("read", "recv")):
                direction = "<"
            else:
                direction = ">"
            if len(data) < ret:
                raise SystemExit(f"strace cut a string: raise -s ({call}, {ret} bytes)")
            yield tuple_, direction, data[:ret]


def escape(data):
    out = []
    i = 0
    while i < len(data):
        j = i
        while j < len(data) and data[j] == data[i]:
            j += 1
        if j - i > 64:
            out.append('"' + escape_run(data[i : i + 1]) + f'"*{j - i}')
            i = j
            continue
        # A plain run up to the next long repeat.
        k = i
        while k < len(data):
            r = k
            while r < len(data) and data[r] == data[k]:
                r += 1
            if r - k > 64:
                break
            k = r
        out.append('"' + escape_run(data[i:k]) + '"')
        i = k
    return " ".join(out)


def escape_run(data):
    s = []
    for b in data:
        c = chr(b)
        if c == "\\":
            s.append("\\\\")
        elif c == '"':
            s.append('\\"')
        elif c == "\r":
            s.append("\\r")
        elif c == "\n":
            s.append("\\n")
        elif c == "\t":
            s.append("\\t")
        elif 0x20 <= b < 0x7F:
            s.append(c)
        else:
            s.append(f"\\x{b:02x}")
    return "".join(s)


def write_transcript(name, header, records):
    conns = {}
    lines = [f"# {line}" for line in header.strip().splitlines()]
    for tuple_, direction, data in records:
        c = conns.setdefault(tuple_, len(conns))
        lines.append(f"c{c} {direction} {escape(data)}")
    path = os.path.join(HERE, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"{name}: {len(records)} syscalls on {len(conns)} connection(s)")


def strace(cmd, out, stdin=None, env=None):
    subprocess.run(
        ["strace", "-f", "-yy", "-xx", "-s", "4000000", "-e", f"trace={SYSCALLS}", "-o", out]
        + cmd,
        input=stdin,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        check=False,
    )


# --- servers ---------------------------------------------------------------


class Server:
    def __init__(self, cmd, port, traced=None):
        self.port = port
        self.trace = traced
        if traced:
            cmd = ["strace", "-f", "-yy", "-xx", "-s", "4000000", "-e", f"trace={SYSCALLS}", "-o", traced] + cmd
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(port)

    def stop(self):
        # Under strace, the server is strace's child: stop it, and strace
        # ends with it (stopping strace would leave the server running).
        pids = [self.proc.pid]
        if self.trace:
            with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children") as f:
                pids = [int(p) for p in f.read().split()]
        for pid in pids:
            os.kill(pid, signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def redis(traced=None):
    port = free_port()
    return Server(
        [
            "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--enable-debug-command", "yes", "--daemonize", "no",
        ],
        port,
        traced,
    )


def memcached(traced=None):
    port = free_port()
    return Server(["memcached", "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-m", "64", "-u", "root"], port, traced)


def version(cmd):
    return subprocess.run(cmd, capture_output=True, text=True).stdout.strip().splitlines()[0]


def py_version(module):
    return version([PYTHON, "-c", f"import importlib.metadata as m; print(m.version('{module}'))"])


# --- scenarios -------------------------------------------------------------

REDIS_CLI_SCRIPT = """\
PING
SET user:1 alice
GET user:1
GET nothing
INCR counter
INCRBY counter 41
LPUSH user:1 x
FOO bar
SET "key with space" "value\\twith\\ttabs"
DEL user:1 counter "key with space"
RPUSH list a b c
LRANGE list 0 -1
HSET h f1 v1 f2 v2
HGETALL h
SADD s m1 m2
SMEMBERS s
ZADD z 1.5 one 2.5 two
ZSCORE z two
ZRANGE z 0 -1 WITHSCORES
CONFIG GET maxmemory
CLIENT SETNAME recorder
CLIENT GETNAME
SELECT 3
SET k3 v3
EXISTS k3
SCAN 0 COUNT 100
MULTI
SET a 1
INCR a
LPUSH a oops
EXEC
EVAL "return {1,2,{3,'x'}}" 0
"""

REDIS_CLI3_SCRIPT = """\
HELLO 3
HSET h f1 v1 f2 v2
HGETALL h
SADD s m1 m2
SMEMBERS s
ZADD z 1.5 one
ZSCORE z one
GET nothing
XADD st 1-1 f v
XRANGE st - +
FOO
"""

# Every RESP3 type Redis sends, from DEBUG PROTOCOL (redis-cli stops reading
# at the attribute type, so a raw socket asks), and a client-tracking
# invalidation push arriving between replies.
RESP3_TYPES = """\
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
def cmd(*args):
    out = b"*%d\\r\\n" % len(args)
    for a in args:
        a = a.encode()
        out += b"$%d\\r\\n%s\\r\\n" % (len(a), a)
    return out
def say(b):
    s.sendall(b)
    time.sleep(0.1)
    s.recv(65536)
say(cmd("HELLO", "3"))
for t in ("attrib", "bignum", "true", "false", "verbatim", "null", "double", "map", "set"):
    say(cmd("DEBUG", "PROTOCOL", t))
say(cmd("CLIENT", "TRACKING", "on"))
say(cmd("GET", "tracked"))
say(cmd("SET", "tracked", "now"))
say(cmd("HELLO", "2"))
say(cmd("DEBUG", "PROTOCOL", "map"))
s.close()
"""

REDIS_PY = """\
import redis, sys
port = int(sys.argv[1])
r = redis.Redis(port=port, db=2)
r.set("small", "v")
r.set("big", b"v" * 100000)
assert len(r.get("big")) == 100000
try:
    r.lpush("small", "x")
except redis.ResponseError:
    pass
r.mset({"m1": "1", "m2": "2", "m3": "3"})
r.mget(["m1", "m2", "m3", "none"])
p = r.pipeline(transaction=True)
p.set("t", 1).incr("t").get("t").lrange("t", 0, -1)
try:
    p.execute()
except redis.ResponseError:
    pass
p = r.pipeline(transaction=False)
for i in range(20):
    p.set(f"p{i}", i)
p.execute()
list(r.scan_iter(count=5))
r.delete("big", "small")
r.close()
"""

REDIS_PY_PUBSUB = """\
import redis, sys, time
port = int(sys.argv[1])
proto = int(sys.argv[2])
sub = redis.Redis(port=port, protocol=proto)
pub = redis.Redis(port=port, protocol=proto)
ps = sub.pubsub()
ps.subscribe("news", "sport")
ps.psubscribe("weather.*")
for _ in range(3):
    ps.get_message(timeout=1)
pub.publish("news", "hello")
pub.publish("weather.paris", "rain")
ps.ping()
for _ in range(4):
    ps.get_message(timeout=1)
ps.unsubscribe()
ps.punsubscribe()
for _ in range(3):
    ps.get_message(timeout=1)
sub.set("after", "pubsub")
ps.close()
"""

INLINE = """\
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
def say(b):
    s.sendall(b)
    time.sleep(0.1)
    s.recv(65536)
say(b"PING\\r\\n")
say(b"set inline 'hello world'\\r\\n")
say(b"get inline\\r\\n")
say(b"\\r\\nEXISTS inline\\r\\n")
say(b"bogus\\r\\n")
s.close()
"""


def redis_cli():
    srv = redis()
    out = tempfile.mktemp()
    strace(["redis-cli", "-p", str(srv.port)], out, stdin=REDIS_CLI_SCRIPT.encode())
    write_transcript(
        "redis/redis_cli.trace",
        f"{version(['redis-cli', '-v'])} (RESP2), commands piped on stdin, against "
        f"{version(['redis-server', '-v'])}; client side",
        list(syscalls(out, srv.port)),
    )
    srv.stop()


def redis_cli_resp3():
    srv = redis()
    out = tempfile.mktemp()
    strace(["redis-cli", "-3", "-p", str(srv.port)], out, stdin=REDIS_CLI3_SCRIPT.encode())
    write_transcript(
        "redis/redis_cli_resp3.trace",
        f"{version(['redis-cli', '-v'])} -3 (RESP3), commands piped on stdin, against "
        f"{version(['redis-server', '-v'])}; client side",
        list(syscalls(out, srv.port)),
    )
    srv.stop()


def redis_resp3_types():
    srv = redis()
    out = tempfile.mktemp()
    strace([PYTHON, "-c", RESP3_TYPES, str(srv.port)], out)
    write_transcript(
        "redis/resp3_types.trace",
        f"raw socket: HELLO 3, DEBUG PROTOCOL of each RESP3 type, CLIENT TRACKING on and the "
        f"invalidation push, then HELLO 2 and a map in RESP2; against "
        f"{version(['redis-server', '-v'])}; client side",
        list(syscalls(out, srv.port)),
    )
    srv.stop()


def redis_py():
    srv = redis()
    out = tempfile.mktemp()
    strace([PYTHON, "-c", REDIS_PY, str(srv.port)], out)
    write_transcript(
        "redis/redis_py.trace",
        f"redis-py {py_version('redis')} (its default RESP3, db=2): 100 kB value, WRONGTYPE, "
        f"MSET/MGET, MULTI/EXEC with an error, a 20-command pipeline, SCAN; against "
        f"{version(['redis-server', '-v'])}; client side",
        list(syscalls(out, srv.port)),
    )
    srv.stop()


def redis_py_pubsub():
    for proto in (2, 3):
        srv = redis()
        out = tempfile.mktemp()
        strace([PYTHON, "-c", REDIS_PY_PUBSUB, str(srv.port), str(proto)], out)
        write_transcript(
            f"redis/redis_py_pubsub_resp{proto}.trace",
            f"redis-py {py_version('redis')} protocol={proto}: a subscriber (c0: SUBSCRIBE "
            f"two channels, PSUBSCRIBE, PING, UNSUBSCRIBE, PUNSUBSCRIBE, SET) and a publisher "
            f"(c1); against {version(['redis-server', '-v'])}; client side",
            list(syscalls(out, srv.port)),
        )
        srv.stop()


def redis_inline():
    srv = redis()
    out = tempfile.mktemp()
    strace([PYTHON, "-c", INLINE, str(srv.port)], out)
    write_transcript(
        "redis/inline.trace",
        f"inline commands over a raw socket (as telnet or nc would send them), one blank "
        f"line; against {version(['redis-server', '-v'])}; client side",
        list(syscalls(out, srv.port)),
    )
    srv.stop()


def redis_benchmark():
    out_server = tempfile.mktemp()
    srv = redis(traced=out_server)
    out = tempfile.mktemp()
    strace(
        ["redis-benchmark", "-p", str(srv.port), "-c", "1", "-n", "48", "-P", "16", "-t", "set,get", "-q"],
        out,
    )
    srv.stop()
    header = (
        f"redis-benchmark -c 1 -n 48 -P 16 -t set,get ({version(['redis-benchmark', '--version'])}) "
        f"against {version(['redis-server', '-v'])}"
    )
    write_transcript("redis/benchmark_p16.trace", header + "; client side", list(syscalls(out, srv.port)))
    write_transcript(
        "redis/benchmark_p16.server.trace", header + "; server side", list(syscalls(out_server, srv.port))
    )


PYMEMCACHE = """\
import sys
from pymemcache.client.base import Client
from pymemcache.exceptions import MemcacheClientError, MemcacheServerError, MemcacheUnknownCommandError
c = Client(("127.0.0.1", int(sys.argv[1])), default_noreply=False)
c.set("user:1", "alice", expire=60)
c.get("user:1")
c.get("nothing")
c.get_many(["user:1", "nothing", "user:2"])
c.add("user:1", "again")
c.add("user:2", "bob")
c.replace("user:3", "x")
c.append("user:1", "!")
c.prepend("user:1", "<")
value, cas = c.gets("user:1")
c.cas("user:1", "carol", cas)
c.cas("user:1", "dave", cas)
c.gets_many(["user:1", "user:2"])
c.set("n", "10")
c.incr("n", 5)
c.decr("n", 20)
c.incr("absent", 1)
try:
    c.incr("user:1", 1)
except MemcacheClientError:
    pass
c.touch("user:1", 100)
c.touch("absent", 100)
c.set("big", b"v" * 100000)
c.get("big")
try:
    c.set("huge", b"h" * 2000000)
except MemcacheServerError:
    pass
c.delete("user:2")
c.delete("user:2")
c.set("quiet", "1", noreply=True)
c.delete("quiet", noreply=True)
c.version()
c.stats()
c.stats("slabs")
c.flush_all(noreply=False)
c.quit()
"""

MEMCACHED_RAW = """\
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
def say(b):
    s.sendall(b)
    time.sleep(0.1)
    s.recv(65536)
say(b"set k1 0 0 2\\r\\nv1\\r\\n")
say(b"set k2 5 0 2\\r\\nv2\\r\\n")
say(b"gat 100 k1 k2 k3\\r\\n")
say(b"gats 100 k1\\r\\n")
say(b"get k1 k2\\r\\nget k2\\r\\nversion\\r\\n")
say(b"mn\\r\\n")
say(b"ms mk 2 T60 F3\\r\\nmv\\r\\n")
say(b"mg mk v f t c\\r\\n")
say(b"mg missing v\\r\\n")
say(b"mg missing v q\\r\\nmn\\r\\n")
say(b"md mk\\r\\n")
say(b"ma counter N0 J13 v\\r\\n")
say(b"bogus\\r\\n")
say(b"set bad 0 0 notanumber\\r\\n")
say(b"set k3 0 0 2 noreply\\r\\nv3\\r\\nget k3\\r\\n")
say(b"verbosity 1\\r\\n")
say(b"stats items\\r\\n")
s.close()
"""


def memcached_pymemcache():
    srv = memcached()
    out = tempfile.mktemp()
    strace([PYTHON, "-c", PYMEMCACHE, str(srv.port)], out)
    write_transcript(
        "memcached/pymemcache.trace",
        f"pymemcache {py_version('pymemcache')} (text protocol, default_noreply=False): storage "
        f"commands, gets/cas, incr/decr, touch, a 100 kB value, a too-large value, noreply, "
        f"version, stats, flush_all, quit; against {version(['memcached', '-V'])}; client side",
        list(syscalls(out, srv.port)),
    )
    srv.stop()


def memcached_raw():
    out_server = tempfile.mktemp()
    srv = memcached(traced=out_server)
    out = tempfile.mktemp()
    strace([PYTHON, "-c", MEMCACHED_RAW, str(srv.port)], out)
    srv.stop()
    header = (
        f"raw socket: gat/gats, pipelined gets, meta commands (mn/ms/mg/md/ma, a quiet mg), "
        f"ERROR, CLIENT_ERROR, noreply, verbosity, stats items; against {version(['memcached', '-V'])}"
    )
    write_transcript("memcached/raw.trace", header + "; client side", list(syscalls(out, srv.port)))
    write_transcript("memcached/raw.server.trace", header + "; server side", list(syscalls(out_server, srv.port)))


SCENARIOS = {
    "redis_cli": redis_cli,
    "redis_cli_resp3": redis_cli_resp3,
    "redis_resp3_types": redis_resp3_types,
    "redis_py": redis_py,
    "redis_py_pubsub": redis_py_pubsub,
    "redis_inline": redis_inline,
    "redis_benchmark": redis_benchmark,
    "memcached_pymemcache": memcached_pymemcache,
    "memcached_raw": memcached_raw,
}


def main():
    for tool in ("strace", "redis-server", "redis-cli", "redis-benchmark", "memcached"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is missing")
    names = sys.argv[1:] or list(SCENARIOS)
    for name in names:
        SCENARIOS[name]()


if __name__ == "__main__":
    main()
