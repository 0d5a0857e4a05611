"""Config builders: an OTLP-in pipeline with free ports for everything sonde listens on.

Every config gets a health_check extension (how readiness is detected) and the
internal metrics on their own port, so tests never touch the default ports
(4317, 4318, 8888, 13133) and can run beside other collectors.
"""

from dataclasses import dataclass, field

from .ports import free_port


@dataclass
class Ports:
    grpc: int = field(default_factory=free_port)
    http: int = field(default_factory=free_port)
    health: int = field(default_factory=free_port)
    metrics: int = field(default_factory=free_port)


def otlp_exporter(sink_port: int, **overrides) -> dict:
    cfg = {"endpoint": f"127.0.0.1:{sink_port}", "tls": {"insecure": True}}
    cfg.update(overrides)
    return cfg


def otlphttp_exporter(sink_port: int, **overrides) -> dict:
    cfg = {"endpoint": f"http://127.0.0.1:{sink_port}"}
    cfg.update(overrides)
    return cfg


def pipeline(ports: Ports, exporters: dict, *, processors: dict | None = None,
             signals=("traces", "metrics", "logs"), receiver: dict | None = None) -> dict:
    """otlp receiver (gRPC + HTTP) -> processors (in dict order) -> exporters, one
    pipeline per signal."""
    processors = processors or {}
    otlp = receiver or {
        "protocols": {
            "grpc": {"endpoint": f"127.0.0.1:{ports.grpc}"},
            "http": {"endpoint": f"127.0.0.1:{ports.http}"},
        }
    }
    return {
        "receivers": {"otlp": otlp},
        "processors": processors,
        "exporters": exporters,
        "extensions": {"health_check": {"endpoint": f"127.0.0.1:{ports.health}"}},
        "service": {
            "extensions": ["health_check"],
            "telemetry": {
                "logs": {"level": "info"},
                "metrics": {"readers": [{"pull": {"exporter": {"prometheus": {
                    "host": "127.0.0.1", "port": ports.metrics}}}}]},
            },
            "pipelines": {
                signal: {
                    "receivers": ["otlp"],
                    "processors": list(processors),
                    "exporters": list(exporters),
                } for signal in signals
            },
        },
    }
