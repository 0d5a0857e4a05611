"""sonde with the `ebpf` and `otlp` receivers, run as an unprivileged user
(nobody, through `setpriv`): it logs one line saying eBPF is off and why (no
root, no CAP_BPF), and serves OTLP as usual."""

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import psutil
import pytest

from sondetest.ebpf import ebpf_config, require_tools, run_python
from sondetest.ports import free_port
from sondetest.telemetry import spans
from sondetest.wait import wait_until

NOBODY = 65534

SDK_ONE_SPAN = r"""
import json, sys
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

provider = TracerProvider(resource=Resource.create({"service.name": "otlp-still-works"}))
provider.add_span_processor(SimpleSpanProcessor(
    OTLPSpanExporter(endpoint=f"127.0.0.1:{sys.argv[1]}", insecure=True)))
with provider.get_tracer("sondetest.sdk").start_as_current_span("hello") as span:
    context = span.get_span_context()
provider.shutdown()
print(json.dumps({"trace_id": format(context.trace_id, "032x"),
                  "span_id": format(context.span_id, "016x")}))
"""


@pytest.fixture
def world_readable_dir():
    """A directory nobody can read: pytest's temp dirs are private to root."""
    path = Path(tempfile.mkdtemp(prefix="sonde-nobody-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


# world_readable_dir comes first: set up before start_sonde, it is removed after
# start_sonde has stopped sonde and printed its log.
def test_unprivileged_sonde_says_why_ebpf_is_off_and_serves_otlp(world_readable_dir,
                                                                 start_sonde, sonde_bin,
                                                                 grpc_sink, ports):
    if os.geteuid() != 0:
        reason = "switching to an unprivileged user with setpriv needs root"
        print(f"SKIP: {reason}", file=sys.stderr)
        pytest.skip(reason)
    require_tools("setpriv")
    binary = world_readable_dir / "sonde"
    shutil.copy(sonde_bin, binary)
    binary.chmod(0o755)

    config = ebpf_config(ports, grpc_sink.port, [free_port()])
    sonde = start_sonde(config, ports, binary=str(binary), workdir=world_readable_dir,
                        wrapper=["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}",
                                 "--clear-groups", "--"])
    assert sonde.config_path.stat().st_mode & 0o004, "the config must be readable by nobody"
    assert psutil.Process(sonde.pid).uids().effective == NOBODY

    _, out = run_python(SDK_ONE_SPAN, str(ports.grpc))
    sent = json.loads(out)
    wait_until(lambda: [s for s in spans(grpc_sink.snapshot("traces"))
                        if s.span_id == sent["span_id"]], timeout=30, what="the SDK span")
    assert sonde.stop() == 0

    [span] = [s for s in spans(grpc_sink.snapshot("traces")) if s.span_id == sent["span_id"]]
    assert span.trace_id == sent["trace_id"]
    assert span.name == "hello"
    assert span.resource["service.name"] == "otlp-still-works"

    log = sonde.log()
    off = [line for line in log.splitlines() if "eBPF is off" in line]
    assert len(off) == 1, f"expected one 'eBPF is off' line:\n{log}"
    assert "WARN" in off[0], off[0]
    assert "root" in off[0] and "CAP_BPF" in off[0], off[0]
    assert "eBPF receiver tracing" not in log
