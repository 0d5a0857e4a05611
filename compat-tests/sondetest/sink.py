"""OTLP sinks: where sonde exports to in the tests.

`GrpcSink` serves the three OTLP gRPC services (the generated servicers from
opentelemetry-proto); `HttpSink` serves POST /v1/traces, /v1/metrics, /v1/logs with
protobuf bodies (gzip or deflate encoded, or plain). Both record every request
they accept, decoded, and can be told to refuse for a while: gRPC UNAVAILABLE,
HTTP 503 -- the retryable answers an OTLP exporter must retry.
"""

import gzip
import threading
import time
import zlib
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2 as logs_pb
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2_grpc as logs_grpc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2 as metrics_pb
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2_grpc as metrics_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as trace_pb
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc as trace_grpc

from .ports import free_port

REQUEST_TYPES = {
    "traces": (trace_pb.ExportTraceServiceRequest, trace_pb.ExportTraceServiceResponse),
    "metrics": (metrics_pb.ExportMetricsServiceRequest, metrics_pb.ExportMetricsServiceResponse),
    "logs": (logs_pb.ExportLogsServiceRequest, logs_pb.ExportLogsServiceResponse),
}


def count_items(signal: str, request) -> int:
    """Spans, metric data points or log records in one request, as otelcol counts them."""
    if signal == "traces":
        return sum(len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans)
    if signal == "logs":
        return sum(len(sl.log_records) for rl in request.resource_logs for sl in rl.scope_logs)
    points = 0
    for rm in request.resource_metrics:
        for sm in rm.scope_metrics:
            for m in sm.metrics:
                kind = m.WhichOneof("data")
                points += len(getattr(m, kind).data_points) if kind else 0
    return points


class Recorder:
    """What a sink saw, and whether it currently refuses. Thread-safe."""

    def __init__(self):
        self._cond = threading.Condition()
        self.requests = {s: [] for s in REQUEST_TYPES}
        self.refused = {s: 0 for s in REQUEST_TYPES}
        self.headers = {s: [] for s in REQUEST_TYPES}
        self._failing = False
        self.delay = 0.0

    def fail(self):
        """From now on, refuse every request with the retryable error."""
        with self._cond:
            self._failing = True

    def heal(self):
        with self._cond:
            self._failing = False

    def _offer(self, signal: str, request, headers: dict) -> bool:
        """Records `request` unless refusing; returns whether it was accepted."""
        if self.delay:
            time.sleep(self.delay)
        with self._cond:
            if self._failing:
                self.refused[signal] += 1
                return False
            self.requests[signal].append(request)
            self.headers[signal].append(headers)
            self._cond.notify_all()
            return True

    def items(self, signal: str) -> int:
        with self._cond:
            return sum(count_items(signal, r) for r in self.requests[signal])

    def snapshot(self, signal: str) -> list:
        with self._cond:
            return list(self.requests[signal])

    def wait_for_items(self, signal: str, count: int, timeout: float = 30) -> int:
        """Waits until at least `count` items arrived; returns how many did."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                have = sum(count_items(signal, r) for r in self.requests[signal])
                left = deadline - time.monotonic()
                if have >= count or left <= 0:
                    return have
                self._cond.wait(min(left, 0.5))


def _servicer(base, signal: str, recorder: Recorder):
    response_type = REQUEST_TYPES[signal][1]

    class Servicer(base):
        def Export(self, request, context):
            if not recorder._offer(signal, request, dict(context.invocation_metadata())):
                context.abort(grpc.StatusCode.UNAVAILABLE, "sink told to refuse")
            return response_type()

    return Servicer()


class GrpcSink(Recorder):
    def __init__(self, port: int | None = None):
        super().__init__()
        self.port = port or free_port()
        self._server = None

    def start(self):
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=16),
                             options=[("grpc.max_receive_message_length", 64 << 20),
                                      ("grpc.so_reuseport", 0)])
        trace_grpc.add_TraceServiceServicer_to_server(
            _servicer(trace_grpc.TraceServiceServicer, "traces", self), server)
        metrics_grpc.add_MetricsServiceServicer_to_server(
            _servicer(metrics_grpc.MetricsServiceServicer, "metrics", self), server)
        logs_grpc.add_LogsServiceServicer_to_server(
            _servicer(logs_grpc.LogsServiceServicer, "logs", self), server)
        if server.add_insecure_port(f"127.0.0.1:{self.port}") != self.port:
            raise RuntimeError(f"gRPC sink cannot bind 127.0.0.1:{self.port}")
        server.start()
        self._server = server
        return self

    def stop(self):
        if self._server is not None:
            self._server.stop(grace=None).wait()
            self._server = None


_PATHS = {"/v1/traces": "traces", "/v1/metrics": "metrics", "/v1/logs": "logs"}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    recorder: Recorder = None  # set per server class

    def log_message(self, *args):
        pass

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def _reply(self, status: int, body: bytes = b"", content_type: str = "application/x-protobuf"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self._read_body()
        signal = _PATHS.get(self.path)
        if signal is None:
            return self._reply(404, b"not found", "text/plain")
        encoding = self.headers.get("Content-Encoding", "").lower()
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        elif encoding not in ("", "identity"):
            return self._reply(400, f"unsupported encoding {encoding}".encode(), "text/plain")
        request_type, response_type = REQUEST_TYPES[signal]
        request = request_type.FromString(body)
        headers = {k.lower(): v for k, v in self.headers.items()}  # names are case-insensitive
        if not self.recorder._offer(signal, request, headers):
            return self._reply(503, b"sink told to refuse", "text/plain")
        self._reply(200, response_type().SerializeToString())


class HttpSink(Recorder):
    def __init__(self, port: int | None = None):
        super().__init__()
        self.port = port or free_port()
        self._server = None
        self._thread = None

    def start(self):
        handler = type("Handler", (_Handler,), {"recorder": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
