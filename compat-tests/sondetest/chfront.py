"""A test stand-in for a ClickHouse server: a small HTTP front over a chDB session.

No registry ships a modern ClickHouse *server*, but PyPI's `chdb` embeds the real
ClickHouse engine (26.x) in-process. This module puts the part of ClickHouse's HTTP
interface that sonde's clickhouse exporter uses in front of one chDB session, so the
SQL, the table engines and the RowBinary parsing are ClickHouse's own; only the HTTP
layer is ours:

* `GET|POST /ping` answers `Ok.`
* `GET|POST /?query=...`, or the query as the body; with `query=` in the URL the body
  is the data of an `INSERT ... FORMAT X` (spooled to a file and inserted with
  `FROM INFILE`).
* `database=` (a `USE` first), `default_format=`, and other URL parameters as settings
  (`SET k = v`); `decompress=1` bodies in ClickHouse's compressed-block framing
  (CityHash128 checksum verified, LZ4 or none); `Content-Encoding: gzip|deflate`.
* On error: HTTP 500, `X-ClickHouse-Exception-Code`, the exception text as the body.
* A request that sets `readonly` (the query extension's reads) gets its settings as a
  `SETTINGS` clause after the statement instead of `SET`: a `SET readonly` would stay
  on the one shared session and lock every later insert out. (ClickHouse itself scopes
  URL settings to the request.) `wait_end_of_query` is accepted and has nothing to do:
  answers are always whole.

For outage tests (not part of ClickHouse's interface), `GET /__front?mode=M` switches
how every other request is answered and returns the counters as JSON:
`ok` (served), `unavailable` (HTTP 503, nothing run), `close` (the connection is
closed with no answer), `commit_then_fail` (an INSERT is run, then answered 503, as
when the answer is lost after the server inserted). `GET /__front` alone just reads
the counters: `refused` (requests answered 503 or closed in the first three modes),
`inserts_committed_then_failed`, `inserts_ok`.

Requests are served one at a time (one lock), as a chDB session wants.

Run: `python -m sondetest.chfront PORT DATA_DIR` (prints `ready` when listening).
"""

import gzip
import json
import os
import re
import struct
import sys
import tempfile
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

# URL parameters that are not settings.
NOT_SETTINGS = {"query", "database", "default_format", "decompress", "compress", "user",
                "password", "query_id", "session_id", "session_timeout",
                "wait_end_of_query", "buffer_size"}

INSERT_WITH_DATA = re.compile(r"^\s*(INSERT\s+INTO\s+.*?)\s+FORMAT\s+(\w+)\s*$",
                              re.IGNORECASE | re.DOTALL)
CODE = re.compile(r"Code: (\d+)\.")


class FrontError(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


def decompress_blocks(body: bytes) -> bytes:
    """ClickHouse's compressed blocks: checksum(16) method(1) size(4) raw_size(4) data."""
    import lz4.block
    from clickhouse_cityhash.cityhash import CityHash128

    out = bytearray()
    at = 0
    while at < len(body):
        if len(body) - at < 25:
            raise FrontError(271, "Code: 271. DB::Exception: truncated compressed block header")
        hi, lo = struct.unpack_from("<QQ", body, at)
        method, size, raw_size = struct.unpack_from("<BII", body, at + 16)
        block = body[at + 16: at + 16 + size]
        if len(block) != size:
            raise FrontError(271, "Code: 271. DB::Exception: truncated compressed block")
        want = CityHash128(block)
        if (hi, lo) != (want >> 64, want & 0xFFFFFFFFFFFFFFFF):
            raise FrontError(40, "Code: 40. DB::Exception: Checksum doesn't match: "
                                 "corrupted data. (CHECKSUM_DOESNT_MATCH)")
        data = block[9:]
        if method == 0x82:
            out += lz4.block.decompress(data, uncompressed_size=raw_size)
        elif method == 0x02:
            out += data
        else:
            raise FrontError(271, f"Code: 271. DB::Exception: Unknown compression method "
                                  f"{method:#x}. (CANNOT_DECOMPRESS)")
        at += 16 + size
    return bytes(out)


class Front:
    def __init__(self, data_dir: str):
        from chdb import session

        self.session = session.Session(data_dir)
        self.lock = threading.Lock()
        self.spool = tempfile.mkdtemp(prefix="chfront-")

    def run(self, sql: str, fmt: str = "TabSeparated") -> bytes:
        try:
            result = self.session.query(sql, fmt)
        except Exception as e:  # chDB raises its own error type with ClickHouse's text
            text = str(e)
            match = CODE.search(text)
            raise FrontError(int(match.group(1)) if match else 1000, text) from None
        return result.bytes() if hasattr(result, "bytes") else bytes(str(result), "utf-8")

    def handle(self, params: dict, body: bytes, encoding: str | None) -> bytes:
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        elif encoding:
            raise FrontError(1000, f"Code: 1000. DB::Exception: unsupported Content-Encoding {encoding}")
        if params.get("decompress") == "1":
            body = decompress_blocks(body)
        settings = {k: v for k, v in params.items()
                    if k not in NOT_SETTINGS and not k.startswith("param_")}
        with self.lock:
            self.run(f"USE {params.get('database', 'default')}")
            fmt = params.get("default_format", "TabSeparated")
            query = params.get("query")
            if "readonly" in settings:
                sql = query if query is not None else body.decode()
                clause = ", ".join(f"{k} = '{v}'" for k, v in settings.items())
                # On a line of its own: the statement may end in a `--` comment.
                return self.run(f"{sql}\nSETTINGS {clause}", fmt)
            for key, value in settings.items():
                self.run(f"SET {key} = '{value}'")
            if query is None:
                return self.run(body.decode(), fmt)
            insert = INSERT_WITH_DATA.match(query)
            if insert and body:
                fd, path = tempfile.mkstemp(dir=self.spool)
                with os.fdopen(fd, "wb") as f:
                    f.write(body)
                try:
                    return self.run(f"{insert.group(1)} FROM INFILE '{path}' FORMAT {insert.group(2)}")
                finally:
                    os.unlink(path)
            return self.run(query + (" " + body.decode() if body else ""), fmt)


def serve(port: int, data_dir: str) -> ThreadingHTTPServer:
    front = Front(data_dir)
    control = {"mode": "ok", "refused": 0, "inserts_committed_then_failed": 0, "inserts_ok": 0}
    control_lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def answer(self, status: int, body: bytes, code: int | None = None):
            self.send_response(status)
            if code is not None:
                self.send_header("X-ClickHouse-Exception-Code", str(code))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def serve_request(self, body: bytes):
            url = urlsplit(self.path)
            params = dict(parse_qsl(url.query, keep_blank_values=True))
            if url.path == "/__front":
                with control_lock:
                    if "mode" in params:
                        control["mode"] = params["mode"]
                    state = json.dumps(control).encode()
                return self.answer(200, state)
            with control_lock:
                mode = control["mode"]
                if mode in ("unavailable", "close"):
                    control["refused"] += 1
            if mode == "unavailable":
                return self.answer(503, b"Code: 1000. front: unavailable (test outage)\n")
            if mode == "close":
                self.close_connection = True
                return
            if url.path == "/ping":
                return self.answer(200, b"Ok.\n")
            is_insert = bool(body) and INSERT_WITH_DATA.match(params.get("query", "") or "")
            try:
                out = front.handle(params, body, self.headers.get("Content-Encoding"))
            except FrontError as e:
                return self.answer(500, (str(e) + "\n").encode(), e.code)
            if is_insert:
                with control_lock:
                    failed = control["mode"] == "commit_then_fail"
                    control["inserts_committed_then_failed" if failed else "inserts_ok"] += 1
                if failed:
                    return self.answer(503, b"Code: 1000. front: answer lost after the insert\n")
            self.answer(200, out)

        def do_GET(self):
            self.serve_request(b"")

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            self.serve_request(self.rfile.read(length))

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    return server


if __name__ == "__main__":
    srv = serve(int(sys.argv[1]), sys.argv[2])
    print("ready", flush=True)
    srv.serve_forever()
