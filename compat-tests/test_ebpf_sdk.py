"""A Python program instrumented with the OpenTelemetry SDK calls an
uninstrumented `python -m http.server`: the SDK's span goes to sonde's own `otlp`
receiver, the call itself is seen by the `ebpf` receiver of the same sonde, and
both land in one trace — the eBPF CLIENT span adopts the `traceparent` the SDK
injected, and the eBPF SERVER span is the child of that CLIENT span."""

import json

import pytest

from sondetest.ebpf import PythonServer, ebpf_config, run_python
from sondetest.ports import free_port
from sondetest.telemetry import Tree, dump, ebpf_spans, on_port, spans
from sondetest.wait import wait_until

pytestmark = pytest.mark.usefixtures("ebpf_required")

SDK_CALLER = r"""
import json, sys, urllib.request
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

otlp_port, server_port = sys.argv[1], sys.argv[2]
provider = TracerProvider(resource=Resource.create({"service.name": "sdk-caller"}))
provider.add_span_processor(SimpleSpanProcessor(
    OTLPSpanExporter(endpoint=f"127.0.0.1:{otlp_port}", insecure=True)))
tracer = provider.get_tracer("sondetest.sdk")
with tracer.start_as_current_span("call uninstrumented service") as span:
    headers = {}
    TraceContextTextMapPropagator().inject(headers)
    request = urllib.request.Request(f"http://127.0.0.1:{server_port}/hello.txt", headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()
        status = response.status
    context = span.get_span_context()
provider.shutdown()
print(json.dumps({"trace_id": format(context.trace_id, "032x"),
                  "span_id": format(context.span_id, "016x"),
                  "traceparent": headers["traceparent"], "status": status}))
"""


def test_ebpf_spans_join_the_sdk_trace_through_traceparent(start_sonde, grpc_sink, ports, peers):
    port = free_port()
    server = PythonServer(peers, port, {"/hello.txt": b"hello\n"})
    sonde = start_sonde(ebpf_config(ports, grpc_sink.port, [port]), ports)

    caller_pid, out = run_python(SDK_CALLER, str(ports.grpc), str(port))
    sdk = json.loads(out)
    assert sdk["status"] == 200
    # Flags: sampled, and (SDK 1.45, W3C level 2) a random trace id.
    assert sdk["traceparent"] in (f"00-{sdk['trace_id']}-{sdk['span_id']}-01",
                                  f"00-{sdk['trace_id']}-{sdk['span_id']}-03")

    def sdk_spans():
        return [s for s in spans(grpc_sink.snapshot("traces")) if s.scope == "sondetest.sdk"]

    wait_until(lambda: len(on_port(ebpf_spans(grpc_sink), port)) >= 2 and sdk_spans(),
               timeout=30, what="the eBPF spans and the SDK span")
    assert sonde.stop() == 0
    got = on_port(ebpf_spans(grpc_sink), port)
    [sdk_span] = sdk_spans()
    print(dump(got + [sdk_span]))
    assert len(got) == 2, dump(got)
    [client] = [s for s in got if s.kind == "CLIENT"]
    [server_span] = [s for s in got if s.kind == "SERVER"]

    assert sdk_span.span_id == sdk["span_id"] and sdk_span.trace_id == sdk["trace_id"]
    assert sdk_span.resource["service.name"] == "sdk-caller"
    assert sdk_span.parent == ""

    assert client.resource["process.pid"] == caller_pid
    assert client.trace_id == sdk["trace_id"], dump(got + [sdk_span])
    assert client.parent == sdk["span_id"], dump(got + [sdk_span])
    assert server_span.resource["process.pid"] == server.pid
    assert server_span.trace_id == sdk["trace_id"], dump(got + [sdk_span])
    assert server_span.parent == client.span_id, dump(got + [sdk_span])

    tree = Tree(got + [sdk_span])
    assert tree.parent_of(tree.parent_of(server_span)) is sdk_span
    # The eBPF call lies inside the SDK span that made it.
    assert sdk_span.start <= client.start <= client.end <= sdk_span.end
