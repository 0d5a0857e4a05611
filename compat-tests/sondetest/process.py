"""Starts, watches and stops one `sonde` process, and runs its one-shot CLI commands.

The process's stdout and stderr go to a file in the test's temp dir; the fixture
prints that file when the test ends, so pytest shows it beside a failure.
"""

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import yaml

from .ports import port_open


def default_binary() -> str:
    target = os.environ.get("CARGO_TARGET_DIR", "/var/cache/sonde-target")
    return os.environ.get("SONDE_BIN", os.path.join(target, "debug", "sonde"))


def run_cli(binary: str, args: list[str], env: dict[str, str] | None = None,
            cwd: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """Runs `sonde ARGS` to completion; stdout and stderr are captured as text."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([binary, *args], capture_output=True, text=True, env=full_env,
                          cwd=cwd, timeout=timeout)


class SondeExited(AssertionError):
    pass


class Sonde:
    def __init__(self, binary: str, workdir: Path, name: str = "sonde"):
        self.binary = binary
        self.workdir = Path(workdir)
        self.name = name
        self.proc: subprocess.Popen | None = None
        self.config_path = self.workdir / f"{name}.yaml"
        self.log_path = self.workdir / f"{name}.log"
        self.health_port: int | None = None

    # -- lifecycle --------------------------------------------------------------

    def start(self, config: dict | str, *, extra_args: list[str] = (), env: dict | None = None,
              health_port: int | None = None, wait_ports: list[int] = (), timeout: float = 30,
              wrapper: list[str] = ()):
        """Writes `config` (a dict is dumped as YAML) and starts `sonde --config FILE`,
        then waits until the health check answers 200 and every port in `wait_ports`
        accepts connections. `wrapper` goes before the command (e.g. `setpriv ...`,
        which execs sonde: the pid stays sonde's)."""
        text = config if isinstance(config, str) else yaml.safe_dump(config, sort_keys=False)
        self.config_path.write_text(text)
        full_env = dict(os.environ)
        full_env.setdefault("RUST_BACKTRACE", "1")
        full_env.update(env or {})
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [*wrapper, self.binary, "--config", str(self.config_path), *extra_args],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=full_env)
        log.close()
        self.health_port = health_port
        self.wait_ready(wait_ports, timeout)
        return self

    def wait_ready(self, wait_ports: list[int], timeout: float):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            if self._healthy() and all(port_open(p) for p in wait_ports):
                return
            time.sleep(0.05)
        raise AssertionError(f"{self.name} not ready after {timeout}s; log:\n{self.log()}")

    def _healthy(self) -> bool:
        if self.health_port is None:
            return True
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.health_port}/", timeout=1) as r:
                return r.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def check_alive(self):
        if self.proc is None:
            raise SondeExited(f"{self.name} was never started")
        code = self.proc.poll()
        if code is not None:
            raise SondeExited(f"{self.name} exited with {code}; log:\n{self.log()}")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def rss_bytes(self) -> int:
        return psutil.Process(self.pid).memory_info().rss

    def terminate(self):
        """Sends SIGTERM without waiting."""
        if self.running():
            self.proc.send_signal(signal.SIGTERM)

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM, then waits for the exit code. Kills (and fails) if it hangs."""
        assert self.proc is not None
        self.terminate()
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"{self.name} did not exit {timeout}s after SIGTERM; log:\n{self.log()}")

    def kill(self):
        """Finaliser: makes sure the process is gone, whatever happened in the test."""
        if self.running():
            self.proc.kill()
            self.proc.wait()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""
