"""The CLI beyond `validate`: config resolution seen at run time (${...} expansion,
the $$ escape, several --config merged, --set), `print-config` and `components`.

Resolution is checked end to end: the resolved values are where sonde listens
and the headers its exporter sends, and the sink reads them off the wire.
"""

from pathlib import Path

import grpc
import yaml

from sondetest.client import TraceClient
from sondetest.configs import Ports
from sondetest.otlpdata import trace_request
from sondetest.process import run_cli

BASE = """
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: ${env:SONDE_T_GRPC}
exporters:
  otlp:
    endpoint: ${SONDE_T_SINK}
    tls:
      insecure: true
    headers:
      x-literal: $${env:SONDE_T_WORD}
      x-mixed: prefix-${env:SONDE_T_WORD}-suffix
      x-default: ${env:SONDE_T_UNSET:-fallback}
      x-overridden: from-base
extensions:
  health_check:
    endpoint: ${env:SONDE_T_HEALTH}
service:
  extensions: [health_check]
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [otlp]
      exporters: []
"""

OVERLAY = """
exporters:
  otlp:
    headers:
      x-overlay: from-overlay
      x-overridden: from-overlay
service:
  pipelines:
    traces:
      exporters: [otlp]
"""


def test_expansion_merge_and_set_reach_the_wire(start_sonde, grpc_sink, tmp_path):
    ports = Ports()
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text(OVERLAY)
    env = {
        "SONDE_T_GRPC": f"127.0.0.1:{ports.grpc}",
        "SONDE_T_SINK": f"127.0.0.1:{grpc_sink.port}",
        "SONDE_T_HEALTH": f"127.0.0.1:{ports.health}",
        "SONDE_T_WORD": "word",
    }
    sonde = start_sonde(BASE, ports, wait_ports=[ports.grpc], env=env, extra_args=[
        "--config", str(overlay), "--set", "exporters.otlp.headers.x-set=from-set"])

    client = TraceClient(ports.grpc)
    assert client.send(trace_request(client=1, seq=1, n=3)) == grpc.StatusCode.OK
    client.close()
    assert grpc_sink.wait_for_items("traces", 3) == 3
    assert sonde.stop() == 0

    headers = grpc_sink.headers["traces"][0]
    assert headers["x-literal"] == "${env:SONDE_T_WORD}"
    assert headers["x-mixed"] == "prefix-word-suffix"
    assert headers["x-default"] == "fallback"
    assert headers["x-overlay"] == "from-overlay"
    assert headers["x-overridden"] == "from-overlay"
    assert headers["x-set"] == "from-set"


def test_print_config_shows_the_resolved_config(sonde_bin, tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(BASE)
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text(OVERLAY)
    result = run_cli(sonde_bin, ["print-config", "--config", str(config), "--config", str(overlay),
                                 "--set", "receivers.otlp.protocols.grpc.max_recv_msg_size_mib=8"],
                     env={"SONDE_T_GRPC": "127.0.0.1:24317", "SONDE_T_SINK": "sink.example:4317",
                          "SONDE_T_HEALTH": "127.0.0.1:23133"})
    assert result.returncode == 0, result.stderr
    tree = yaml.safe_load(result.stdout)
    grpc_cfg = tree["receivers"]["otlp"]["protocols"]["grpc"]
    assert grpc_cfg["endpoint"] == "127.0.0.1:24317"
    assert grpc_cfg["max_recv_msg_size_mib"] == 8
    assert tree["exporters"]["otlp"]["endpoint"] == "sink.example:4317"
    assert tree["service"]["pipelines"]["traces"]["exporters"] == ["otlp"]


def test_components_lists_the_default_distribution(sonde_bin):
    """`components` lists exactly the crates builder.yaml names, and among them the
    otelcol core components under their otelcol type names."""
    result = run_cli(sonde_bin, ["components"])
    assert result.returncode == 0, result.stderr
    listing = yaml.safe_load(result.stdout)
    manifest = yaml.safe_load((Path(__file__).parent.parent / "builder.yaml").read_text())
    kinds = ("receivers", "processors", "exporters", "extensions")
    modules = {kind: sorted(c["module"].split()[0] for c in listing[kind]) for kind in kinds}
    assert modules == {kind: sorted(c["crate"] for c in manifest.get(kind) or []) for kind in kinds}
    names = {kind: {c["name"] for c in listing[kind]} for kind in kinds}
    assert {"otlp"} <= names["receivers"]
    assert {"batch", "memory_limiter"} <= names["processors"]
    assert {"debug", "otlp", "otlphttp"} <= names["exporters"]
    assert {"health_check"} <= names["extensions"]


def test_validate_without_config_fails(sonde_bin):
    result = run_cli(sonde_bin, ["validate"])
    assert result.returncode != 0
    assert "at least one config flag must be provided" in result.stdout + result.stderr
