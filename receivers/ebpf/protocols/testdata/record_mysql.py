#!/usr/bin/env python3
"""Records the MySQL transcripts of testdata/mysql/ from real clients
against a real MariaDB server, in record.py's transcript format (one
syscall a line, `c0 > "..."` for what the client wrote, `<` for what it
read; tests/transcript/mod.rs reads it).

Each scenario starts a fresh MariaDB (mariadb-install-db into a temporary
directory, mariadbd on a free loopback port, and a self-signed certificate
when the scenario asks for TLS), creates the user `sonde` (password `sondepw`,
mysql_native_password), the user `edu` (ed25519, so the server asks the
client to switch authentication method) and the database `sondedb`, then runs
one real client under strace and keeps the bytes of its TCP syscalls to the
server's port.

Needs: mariadb-server and mariadb-client 10.11, openssl, strace, and a Python
with `pymysql` and `mysql-connector-python` (PYTHON, default the one running
this script).

    python3 testdata/record_mysql.py            # every scenario
    python3 testdata/record_mysql.py pymysql    # the named ones
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from record import PYTHON, free_port, py_version, strace, syscalls, version, wait_port, write_transcript  # noqa: E402

SETUP = """\
CREATE USER 'sonde'@'127.0.0.1' IDENTIFIED BY 'sondepw';
GRANT ALL ON *.* TO 'sonde'@'127.0.0.1';
INSTALL SONAME 'auth_ed25519';
CREATE USER 'edu'@'127.0.0.1' IDENTIFIED VIA ed25519 USING PASSWORD('edpw');
GRANT ALL ON sondedb.* TO 'edu'@'127.0.0.1';
CREATE DATABASE sondedb;
CREATE DATABASE otherdb;
"""


class MariaDB:
    """A throwaway server: its own data directory, socket and port."""

    def __init__(self, tls=False):
        self.dir = tempfile.mkdtemp(prefix="sonde-mariadb-")
        shutil.chown(self.dir, "mysql", "mysql")
        data = os.path.join(self.dir, "data")
        subprocess.run(
            ["mariadb-install-db", "--user=mysql", f"--datadir={data}", "--skip-test-db"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
        )
        tls_args = []
        key, cert = os.path.join(self.dir, "key.pem"), os.path.join(self.dir, "cert.pem")
        if tls:
            tls_args = [f"--ssl-key={key}", f"--ssl-cert={cert}"]
            self.certificate(key, cert)
        self.tls = tls
        self.port = free_port()
        self.socket = os.path.join(self.dir, "mysqld.sock")
        self.proc = subprocess.Popen(
            ["mariadbd", "--no-defaults", "--user=mysql", f"--datadir={data}", f"--socket={self.socket}",
             f"--port={self.port}", "--bind-address=127.0.0.1", "--skip-log-bin", "--local-infile=1",
             f"--pid-file={self.dir}/mysqld.pid"] + tls_args,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_port(self.port, 30)
        subprocess.run(["mariadb", "--no-defaults", "-S", self.socket, "-u", "root"], input=SETUP.encode(), check=True)

    @staticmethod
    def certificate(key, cert):
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
        )
        for f in (key, cert):
            shutil.chown(f, "mysql", "mysql")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def server_version():
    return version(["mariadbd", "--version"])


def tcp(srv, user="sonde", password="sondepw"):
    """The MariaDB tools' options for a plain TCP login (they would use TLS whenever the server offers it)."""
    return ["--no-defaults", "--protocol=TCP", "-h", "127.0.0.1", "-P", str(srv.port), "-u", user, f"-p{password}"] + (
        [] if srv.tls else ["--skip-ssl"])


def record(name, header, cmd, stdin=None, srv=None):
    srv = srv or MariaDB()
    out = tempfile.mktemp()
    try:
        strace(cmd(srv), out, stdin=stdin.encode() if stdin else None)
        write_transcript(f"mysql/{name}.trace", f"{header}; against {server_version()}; client side",
                         list(syscalls(out, srv.port)))
    finally:
        srv.stop()


# --- the mariadb command-line client ----------------------------------------

CLI_SCRIPT = """\
CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(40), score INT);
INSERT INTO users VALUES (1, 'alice', 10), (2, 'bob', 20), (3, 'carol', 30);
SELECT id, name FROM users WHERE name = 'alice' OR id IN (2, 3);
UPDATE users SET score = score + 1 WHERE id = 2;
SELECT * FROM missing_table;
SELEC oops;
use otherdb
SELECT DATABASE();
use sondedb
/*traceparent='00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'*/ SELECT name FROM users WHERE id = 1;
delimiter //
SELECT 1 AS a; SELECT id FROM users ORDER BY id; UPDATE users SET score = 0 WHERE id = 3//
SELECT 1; SELECT * FROM nope; SELECT 2//
delimiter ;
SELECT seq, REPEAT('x', 100) AS filler FROM seq_1_to_2000;
LOAD DATA LOCAL INFILE '{csv}' INTO TABLE users FIELDS TERMINATED BY ',';
SELECT COUNT(*) FROM users;
"""


def mariadb_cli():
    csv = tempfile.mktemp(suffix=".csv")
    with open(csv, "w") as f:
        f.write("".join(f"{i},user{i},{i}\n" for i in range(10, 20)))
    record(
        "mariadb_cli",
        f"{version(['mariadb', '--version'])}: statements piped on stdin with --force (a table, rows, "
        "UPDATE, ERR 1146 and 1064, `use` as COM_INIT_DB, a sqlcommenter comment, multi-statement texts "
        "(one with an error in the middle), 2000 rows, LOAD DATA LOCAL INFILE)",
        lambda srv: ["mariadb"] + tcp(srv) + ["--force", "--comments", "--local-infile=1", "sondedb"],
        stdin=CLI_SCRIPT.format(csv=csv),
    )
    os.unlink(csv)


def mariadb_admin():
    record(
        "mariadb_admin",
        f"{version(['mariadb-admin', '--version'])} ping, status (COM_STATISTICS) and processlist, "
        "one connection each",
        lambda srv: ["sh", "-c", " && ".join(
            " ".join(["mariadb-admin"] + tcp(srv) + [c]) for c in ("ping", "status", "processlist"))],
    )


def mariadb_tls():
    record(
        "mariadb_tls",
        f"{version(['mariadb', '--version'])} --ssl: an SSL request, then TLS",
        lambda srv: ["mariadb"] + tcp(srv) + ["--ssl", "--ssl-verify-server-cert=0", "-e", "SELECT 1"],
        srv=MariaDB(tls=True),
    )


def mariadb_compress():
    record(
        "mariadb_compress",
        f"{version(['mariadb', '--version'])} --compress: the protocol's compression after the handshake",
        lambda srv: ["mariadb"] + tcp(srv) + ["--compress", "-e", "SELECT 1"],
    )


def mariadb_ed25519():
    record(
        "mariadb_ed25519",
        f"{version(['mariadb', '--version'])} as a user authenticated by ed25519: the server's "
        "authentication switch request, then queries",
        lambda srv: ["mariadb"] + tcp(srv, "edu", "edpw") + ["sondedb", "-e", "SELECT 1; SELECT USER()"],
    )


def mariadb_slap():
    record(
        "mariadb_slap",
        f"{version(['mariadb-slap', '--version'])} --concurrency=1 --iterations=1 --number-of-queries=10 "
        "--query of an INSERT and a SELECT on a table it creates",
        lambda srv: ["mariadb-slap"] + tcp(srv) + [
            "--concurrency=1", "--iterations=1", "--number-of-queries=10", "--create-schema=slapdb",
            "--create=CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(20))",
            "--query=INSERT INTO t (v) VALUES ('x');SELECT COUNT(*) FROM t",
        ],
    )


# --- Python clients ----------------------------------------------------------

PYMYSQL = """\
import sys, pymysql
from pymysql.constants import CLIENT
c = pymysql.connect(host="127.0.0.1", port=int(sys.argv[1]), user="sonde", password="sondepw",
                    database="sondedb", client_flag=CLIENT.MULTI_STATEMENTS, autocommit=True)
cur = c.cursor()
cur.execute("CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(40), score INT)")
cur.executemany("INSERT INTO users VALUES (%s, %s, %s)", [(1, "alice", 10), (2, "bob", 20), (3, "carol", 30)])
cur.execute("SELECT id, name FROM users WHERE id = %s", (2,))
cur.fetchall()
cur.execute("UPDATE users SET score = score + 1 WHERE id = %s", (1,))
for bad in ("SELECT * FROM nope", "SELEC 1"):
    try:
        cur.execute(bad)
    except pymysql.MySQLError:
        pass
c.select_db("otherdb")
cur.execute("SELECT DATABASE()")
c.select_db("sondedb")
c.ping(reconnect=False)
cur.execute("/*traceparent='00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'*/ SELECT name FROM users")
cur.execute("SELECT 1; SELECT name FROM users ORDER BY id; UPDATE users SET score = 0")
while cur.nextset():
    pass
cur.execute("SELECT seq, REPEAT('y', 200) FROM seq_1_to_3000")
assert len(cur.fetchall()) == 3000
cur.execute("USE otherdb")
cur.execute("SELECT 2")
c.close()
"""

CONNECTOR = """\
import sys, mysql.connector
c = mysql.connector.connect(host="127.0.0.1", port=int(sys.argv[1]), user="sonde", password="sondepw",
                            database="sondedb", use_pure=True, autocommit=True)
cur = c.cursor()
cur.execute("CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(40), score INT)")
ps = c.cursor(prepared=True)
for row in ((1, "alice", 10), (2, "bob", 20), (3, "carol", 30)):
    ps.execute("INSERT INTO users VALUES (%s, %s, %s)", row)
ps.execute("SELECT id, name, score FROM users WHERE id > %s", (1,))
ps.fetchall()
ps.execute("SELECT id, name, score FROM users WHERE id > %s", (2,))
ps.fetchall()
ps.execute("UPDATE users SET score = score * 2 WHERE id = %s", (3,))
try:
    ps.execute("SELECT * FROM nope WHERE id = %s", (1,))
except mysql.connector.Error:
    pass
try:
    ps.execute("INSERT INTO users VALUES (%s, %s, %s)", (1, "dup", 0))
except mysql.connector.Error:
    pass
ps.close()
c.ping()
cur.execute("SELECT COUNT(*) FROM users")
cur.fetchall()
cur.close()
c.close()
"""


def pymysql_scenario():
    record(
        "pymysql",
        f"PyMySQL {py_version('pymysql')} (CLIENT_MULTI_STATEMENTS, database sondedb): executemany, "
        "parameters interpolated by the client, ERR 1146 and 1064, select_db (COM_INIT_DB), ping, a "
        "sqlcommenter comment, three statements in one text, 3000 rows, USE",
        lambda srv: [PYTHON, "-c", PYMYSQL, str(srv.port)],
    )


def connector_prepared():
    record(
        "connector_prepared",
        f"mysql-connector-python {py_version('mysql-connector-python')} (pure Python) with "
        "cursor(prepared=True): server-side prepared statements (COM_STMT_PREPARE, EXECUTE, CLOSE), "
        "a failing prepare (1146) and a failing execute (1062), ping",
        lambda srv: [PYTHON, "-c", CONNECTOR, str(srv.port)],
    )


# A client of a few lines over a raw socket, for what no installed client
# asks for: CLIENT_DEPRECATE_EOF (result sets and prepare answers without
# their EOF packets), MariaDB's direct execution (PREPARE and an EXECUTE of
# statement -1 in one write), commands written back to back, COM_FIELD_LIST,
# COM_SET_OPTION, COM_RESET_CONNECTION and a procedure's several results.
RAW = """\
import hashlib, socket, struct, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
def packet(body, seq=0):
    return struct.pack("<I", len(body))[:3] + bytes([seq]) + body
def say(*commands, wait=0.15):
    s.sendall(b"".join(commands))
    time.sleep(wait)
    return s.recv(1 << 20)
def query(text):
    return packet(b"\\x03" + text.encode())
greeting = s.recv(65536)[4:]
at = greeting.index(b"\\0", 1) + 1 + 4
scramble = greeting[at:at + 8]
at += 8 + 1 + 2 + 1 + 2 + 2 + 1 + 10
scramble += greeting[at:at + 12]
h1 = hashlib.sha1(b"sondepw").digest()
h3 = hashlib.sha1(scramble + hashlib.sha1(h1).digest()).digest()
auth = bytes(a ^ b for a, b in zip(h1, h3))
# LONG_PASSWORD, LONG_FLAG, CONNECT_WITH_DB, PROTOCOL_41, TRANSACTIONS, SECURE_CONNECTION,
# MULTI_STATEMENTS, MULTI_RESULTS, PS_MULTI_RESULTS, PLUGIN_AUTH, DEPRECATE_EOF
caps = 0x1 | 0x4 | 0x8 | 0x200 | 0x2000 | 0x8000 | 1 << 16 | 1 << 17 | 1 << 18 | 1 << 19 | 1 << 24
hello = struct.pack("<IIB", caps, 1 << 24, 45) + bytes(23) + b"sonde\\0" + bytes([20]) + auth
say(packet(hello + b"sondedb\\0mysql_native_password\\0", seq=1))
say(query("CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(40))"))
say(query("INSERT INTO users VALUES (1, 'alice'), (2, 'bob'), (3, 'carol')"))
say(query("SELECT id, name FROM users ORDER BY id"))
say(query("SELECT id FROM users WHERE id > 10"))
say(query("SELECT 1; SELECT name FROM users WHERE id = 2; DO 0"))
say(query("CREATE PROCEDURE two() BEGIN SELECT 1 AS a; SELECT 2 AS b; END"))
say(query("CALL two()"))
say(packet(b"\\x16SELECT name FROM users WHERE id = ?"))
say(packet(b"\\x17" + struct.pack("<IBI", 1, 0, 1) + b"\\x00\\x01\\x08\\x00" + struct.pack("<q", 2)))
say(packet(b"\\x16SELECT id, name FROM users WHERE id < 3"),
    packet(b"\\x17" + struct.pack("<IBI", 0xFFFFFFFF, 0, 1)), wait=0.3)
say(packet(b"\\x1a" + struct.pack("<I", 2)))
s.sendall(packet(b"\\x19" + struct.pack("<I", 1)))
say(query("SELECT 1"), packet(b"\\x0e"), query("SELECT * FROM nope"), wait=0.3)
say(packet(b"\\x04users\\0"))
say(packet(b"\\x1b\\x00\\x00"))
say(packet(b"\\x02otherdb"))
say(query("SELECT DATABASE()"))
say(packet(b"\\x1f"))
say(packet(b"\\x09"))
s.sendall(packet(b"\\x01"))
s.close()
"""


def raw_deprecate_eof():
    record(
        "raw_deprecate_eof",
        "a raw-socket client with CLIENT_DEPRECATE_EOF (mysql_native_password, database sondedb): rows, no "
        "rows, three statements in one text, a procedure's two result sets, a prepared statement executed "
        "with a parameter, PREPARE and EXECUTE of statement -1 in one write, STMT_RESET, STMT_CLOSE, three "
        "commands in one write (a query, a ping, a failing query), COM_FIELD_LIST, COM_SET_OPTION, "
        "COM_INIT_DB, COM_RESET_CONNECTION, COM_STATISTICS, COM_QUIT",
        lambda srv: [PYTHON, "-c", RAW, str(srv.port)],
    )


SCENARIOS = {
    "mariadb_cli": mariadb_cli,
    "mariadb_admin": mariadb_admin,
    "mariadb_tls": mariadb_tls,
    "mariadb_compress": mariadb_compress,
    "mariadb_ed25519": mariadb_ed25519,
    "mariadb_slap": mariadb_slap,
    "pymysql": pymysql_scenario,
    "connector_prepared": connector_prepared,
    "raw_deprecate_eof": raw_deprecate_eof,
}


def main():
    for tool in ("strace", "mariadbd", "mariadb-install-db", "mariadb", "mariadb-admin", "mariadb-slap", "openssl"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is missing")
    names = sys.argv[1:] or list(SCENARIOS)
    for name in names:
        SCENARIOS[name]()


if __name__ == "__main__":
    main()
