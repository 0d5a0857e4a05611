#!/usr/bin/env python3
"""Records HTTP/2 and gRPC conversations into the `.trace` files beside it.

A TCP proxy on loopback sits between a real client and a real server and
writes, per connection, every chunk it read from either side, in the order it
read them: records of one byte ('C' client to server, 'S' server to client),
a 4-byte big-endian length, and the bytes. The Rust tests replay each record
as one syscall.

Needs: nginx, nghttp2-client (h2load, nghttp), and a venv with grpcio:

    apt-get install -y nginx nghttp2-client
    python3 -m venv /tmp/venv-h2 && /tmp/venv-h2/bin/pip install grpcio
    /tmp/venv-h2/bin/python record.py [outdir]

Everything listens on 127.0.0.1 only and stops by itself.
"""

import os
import select
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from concurrent import futures

HERE = os.path.dirname(os.path.abspath(__file__))


class Proxy:
    """Listens on `port`, forwards to `upstream`, writes `<name>_<n>.trace` per connection."""

    def __init__(self, port, upstream, outdir, name):
        self.upstream = upstream
        self.outdir = outdir
        self.name = name
        self.count = 0
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(64)
        self.threads = []
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                n = self.count
                self.count += 1
            t = threading.Thread(target=self.relay, args=(client, n), daemon=True)
            t.start()
            self.threads.append(t)

    def relay(self, client, n):
        server = socket.create_connection(self.upstream)
        for s in (client, server):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        path = os.path.join(self.outdir, f"{self.name}_{n}.trace")
        other = {client: server, server: client}
        tag = {client: b"C", server: b"S"}
        open_ = {client, server}
        with open(path, "wb") as out:
            while open_:
                ready, _, _ = select.select(list(open_), [], [], 10)
                if not ready:
                    break
                for s in ready:
                    try:
                        data = s.recv(65536)
                    except OSError:
                        data = b""
                    if not data:
                        open_.discard(s)
                        try:
                            other[s].shutdown(socket.SHUT_WR)
                        except OSError:
                            pass
                        continue
                    out.write(tag[s] + struct.pack(">I", len(data)) + data)
                    other[s].sendall(data)
        client.close()
        server.close()

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        for t in self.threads:
            t.join(timeout=15)


def wait_port(port, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


NGINX_CONF = """
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    server {{
        listen 127.0.0.1:{port} http2;
        root {prefix}/www;
        location /missing {{ return 404; }}
    }}
}}
"""


def record_nginx(outdir):
    prefix = tempfile.mkdtemp(prefix="h2nginx")
    os.chmod(prefix, 0o755)  # nginx's workers run as nobody
    os.makedirs(os.path.join(prefix, "www"))
    with open(os.path.join(prefix, "www", "index.html"), "w") as f:
        f.write("<html><body>hello over h2c</body></html>\n")
    conf = os.path.join(prefix, "nginx.conf")
    with open(conf, "w") as f:
        f.write(NGINX_CONF.format(prefix=prefix, port=28481))
    nginx = subprocess.Popen(["nginx", "-c", conf, "-p", prefix])
    try:
        wait_port(28481)
        proxy = Proxy(28480, ("127.0.0.1", 28481), outdir, "h2load")
        subprocess.run(
            ["h2load", "-n", "100", "-c", "2", "http://127.0.0.1:28480/"],
            check=True, timeout=60, stdout=subprocess.DEVNULL,
        )
        proxy.close()
        # Eight streams at a time on one connection: frames of many streams interleave.
        proxy = Proxy(28483, ("127.0.0.1", 28481), outdir, "h2load_m8")
        subprocess.run(
            ["h2load", "-n", "40", "-c", "1", "-m", "8", "http://127.0.0.1:28483/"],
            check=True, timeout=60, stdout=subprocess.DEVNULL,
        )
        proxy.close()
        proxy = Proxy(28482, ("127.0.0.1", 28481), outdir, "nghttp")
        subprocess.run(
            ["nghttp", "-v", "-H", "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
             "http://127.0.0.1:28482/index.html?x=1", "http://127.0.0.1:28482/missing"],
            check=True, timeout=60, stdout=subprocess.DEVNULL,
        )
        proxy.close()
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
        shutil.rmtree(prefix, ignore_errors=True)


def record_grpc(outdir):
    import grpc

    def say_hello(request, context):
        if request == b"nobody":
            context.abort(grpc.StatusCode.NOT_FOUND, "no such user")
        if request == b"slow":
            time.sleep(0.6)
        return b"hello " + request

    def count(request, context):
        for i in range(3):
            yield b"%d" % i

    def upload(request_iterator, context):
        return b"%d" % sum(len(r) for r in request_iterator)

    handler = grpc.method_handlers_generic_handler(
        "demo.v1.Greeter",
        {
            "SayHello": grpc.unary_unary_rpc_method_handler(say_hello),
            "Count": grpc.unary_stream_rpc_method_handler(count),
            "Upload": grpc.stream_unary_rpc_method_handler(upload),
        },
    )
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers((handler,))
    server.add_insecure_port("127.0.0.1:28451")
    server.start()
    proxy = Proxy(28452, ("127.0.0.1", 28451), outdir, "grpc")
    try:
        with grpc.insecure_channel("127.0.0.1:28452") as channel:
            hello = channel.unary_unary("/demo.v1.Greeter/SayHello")
            meta = [("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]
            assert hello(b"ann", metadata=meta) == b"hello ann"
            assert hello(b"bob", metadata=meta) == b"hello bob"
            try:
                hello(b"nobody")
                raise AssertionError("expected NOT_FOUND")
            except grpc.RpcError as e:
                assert e.code() == grpc.StatusCode.NOT_FOUND, e
            counted = list(channel.unary_stream("/demo.v1.Greeter/Count")(b"go"))
            assert counted == [b"0", b"1", b"2"], counted
            assert channel.stream_unary("/demo.v1.Greeter/Upload")(iter([b"ab", b"cde"])) == b"5"
            try:
                channel.unary_unary("/demo.v1.Greeter/Nope")(b"x")
                raise AssertionError("expected UNIMPLEMENTED")
            except grpc.RpcError as e:
                assert e.code() == grpc.StatusCode.UNIMPLEMENTED, e
            try:
                hello(b"slow", timeout=0.1)
                raise AssertionError("expected DEADLINE_EXCEEDED")
            except grpc.RpcError as e:
                assert e.code() == grpc.StatusCode.DEADLINE_EXCEEDED, e
            # The client gives up by itself: RST_STREAM(CANCEL), and no answer.
            call = hello.future(b"slow")
            time.sleep(0.1)
            assert call.cancel()
            assert hello(b"cy", metadata=meta) == b"hello cy"
        time.sleep(0.3)
    finally:
        proxy.close()
        server.stop(0)


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else HERE
    os.makedirs(outdir, exist_ok=True)
    record_nginx(outdir)
    record_grpc(outdir)
    for name in sorted(os.listdir(outdir)):
        if name.endswith(".trace"):
            print(name, os.path.getsize(os.path.join(outdir, name)))


if __name__ == "__main__":
    main()
