"""Free TCP ports on 127.0.0.1.

The kernel picks a free port (bind to port 0); the socket is closed and the number
handed out. Another process could take it in between, so the numbers handed out in
this process are remembered and never handed out twice.
"""

import socket
import threading

_lock = threading.Lock()
_given: set[int] = set()


def free_port() -> int:
    with _lock:
        for _ in range(100):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            if port not in _given:
                _given.add(port)
                return port
    raise RuntimeError("no free port found in 100 tries")


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False
