"""A raw OTLP/gRPC trace client that reports, per request, what sonde answered.

Requests are serialized once by the caller when it wants speed (`bytes` are sent
as they are), so one Python process can push well past what the SDK would.
"""

import grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

_METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


def _serialize(request) -> bytes:
    return request if isinstance(request, bytes) else request.SerializeToString()


class TraceClient:
    def __init__(self, port: int):
        self.channel = grpc.insecure_channel(
            f"127.0.0.1:{port}", options=[("grpc.max_send_message_length", 64 << 20)])
        self._export = self.channel.unary_unary(
            _METHOD, request_serializer=_serialize,
            response_deserializer=ExportTraceServiceResponse.FromString)

    def send(self, request, timeout: float = 30) -> grpc.StatusCode:
        """Sends one request; returns OK or the gRPC status code of the failure."""
        try:
            self._export(request, timeout=timeout)
            return grpc.StatusCode.OK
        except grpc.RpcError as err:
            return err.code()

    def close(self):
        self.channel.close()
