"""The eBPF receiver's end-to-end harness: whether this machine can run it, a
sonde config with `ebpf` next to `otlp`, and the real peers it watches.

* `skip_unless_ebpf()` skips (with a printed reason) unless root and BTF are here.
* `ebpf_config(...)` is `sondetest.configs.pipeline` plus the `ebpf` receiver in
  the traces and metrics pipelines, limited to the test's own ports.
* `PythonServer`, `Nginx`, `curl`, `hey` run the peers on 127.0.0.1 (or ::1); every
  process is stopped by the `peers` fixture (conftest) whatever happens.

Spans and metrics are read with `sondetest.telemetry`.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from .configs import Ports, otlp_exporter, pipeline
from .ports import port_open
from .wait import wait_until

BTF = Path("/sys/kernel/btf/vmlinux")

# The real interpreter behind the venv's `python`: the executable the kernel sees.
PYTHON = os.path.realpath(sys.executable)
# The venv's own `python`: a peer that imports the venv's client libraries runs it.
VENV_PYTHON = sys.executable


def ebpf_unavailable() -> str | None:
    """Why the eBPF receiver cannot run here, or None when it can."""
    if os.geteuid() != 0:
        return "eBPF tests need root (the eBPF receiver loads programs into the kernel)"
    if not BTF.exists():
        return f"eBPF tests need kernel BTF: {BTF} is missing"
    return None


def skip_unless_ebpf():
    reason = ebpf_unavailable()
    if reason:
        print(f"SKIP: {reason}", file=sys.stderr)
        pytest.skip(reason)


def require_tools(*names: str):
    """Fails (does not skip) when a peer is not installed: CI installs them all."""
    missing = [n for n in names if shutil.which(n) is None]
    if missing:
        pytest.fail(f"missing peer programs {missing}: apt-get install "
                    f"{' '.join('nginx-light' if n == 'nginx' else n for n in missing)}",
                    pytrace=False)


def ebpf_config(ports: Ports, sink_port: int, include_ports: list[int], *,
                metrics_flush: str = "500ms", ebpf_overrides: dict | None = None) -> dict:
    """otlp + ebpf receivers -> otlp exporter to the sink. Spans are flushed every
    100 ms; only connections with one of `include_ports` at either end are traced,
    so other traffic on the host stays out."""
    cfg = pipeline(ports, {"otlp": otlp_exporter(sink_port)})
    ebpf = {
        "include_ports": list(include_ports),
        "span_flush_interval": "100ms",
        "metrics": {"flush_interval": metrics_flush},
    }
    ebpf.update(ebpf_overrides or {})
    cfg["receivers"]["ebpf"] = ebpf
    for signal_name in ("traces", "metrics"):
        cfg["service"]["pipelines"][signal_name]["receivers"] = ["otlp", "ebpf"]
    return cfg


def peer_env(**extra: str) -> dict[str, str]:
    """The test's environment without OTEL_* variables (a peer's service.name must
    not come from whoever runs the tests), plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(extra)
    return env


class Peers:
    """Background processes of one test; `stop_all` ends each one it started, by pid."""

    def __init__(self, workdir: Path):
        self.workdir = Path(workdir)
        self.procs: list[tuple[str, subprocess.Popen, Path]] = []

    def spawn(self, name: str, args: list[str], env: dict | None = None,
              cwd: str | None = None) -> subprocess.Popen:
        log_path = self.workdir / f"{name}-{len(self.procs)}.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, env=env or peer_env(), cwd=cwd)
        self.procs.append((name, proc, log_path))
        return proc

    def stop(self, proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 10):
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def stop_all(self):
        for _, proc, _ in reversed(self.procs):
            self.stop(proc)

    def logs(self) -> str:
        out = []
        for name, proc, path in self.procs:
            text = path.read_text(errors="replace") if path.exists() else ""
            out.append(f"----- {name} (pid {proc.pid}) -----\n{text}")
        return "\n".join(out)


def wait_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 20,
              host: str = "127.0.0.1"):
    def up():
        if proc.poll() is not None:
            raise AssertionError(f"{what} exited with {proc.returncode} before listening on {port}")
        return port_open(port, host)
    wait_until(up, timeout=timeout, interval=0.05, what=f"{what} on port {port}")


class PythonServer:
    """`python -m http.server PORT` on 127.0.0.1, serving `files` ({path: body})."""

    def __init__(self, peers: Peers, port: int, files: dict[str, bytes], *,
                 protocol: str = "HTTP/1.0", service_name: str | None = None,
                 bind: str = "127.0.0.1"):
        self.port = port
        root = peers.workdir / f"www-{port}"
        for rel, body in files.items():
            path = root / rel.lstrip("/")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)
        root.mkdir(parents=True, exist_ok=True)
        env = peer_env(**({"OTEL_SERVICE_NAME": service_name} if service_name else {}))
        self.proc = peers.spawn(f"http.server-{port}", [
            PYTHON, "-m", "http.server", str(port), "--bind", bind,
            "--directory", str(root), "--protocol", protocol], env=env)
        wait_port(port, self.proc, "python http.server", host=bind)

    @property
    def pid(self) -> int:
        return self.proc.pid


_NGINX_CONF = """\
daemon off;
master_process on;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log info;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    keepalive_requests 100000;
{http_extra}
    server {{
        listen 127.0.0.1:{port}{listen_flags};
{locations}
    }}
}}
"""


class Nginx:
    """nginx with its own config, pid, logs and temp paths, listening on
    127.0.0.1:`port` (never port 80). `routes` maps an exact path to (status,
    body); `proxy_port` sends every other path to a backend on that port;
    `http_extra` goes into the `http` block; `http2` serves HTTP/2 without TLS
    (h2c, prior knowledge) instead of HTTP/1."""

    def __init__(self, peers: Peers, port: int, *, routes: dict[str, tuple[int, str]] = None,
                 proxy_port: int | None = None, http_extra: str = "", http2: bool = False):
        self.port = port
        self.peers = peers
        self.dir = peers.workdir / f"nginx-{port}"
        self.dir.mkdir(parents=True, exist_ok=True)
        locations = []
        for path, (status, body) in (routes or {}).items():
            locations.append(f'        location = {path} {{ return {status} "{body}"; }}')
        if proxy_port is not None:
            locations.append(f"        location / {{ proxy_pass http://127.0.0.1:{proxy_port}; }}")
        conf = self.dir / "nginx.conf"
        conf.write_text(_NGINX_CONF.format(dir=self.dir, port=port, http_extra=http_extra,
                                           listen_flags=" http2" if http2 else "",
                                           locations="\n".join(locations)))
        check = subprocess.run(["nginx", "-t", "-c", str(conf), "-p", str(self.dir)],
                               capture_output=True, text=True)
        assert check.returncode == 0, f"nginx -t failed:\n{check.stderr}"
        self.proc = peers.spawn(f"nginx-{port}", ["nginx", "-c", str(conf), "-p", str(self.dir)])
        wait_port(port, self.proc, "nginx")
        # The master listens before it forks its worker: wait for the worker too.
        wait_until(lambda: len(self.worker_pids()) == 1, timeout=20, interval=0.05,
                   what="nginx's worker process")

    @property
    def master_pid(self) -> int:
        return self.proc.pid

    def worker_pids(self) -> list[int]:
        """The workers' pids: the processes that serve, and so own the spans."""
        return [c.pid for c in psutil.Process(self.proc.pid).children()]

    def stop(self):
        # SIGQUIT: graceful; the workers finish what they are writing.
        self.peers.stop(self.proc, signal.SIGQUIT)


def curl(*urls: str, agent: str = "sondetest-curl/1", extra: list[str] = ()) -> tuple[int, list[dict]]:
    """Runs one curl over `urls` (one connection when it can reuse it). Returns
    curl's pid and, per URL, its status, local port and connection count."""
    fmt = "%{http_code} %{local_port} %{num_connects}\\n"
    args = ["curl", "-sS", "-A", agent, "-w", fmt, *extra]
    for url in urls:
        # Each -o goes with one URL.
        args += ["-o", "/dev/null", url]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=peer_env())
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, f"curl {urls} failed ({proc.returncode}): {err}"
    rows = []
    for line in out.strip().splitlines():
        status, local_port, connects = line.split()
        rows.append({"status": int(status), "local_port": int(local_port),
                     "connects": int(connects)})
    assert len(rows) == len(urls), f"curl printed {out!r} for {urls}"
    return proc.pid, rows


_HEY_STATUS = re.compile(r"^\s*\[(\d{3})\]\s+(\d+) responses", re.M)


def hey(url: str, n: int, c: int, qps: int, *, keepalive: bool = True,
        timeout: float = 240) -> tuple[int, dict[int, int], str]:
    """Runs `hey -n N -c C -q QPS URL` (QPS is per worker); returns its pid, its
    status code distribution ({status: responses}) and its report."""
    args = ["hey", "-n", str(n), "-c", str(c), "-q", str(qps)]
    if not keepalive:
        args.append("-disable-keepalive")
    proc = subprocess.Popen([*args, url],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=peer_env())
    out, _ = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, f"hey failed ({proc.returncode}):\n{out}"
    statuses = {int(code): int(count) for code, count in _HEY_STATUS.findall(out)}
    assert statuses, f"no status code distribution in hey's report:\n{out}"
    return proc.pid, statuses, out


def run_python(script: str, *args: str, env: dict | None = None, timeout: float = 60) -> tuple[int, str]:
    """Runs `python -c SCRIPT ARGS` with the test's interpreter (so the SDK is
    importable); returns its pid and stdout. Fails on a non-zero exit."""
    proc = subprocess.Popen([sys.executable, "-c", script, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env or peer_env())
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, f"python script failed ({proc.returncode}):\n{err}"
    return proc.pid, out


def run_client(args: list[str], env: dict | None = None, timeout: float = 300) -> tuple[int, str]:
    """Runs a client program to its end; returns its pid (the traced process) and
    its output (stdout and stderr). Fails on a non-zero exit."""
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env or peer_env())
    out, _ = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, f"{args[0]} failed ({proc.returncode}):\n{out}"
    return proc.pid, out
