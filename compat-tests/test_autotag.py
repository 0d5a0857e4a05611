"""The `autotag` processor: data a local process sends over the network gets the
resource tags of that process — the same `process.pid`, `process.executable.name`,
`host.name` and `container.id` the `ebpf` receiver puts on the spans it sees that
process make — while the attributes the sender set stay as they were.

Senders are real: the OpenTelemetry Python SDK over OTLP/gRPC and OTLP/HTTP, and
the `influxdb-client` over line protocol. The last test runs only as root with
eBPF and compares the SDK's spans with the eBPF spans of the same program.
"""

import os
import re
import socket
import sys

import pytest
from influxdb_client import InfluxDBClient, Point
from influxdb_client.client.write_api import SYNCHRONOUS

from sondetest.configs import Ports, otlp_exporter, pipeline
from sondetest.ebpf import PythonServer, ebpf_config, run_python
from sondetest.ports import free_port
from sondetest.telemetry import attributes, dump, ebpf_spans, on_port, spans
from sondetest.wait import wait_until

SDK_SENDER = r"""
import json, sys
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

protocol, endpoint = sys.argv[1], sys.argv[2]
if protocol == "grpc":
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    exporter = OTLPSpanExporter(endpoint=endpoint, insecure=True)
else:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    exporter = OTLPSpanExporter(endpoint=endpoint)
# The sender names its host itself: that value must survive.
provider = TracerProvider(resource=Resource.create(
    {"service.name": "tagged-app", "host.name": "set-by-sdk"}))
provider.add_span_processor(SimpleSpanProcessor(exporter))
with provider.get_tracer("sondetest.autotag").start_as_current_span("work"):
    pass
provider.shutdown()
"""


def own_executable() -> str:
    """What `process.executable.name` of a `sys.executable` child is: the basename
    of the `exe` link, symlinks resolved."""
    return os.path.basename(os.path.realpath(sys.executable))


def container_id_of(pid: int):
    """container.id as the ebpf receiver derives it, or None on a bare host; read
    here from the cgroup file so the test holds on either."""
    with open(f"/proc/{pid}/cgroup") as f:
        text = f.read()
    for line in text.splitlines():
        found = re.findall(r"([0-9a-f]{64})", line.split(":", 2)[-1])
        if found:
            return found[-1]
    return None


def autotag_config(ports: Ports, sink_port: int) -> dict:
    cfg = pipeline(ports, {"otlp": otlp_exporter(sink_port)},
                   processors={"autotag": {"host_name": "tagged-host"}})
    return cfg


@pytest.mark.parametrize("protocol", ["grpc", "http"])
def test_sdk_spans_get_the_senders_process_tags(start_sonde, grpc_sink, protocol):
    ports = Ports()
    start_sonde(autotag_config(ports, grpc_sink.port), ports)
    endpoint = (f"127.0.0.1:{ports.grpc}" if protocol == "grpc"
                else f"http://127.0.0.1:{ports.http}/v1/traces")
    pid, _ = run_python(SDK_SENDER, protocol, endpoint)

    wait_until(lambda: spans(grpc_sink.snapshot("traces")), timeout=30, what="the SDK span")
    [span] = spans(grpc_sink.snapshot("traces"))
    resource = span.resource
    assert resource["service.name"] == "tagged-app"
    assert resource["host.name"] == "set-by-sdk"
    assert resource["process.pid"] == pid
    assert resource["process.executable.name"] == own_executable()
    assert resource["process.executable.path"] == os.path.realpath(sys.executable)
    assert resource.get("container.id") == container_id_of(os.getpid())
    assert "process.command_line" not in resource


def test_influx_metrics_get_the_writers_tags(start_sonde, grpc_sink):
    ports = Ports()
    influx_port = free_port()
    cfg = {
        "receivers": {"influxdb": {"endpoint": f"127.0.0.1:{influx_port}"}},
        "processors": {"autotag": {"host_name": "tagged-host"}},
        "exporters": {"otlp": otlp_exporter(grpc_sink.port)},
        "extensions": {"health_check": {"endpoint": f"127.0.0.1:{ports.health}"}},
        "service": {
            "extensions": ["health_check"],
            "telemetry": {"metrics": {"level": "none"}},
            "pipelines": {"metrics": {"receivers": ["influxdb"], "processors": ["autotag"],
                                      "exporters": ["otlp"]}},
        },
    }
    start_sonde(cfg, ports, wait_ports=[influx_port])
    # This very process writes: its pid is the one to find.
    with InfluxDBClient(url=f"http://127.0.0.1:{influx_port}", token="t", org="o") as client:
        client.write_api(write_options=SYNCHRONOUS).write(
            "b", record=Point("cpu").tag("core", "0").field("busy", 0.25))

    wait_until(lambda: grpc_sink.snapshot("metrics"), timeout=30, what="the metric")
    [request] = grpc_sink.snapshot("metrics")
    [rm] = request.resource_metrics
    resource = attributes(rm.resource.attributes)
    assert resource["process.pid"] == os.getpid()
    assert resource["host.name"] == "tagged-host"
    # No service.name came with line protocol: the process's own one is added.
    assert resource["service.name"] == own_executable()
    assert [m.name for m in rm.scope_metrics[0].metrics] == ["cpu_busy"]


SDK_CALLER = r"""
import sys, urllib.request
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

otlp_port, server_port = sys.argv[1], sys.argv[2]
provider = TracerProvider(resource=Resource.create({"service.name": "sdk-caller"}))
provider.add_span_processor(SimpleSpanProcessor(
    OTLPSpanExporter(endpoint=f"127.0.0.1:{otlp_port}", insecure=True)))
with provider.get_tracer("sondetest.autotag").start_as_current_span("call"):
    with urllib.request.urlopen(f"http://127.0.0.1:{server_port}/x", timeout=10) as response:
        response.read()
provider.shutdown()
"""

TAGS = ("process.pid", "process.executable.name", "process.executable.path", "host.name",
        "container.id")


@pytest.mark.usefixtures("ebpf_required")
def test_sdk_spans_carry_the_tags_of_the_programs_ebpf_spans(start_sonde, grpc_sink, ports,
                                                             peers):
    port = free_port()
    PythonServer(peers, port, {"/x": b"x\n"})
    cfg = ebpf_config(ports, grpc_sink.port, [port])
    # No host.name override: both paths must agree on the real one.
    cfg["processors"]["autotag"] = {}
    cfg["service"]["pipelines"]["traces"]["processors"] = ["autotag"]
    sonde = start_sonde(cfg, ports)

    caller_pid, _ = run_python(SDK_CALLER, str(ports.grpc), str(port))

    def sdk_spans():
        return [s for s in spans(grpc_sink.snapshot("traces")) if s.scope == "sondetest.autotag"]

    wait_until(lambda: on_port(ebpf_spans(grpc_sink), port) and sdk_spans(), timeout=30,
               what="the eBPF spans and the SDK span")
    assert sonde.stop() == 0
    [client] = [s for s in on_port(ebpf_spans(grpc_sink), port) if s.kind == "CLIENT"]
    [sdk_span] = sdk_spans()
    print(dump([client, sdk_span]))
    assert client.resource["process.pid"] == caller_pid
    assert {k: sdk_span.resource.get(k) for k in TAGS} == {
        k: client.resource.get(k) for k in TAGS}
    assert sdk_span.resource["host.name"] == socket.gethostname()
    # The SDK's own service.name stays; the eBPF span names the executable.
    assert sdk_span.resource["service.name"] == "sdk-caller"


K8S_SENDER = r"""
import sys
import requests
from requests.adapters import HTTPAdapter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

source, endpoint, name = sys.argv[1], sys.argv[2], sys.argv[3]

class FromAddress(HTTPAdapter):
    # Sends from `source`, as a pod sends from its pod IP.
    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (source, 0)
        super().init_poolmanager(*args, **kwargs)

session = requests.Session()
session.mount("http://", FromAddress())
provider = TracerProvider(resource=Resource.create({"service.name": name}))
provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=endpoint, session=session)))
with provider.get_tracer("sondetest.k8s").start_as_current_span(name):
    pass
provider.shutdown()
"""


def test_pods_get_kubernetes_tags_from_a_watched_api(start_sonde, grpc_sink, tmp_path):
    from sondetest.k8s import FakeKubernetesApi

    api = FakeKubernetesApi().start()
    try:
        ports = Ports()
        cfg = pipeline(ports, {"otlp": otlp_exporter(grpc_sink.port)},
                       processors={"autotag": {"kubernetes": {
                           "auth_type": "kubeConfig",
                           "filter": {"node_from_env_var": "K8S_NODE_NAME"},
                           "extract": {"labels": [{"key": "tier"}],
                                       "annotations": [{"tag_name": "team", "key": "team"}]},
                       }}})
        kubeconfig = api.kubeconfig(tmp_path / "kubeconfig")
        start_sonde(cfg, ports, env={"KUBECONFIG": str(kubeconfig), "K8S_NODE_NAME": "node-a"})
        endpoint = f"http://127.0.0.1:{ports.http}/v1/traces"

        # web-0 (127.0.0.2) comes from the list and is relabelled by the watch;
        # report-... (127.0.0.3) only exists through the watch.
        wait_until(lambda: len([r for r in api.requests if r[1].get("watch")]) >= 1,
                   timeout=30, what="the pod watch")
        run_python(K8S_SENDER, "127.0.0.3", endpoint, "report")
        wait_until(lambda: spans(grpc_sink.snapshot("traces")), timeout=30, what="report's span")

        def tier_of_web():
            run_python(K8S_SENDER, "127.0.0.2", endpoint, "web")
            return [s for s in spans(grpc_sink.snapshot("traces"))
                    if s.name == "web" and s.resource.get("k8s.pod.labels.tier") == "frontend"]

        # The MODIFIED event may land after the first span: a new lookup each time.
        wait_until(tier_of_web, timeout=30, what="web-0's span with the watched label")
    finally:
        api.stop()

    by_name = {s.name: s for s in spans(grpc_sink.snapshot("traces"))}
    k8s = lambda span: {k: v for k, v in span.resource.items() if k.startswith("k8s.") or k == "team"}
    assert k8s(by_name["report"]) == {
        "k8s.namespace.name": "batch",
        "k8s.pod.name": "report-29150000-abcde",
        "k8s.pod.uid": "8d9e0f1a-4444-4555-8666-777788889999",
        "k8s.pod.start_time": "2026-11-26T09:00:00Z",
        "k8s.node.name": "node-a",
    }
    assert k8s(by_name["web"]) == {
        "k8s.namespace.name": "shop",
        "k8s.pod.name": "web-0",
        "k8s.pod.uid": "7c8d9e0f-3333-4444-8555-666677778888",
        "k8s.pod.start_time": "2026-11-21T12:30:00Z",
        "k8s.node.name": "node-a",
        "k8s.pod.labels.tier": "frontend",
    }
    # What sonde asked: this node's pods only, with the kubeconfig's token.
    path, query, auth = api.requests[0]
    assert (path, query.get("fieldSelector"), auth) == (
        "/api/v1/pods", "spec.nodeName=node-a", "Bearer recorded-token")
