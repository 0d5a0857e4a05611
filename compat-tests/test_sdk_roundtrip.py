"""The real OpenTelemetry Python SDK sends traces, metrics and logs to sonde over
OTLP/gRPC and OTLP/HTTP (protobuf, gzip); sonde forwards them with its `otlp` or
`otlphttp` exporter to a sink. What arrives must be what the SDK sent, field for
field.

What the SDK sent is captured by wrapping each SDK exporter: the wrapper encodes
the same SDK data with the SDK's own OTLP encoders (`encode_spans`,
`encode_metrics`, `encode_logs`, the functions the exporters use to build the
request they put on the wire).
"""

import logging

import pytest
from opentelemetry import trace as trace_api
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter as GrpcLogs
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter as GrpcMetrics
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcSpans
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter as HttpLogs
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter as HttpMetrics
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpSpans
from opentelemetry.metrics import Observation
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags

from sondetest.configs import otlp_exporter, otlphttp_exporter, pipeline
from sondetest.otlpdata import flatten
from sondetest.sink import count_items

SCHEMA = "https://opentelemetry.io/schemas/1.21.0"


def tee(exporter_cls, encode, sent: list):
    """A subclass of an SDK exporter that also keeps the request it encodes."""

    class Tee(exporter_cls):
        def export(self, data, *args, **kwargs):
            result = super().export(data, *args, **kwargs)
            sent.append((encode(data), result.name))
            return result

    return Tee


def emit_traces(provider: TracerProvider, protocol: str):
    tracer = provider.get_tracer("sondetest.roundtrip", "1.2.3", schema_url=SCHEMA,
                                 attributes={"scope.attr": protocol})
    linked = SpanContext(trace_id=0x0AF7651916CD43DD8448EB211C80319C, span_id=0x00F067AA0BA902B7,
                         is_remote=True, trace_flags=TraceFlags(TraceFlags.SAMPLED))
    with tracer.start_as_current_span(
        "parent", kind=SpanKind.SERVER,
        attributes={
            "str": "value", "bool": True, "int": -42, "float": 3.25,
            "str_list": ["a", "b", ""], "bool_list": [True, False], "int_list": [1, 2, 3],
            "float_list": [0.5, -1.5], "unicode": "héllo ✓",
        },
        links=[Link(linked, {"link.attr": "l", "link.n": 7})],
    ) as parent:
        parent.add_event("started", {"event.int": 1, "event.str": "e"})
        parent.add_event("no-attributes")
        with tracer.start_as_current_span("child", kind=SpanKind.CLIENT) as child:
            child.set_attribute("db.system.name", "redis")
            child.set_status(Status(StatusCode.ERROR, "boom"))
            child.record_exception(ValueError("bad value"))
        with tracer.start_as_current_span("producer", kind=SpanKind.PRODUCER) as ok:
            ok.set_status(Status(StatusCode.OK))
        tracer.start_span("consumer", kind=SpanKind.CONSUMER).end()
        tracer.start_span("internal", kind=SpanKind.INTERNAL).end()


def emit_metrics(provider: MeterProvider, protocol: str):
    meter = provider.get_meter("sondetest.roundtrip", "1.2.3", schema_url=SCHEMA)
    counter = meter.create_counter("requests", unit="1", description="requests served")
    counter.add(5, {"route": "/a", "protocol": protocol})
    counter.add(7, {"route": "/b", "protocol": protocol})
    updown = meter.create_up_down_counter("queue.depth", unit="{item}")
    updown.add(10, {"queue": "q1"})
    updown.add(-3, {"queue": "q1"})
    histogram = meter.create_histogram("latency", unit="ms", description="request latency")
    for value in (0.5, 3, 7, 12, 75, 250, 1200, 10001):
        histogram.record(value, {"route": "/a"})
    float_counter = meter.create_counter("bytes", unit="By")
    float_counter.add(1.5)
    gauge = meter.create_gauge("temperature", unit="Cel")
    gauge.set(21.5, {"room": "kitchen"})
    gauge.set(-4, {"room": "freezer"})
    meter.create_observable_gauge(
        "cpu.utilization", callbacks=[lambda _options: [Observation(0.75, {"cpu": "0"})]])


def emit_logs(provider: LoggerProvider, tracer_provider: TracerProvider, protocol: str):
    logger = logging.getLogger(f"sondetest.roundtrip.{protocol}")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    handler = LoggingHandler(level=logging.DEBUG, logger_provider=provider)
    logger.addHandler(handler)
    try:
        logger.info("plain message")
        tracer = tracer_provider.get_tracer("sondetest.logs")
        with tracer.start_as_current_span("logging-span"):
            logger.warning("hello %s", "world", extra={"user.id": 42, "flag": True, "ratio": 0.5})
        try:
            raise RuntimeError("it broke")
        except RuntimeError:
            logger.exception("with traceback")
        logger.debug("debug %d", 1)
        logger.critical("the end")
    finally:
        logger.removeHandler(handler)


def send_with_sdk(protocol: str, grpc_port: int, http_port: int) -> dict[str, list]:
    """Sends every signal through the SDK; returns {signal: [(request, result)]}."""
    sent = {"traces": [], "metrics": [], "logs": []}
    if protocol == "grpc":
        endpoint = f"http://127.0.0.1:{grpc_port}"
        span_exp = tee(GrpcSpans, encode_spans, sent["traces"])(endpoint=endpoint, insecure=True)
        metric_exp = tee(GrpcMetrics, encode_metrics, sent["metrics"])(endpoint=endpoint, insecure=True)
        log_exp = tee(GrpcLogs, encode_logs, sent["logs"])(endpoint=endpoint, insecure=True)
    else:
        base = f"http://127.0.0.1:{http_port}"
        gz = Compression.Gzip
        span_exp = tee(HttpSpans, encode_spans, sent["traces"])(
            endpoint=f"{base}/v1/traces", compression=gz)
        metric_exp = tee(HttpMetrics, encode_metrics, sent["metrics"])(
            endpoint=f"{base}/v1/metrics", compression=gz)
        log_exp = tee(HttpLogs, encode_logs, sent["logs"])(endpoint=f"{base}/v1/logs")

    resource = Resource({"service.name": f"roundtrip-{protocol}", "client.protocol": protocol,
                         "deployment.environment.name": "test"}, schema_url=SCHEMA)

    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(BatchSpanProcessor(span_exp))
    emit_traces(tracer_provider, protocol)

    meter_provider = MeterProvider(resource=resource, metric_readers=[
        PeriodicExportingMetricReader(metric_exp, export_interval_millis=3_600_000)])
    emit_metrics(meter_provider, protocol)

    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(BatchLogRecordProcessor(log_exp))
    emit_logs(logger_provider, tracer_provider, protocol)

    assert tracer_provider.force_flush()
    assert meter_provider.force_flush()
    assert logger_provider.force_flush()
    tracer_provider.shutdown()
    meter_provider.shutdown()
    logger_provider.shutdown()
    return sent


@pytest.mark.parametrize("exporter", ["otlp", "otlphttp"])
def test_sdk_roundtrip(exporter, ports, start_sonde, grpc_sink, http_sink):
    sink = grpc_sink if exporter == "otlp" else http_sink
    exporter_cfg = otlp_exporter(sink.port) if exporter == "otlp" else otlphttp_exporter(sink.port)
    sonde = start_sonde(pipeline(ports, {exporter: exporter_cfg}), ports)

    sent = {"traces": [], "metrics": [], "logs": []}
    for protocol in ("grpc", "http"):
        for signal, exports in send_with_sdk(protocol, ports.grpc, ports.http).items():
            assert [result for _, result in exports] == ["SUCCESS"] * len(exports), (protocol, signal)
            sent[signal].extend(request for request, _ in exports)

    expected_counts = {s: sum(count_items(s, r) for r in reqs) for s, reqs in sent.items()}
    # Per protocol: 5 spans + 1 around a log call; 8 points collected twice (flush and
    # shutdown); 5 log records.
    assert expected_counts == {"traces": 12, "metrics": 32, "logs": 10}
    for signal, count in expected_counts.items():
        assert sink.wait_for_items(signal, count) == count, signal

    # Stopping flushes anything still queued, so a duplicate would show up now.
    assert sonde.stop() == 0
    for signal in ("traces", "metrics", "logs"):
        assert flatten(signal, sink.snapshot(signal)) == flatten(signal, sent[signal]), signal
        assert sink.refused[signal] == 0

    if exporter == "otlphttp":
        for signal in ("traces", "metrics", "logs"):
            for headers in sink.headers[signal]:
                assert headers.get("content-type") == "application/x-protobuf"
