#!/usr/bin/env python3
"""A recording TCP proxy: what the tests in testdata/ were recorded with.

    record.py LISTEN_PORT TARGET_PORT OUT_PREFIX [COMMENT]

Accepts connections on 127.0.0.1:LISTEN_PORT, forwards each to
127.0.0.1:TARGET_PORT, and writes connection N's bytes to OUT_PREFIX.N.txt,
one line per read, in the order the proxy read them:

    # COMMENT
    c <hex>     bytes the connecting side (client) sent
    s <hex>     bytes the accepting side (server) sent

Each read stands for one syscall's worth of bytes when the tests replay it.
Stops after SONDE_RECORD_SECONDS (default 60) or on SIGTERM.
"""
import os
import select
import signal
import socket
import sys
import threading
import time


def pump(n, a, b, path, comment):
    lines = [f"# {comment}\n"] if comment else []
    socks = {a: ("c", b), b: ("s", a)}
    try:
        while True:
            r, _, _ = select.select(list(socks), [], [], 5)
            if not r:
                continue
            done = False
            for s in r:
                tag, other = socks[s]
                data = s.recv(65536)
                if not data:
                    done = True
                    break
                lines.append(f"{tag} {data.hex()}\n")
                other.sendall(data)
            if done:
                break
    except OSError:
        pass
    finally:
        for s in (a, b):
            try:
                s.close()
            except OSError:
                pass
        with open(path, "w") as f:
            f.writelines(lines)


def main():
    listen, target, prefix = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    comment = sys.argv[4] if len(sys.argv) > 4 else ""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", listen))
    srv.listen(16)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    deadline = time.time() + float(os.environ.get("SONDE_RECORD_SECONDS", "60"))
    n = 0
    threads = []
    srv.settimeout(0.5)
    while time.time() < deadline:
        try:
            c, _ = srv.accept()
        except socket.timeout:
            continue
        up = socket.create_connection(("127.0.0.1", target))
        for s in (c, up):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        t = threading.Thread(target=pump, args=(n, c, up, f"{prefix}.{n}.txt", comment), daemon=True)
        t.start()
        threads.append(t)
        n += 1


if __name__ == "__main__":
    main()
