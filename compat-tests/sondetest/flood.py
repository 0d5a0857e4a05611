"""Load from separate client processes (one GIL each), for tests that need more
than one Python thread can push.

Run through a `spawn` multiprocessing context: gRPC does not survive fork.
"""

import threading
import time
from collections import Counter

from .client import TraceClient
from .otlpdata import trace_request


def flood(port: int, client_id: int, seconds: float, spans: int, payload_bytes: int,
          inflight: int) -> dict[str, int]:
    """Sends the same request from `inflight` threads for `seconds`; returns how many
    calls ended with each gRPC status name."""
    request = trace_request(client_id, 0, spans, payload_bytes).SerializeToString()
    client = TraceClient(port)
    counts: Counter = Counter()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker():
        while time.monotonic() < deadline:
            code = client.send(request, timeout=30)
            with lock:
                counts[code.name] += 1

    threads = [threading.Thread(target=worker) for _ in range(inflight)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    client.close()
    return dict(counts)
