"""Fixtures shared by every compat test: the sonde binary, sonde processes that are
always cleaned up, free ports, and OTLP sinks."""

import os

import pytest

from sondetest.configs import Ports
from sondetest.ebpf import Peers, skip_unless_ebpf
from sondetest.process import Sonde, default_binary
from sondetest.sink import GrpcSink, HttpSink


@pytest.fixture(scope="session")
def sonde_bin() -> str:
    path = default_binary()
    if not os.access(path, os.X_OK):
        pytest.fail(f"no sonde binary at {path}: build it with `cargo build -p sonde` "
                    "or point SONDE_BIN at one", pytrace=False)
    return path


@pytest.fixture
def ports() -> Ports:
    return Ports()


@pytest.fixture
def start_sonde(sonde_bin, tmp_path):
    """`start_sonde(config, ports, ...)` starts a sonde and waits until it is ready.
    Every process is killed at the end of the test whatever happened, and its log
    is printed (pytest shows it when the test fails). `binary` and `workdir` replace
    the built binary and the test's temp dir (where the config and log go)."""
    started: list[Sonde] = []

    def start(config, ports: Ports | None = None, *, name: str = "sonde",
              wait_ports=None, binary: str | None = None, workdir=None, **kwargs) -> Sonde:
        sonde = Sonde(binary or sonde_bin, workdir or tmp_path, name=f"{name}-{len(started)}")
        started.append(sonde)
        if ports is not None:
            kwargs.setdefault("health_port", ports.health)
            wait_ports = [ports.grpc, ports.http] if wait_ports is None else wait_ports
        return sonde.start(config, wait_ports=wait_ports or [], **kwargs)

    yield start
    for sonde in started:
        sonde.kill()
        print(f"----- {sonde.name} log -----\n{sonde.log()}")


@pytest.fixture
def grpc_sink():
    sink = GrpcSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def http_sink():
    sink = HttpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def peers(tmp_path):
    """Real peers (servers, clients) started by the test, stopped at its end by
    pid; their output is printed (pytest shows it when the test fails)."""
    started = Peers(tmp_path)
    yield started
    started.stop_all()
    print(started.logs())


@pytest.fixture
def ebpf_required():
    """Skips the test, saying why, unless the eBPF receiver can run here (root, BTF)."""
    skip_unless_ebpf()
