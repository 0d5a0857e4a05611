"""A FAKE Kubernetes API server: no cluster can run where these tests run, so this
serves recorded answers instead. `GET /api/v1/pods` answers the pod list of
`processors/autotag/testdata/pods.json`; `GET /api/v1/pods?watch=true` streams the
events of `pods-watch.jsonl` (one JSON object per line, as the API server writes
them) and then holds the stream open, as a quiet watch does. Requests are recorded
so tests can check what the client asked for (field selectors, credentials).
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

TESTDATA = Path(__file__).resolve().parents[2] / "processors" / "autotag" / "testdata"


class FakeKubernetesApi:
    def __init__(self):
        self.pods = (TESTDATA / "pods.json").read_bytes()
        self.events = (TESTDATA / "pods-watch.jsonl").read_bytes()
        self.requests: list[tuple[str, dict, str]] = []
        self.stopping = threading.Event()
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                api.requests.append((url.path, query, self.headers.get("Authorization", "")))
                if url.path != "/api/v1/pods":
                    body = json.dumps({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                       "reason": "NotFound", "code": 404}).encode()
                    self.send_response(404)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                if query.get("watch") not in ("true", "1"):
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(api.pods)))
                    self.end_headers()
                    self.wfile.write(api.pods)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                # Only the first watch replays the recorded events; later ones
                # (after a timeout) stay quiet, as a real watch with no changes.
                first = sum(1 for r in api.requests if r[1].get("watch")) == 1
                try:
                    if first:
                        for line in api.events.splitlines(keepends=True):
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
                            self.wfile.flush()
                    api.stopping.wait()
                    self.wfile.write(b"0\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "FakeKubernetesApi":
        self.thread.start()
        return self

    def stop(self):
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()

    def kubeconfig(self, path: Path) -> Path:
        path.write_text(json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "recorded",
            "clusters": [{"name": "recorded", "cluster": {"server": f"http://127.0.0.1:{self.port}"}}],
            "users": [{"name": "reader", "user": {"token": "recorded-token"}}],
            "contexts": [{"name": "recorded", "context": {"cluster": "recorded", "user": "reader"}}],
        }))
        return path
