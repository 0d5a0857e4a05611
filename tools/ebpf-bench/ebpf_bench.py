#!/usr/bin/env python3
"""What tracing costs: nginx under load with and without sonde's eBPF receiver.

A benchmark, not a test: it prints figures beside the goals and asserts nothing.
Needs root (for eBPF), nginx, wrk and hey (redis-server and redis-benchmark, or
PostgreSQL 15 and pgbench, for the other workloads). Runs, on 127.0.0.1:

* saturation: `wrk` as fast as it can, without sonde, then with sonde tracing;
  throughput, p50/p99 latency, and sonde's CPU per 1,000 requests traced;
* fixed rate: `hey` at 1,000 requests/s, without and with sonde; p50/p99 and
  sonde's CPU as a share of one core;
* with `--floor` instead: nginx under `wrk` with nothing attached, with
  programs that do nothing on the same syscall tracepoints (and on the raw
  sys_enter/sys_exit tracepoints), and with sonde, alternating, a few rounds:
  what the hooks cost before any work is done in them;
* with `--workload redis` or `--workload pgbench` instead: redis-server under
  `redis-benchmark` (SET and GET, 16 connections, pipelines of 16), or
  PostgreSQL under `pgbench` (select-only, 4 clients), each as fast as it goes,
  without and with sonde: operations/s, the loss, and sonde's CPU per 1,000
  operations.

sonde runs `ebpf -> debug (basic)`, its output thrown away, so what is measured
is the receiver's own work: capture, parsing, joining, spans and metrics.
"""

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit(f"nothing listens on {port} after {timeout}s")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of stat; index 11 and 12 after the comm.
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def start_nginx(work: Path, port: int) -> subprocess.Popen:
    # The worker runs as an unprivileged user: the page must be readable to it
    # (a temporary directory is 0700), or every answer is a 403.
    work.chmod(0o755)
    body = work / "www"
    body.mkdir()
    (body / "index.html").write_text("<html><body>" + "x" * 512 + "</body></html>\n")
    conf = work / "nginx.conf"
    conf.write_text(f"""
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port};
        root {body};
    }}
}}
""")
    proc = subprocess.Popen(["nginx", "-c", str(conf), "-g", "daemon off;"])
    wait_port(port)
    return proc


def start_redis(work: Path, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no", "--dir", str(work)],
                            stdout=subprocess.DEVNULL)
    wait_port(port)
    return proc


def run_redis_benchmark(port: int, seconds: int) -> dict:
    """SET and GET, 16 connections, pipelines of 16, sized to last about `seconds`."""
    n = 150_000 * seconds
    out = subprocess.run(["redis-benchmark", "-p", str(port), "-t", "set,get", "-n", str(n),
                          "-c", "16", "-P", "16", "--csv"],
                         capture_output=True, text=True, check=True).stdout
    rates = [float(row.split(",")[1].strip('"')) for row in out.splitlines()[1:] if row]
    return {"requests": 2 * n, "rps": 2 * n / sum(n / r for r in rates)}


PG_BIN = Path("/usr/lib/postgresql/15/bin")


def start_postgres(work: Path, port: int) -> subprocess.Popen:
    data = work / "pg"
    data.mkdir()
    shutil.chown(data, "postgres")
    os.chmod(work, 0o755)
    as_pg = ["runuser", "-u", "postgres", "--"]
    subprocess.run([*as_pg, str(PG_BIN / "initdb"), "-D", str(data), "--auth=trust",
                    "--no-sync"], check=True, capture_output=True)
    proc = subprocess.Popen([*as_pg, str(PG_BIN / "postgres"), "-D", str(data), "-p", str(port),
                             "-k", str(data), "-c", "listen_addresses=127.0.0.1",
                             "-c", "fsync=off"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    wait_port(port)
    time.sleep(1)
    subprocess.run(["pgbench", "-i", "-s", "4", "-q", *pg_conn(port)], check=True,
                   capture_output=True, env=pg_env())
    return proc


def pg_conn(port: int) -> list[str]:
    return ["-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "postgres"]


def pg_env() -> dict:
    return {**os.environ, "PGSSLMODE": "disable"}


def run_pgbench(port: int, seconds: int) -> dict:
    """Select-only transactions (one statement each), 4 clients, 2 threads."""
    out = subprocess.run(["pgbench", "-n", "-S", "-c", "4", "-j", "2", "-T", str(seconds),
                          *pg_conn(port)], capture_output=True, text=True, check=True,
                         env=pg_env()).stdout
    done = int(re.search(r"number of transactions actually processed: (\d+)", out).group(1))
    return {"requests": done, "rps": done / seconds}


def start_sonde(binary: str, work: Path, port: int) -> subprocess.Popen:
    conf = work / "sonde.yaml"
    conf.write_text(f"""
receivers:
  ebpf:
    include_ports: [{port}]
exporters:
  debug:
    verbosity: basic
service:
  pipelines:
    traces: {{receivers: [ebpf], exporters: [debug]}}
    metrics: {{receivers: [ebpf], exporters: [debug]}}
  telemetry:
    logs: {{level: info}}
    metrics: {{level: none}}
""")
    log = work / "sonde.log"
    proc = subprocess.Popen([binary, "--config", str(conf)],
                            stdout=subprocess.DEVNULL, stderr=open(log, "w"))
    # The kernel verifies the programs for several seconds of CPU: measuring
    # before that is over would charge it to the run.
    deadline = time.monotonic() + 120
    while "eBPF capture started" not in log.read_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise SystemExit(f"sonde did not start capturing: {log.read_text()}")
        time.sleep(0.2)
    time.sleep(1)
    return proc


def with_sonde(binary: str, work: Path, port: int, run):
    """`run(sonde)` with a fresh sonde tracing `port`, stopped after."""
    sonde = start_sonde(binary, work, port)
    try:
        return run(sonde)
    finally:
        sonde.send_signal(signal.SIGTERM)
        sonde.wait(timeout=60)


def millis(value: str, unit: str) -> float:
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


def run_wrk(port: int, seconds: int, connections: int) -> dict:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
         f"http://127.0.0.1:{port}/"],
        capture_output=True, text=True, check=True).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    # Figures of error answers measure something else: refuse them.
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if failed:
        raise SystemExit(f"wrk: {failed.group(1)} of {requests} answers were not 2xx/3xx")
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    return {"requests": requests, "rps": requests / seconds,
            "p50": millis(*p50.groups()), "p99": millis(*p99.groups())}


def run_hey(port: int, seconds: int, rate: int, workers: int) -> dict:
    out = subprocess.run(
        ["hey", "-z", f"{seconds}s", "-c", str(workers), "-q", str(rate // workers),
         f"http://127.0.0.1:{port}/"],
        capture_output=True, text=True, check=True).stdout
    p50 = float(re.search(r"50%+ in ([\d.]+) secs", out).group(1)) * 1e3
    p99 = float(re.search(r"99%+ in ([\d.]+) secs", out).group(1)) * 1e3
    codes = re.findall(r"\[(\d+)\]\s+(\d+) responses", out)
    requests = sum(int(n) for _, n in codes)
    failed = sum(int(n) for code, n in codes if not code.startswith(("2", "3")))
    if failed:
        raise SystemExit(f"hey: {failed} of {requests} answers were not 2xx/3xx")
    return {"requests": requests, "rps": requests / seconds, "p50": p50, "p99": p99}


def measured(sonde: subprocess.Popen | None, run):
    before = cpu_seconds(sonde.pid) if sonde else 0.0
    start = time.monotonic()
    result = run()
    result["wall"] = time.monotonic() - start
    result["sonde_cpu"] = (cpu_seconds(sonde.pid) - before) if sonde else 0.0
    return result


def missing_tool(*tools: str) -> bool:
    """Says which of `tools` is not installed, if one is not."""
    for tool in tools:
        if shutil.which(tool) is None:
            print(f"ebpf-bench: {tool} not found (apt-get install it; nginx-light has nginx)",
                  file=sys.stderr)
            return True
    return False


def print_rows(title: str, rows: list[tuple[str, str, str]]) -> None:
    print(f"ebpf-bench: {title}")
    width = max(len(r[0]) for r in rows)
    for name, figure, goal in rows:
        print(f"{name:<{width}}  {figure:>26}  {goal}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sonde", default=None, help="release sonde binary")
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--rate", type=int, default=1000)
    ap.add_argument("--workload", choices=("nginx", "redis", "pgbench"), default="nginx")
    ap.add_argument("--floor", action="store_true",
                    help="nginx under wrk: nothing, empty programs on the hooks, sonde")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of --floor")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("ebpf-bench: needs root (the eBPF receiver does)", file=sys.stderr)
        return 2
    target = os.environ.get("CARGO_TARGET_DIR", "/var/cache/sonde-target")
    binary = args.sonde or f"{target}/release/sonde"
    if args.workload != "nginx":
        return saturation_only(args, binary)
    if args.floor:
        return floor(args, binary)
    if missing_tool("nginx", "wrk", "hey"):
        return 2

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        port = free_port()
        nginx = start_nginx(work, port)
        try:
            run_wrk(port, 2, args.connections)  # warm-up
            results = {
                "sat_off": measured(None, lambda: run_wrk(port, args.seconds, args.connections)),
                "rate_off": measured(None, lambda: run_hey(port, args.seconds, args.rate, 4)),
            }
            # A fresh sonde per run: a saturation run leaves a backlog that would
            # be charged to the next run otherwise.
            for name, run in (
                ("rate_on", lambda: run_hey(port, args.seconds, args.rate, 4)),
                ("sat_on", lambda: run_wrk(port, args.seconds, args.connections)),
            ):
                results[name] = with_sonde(binary, work, port,
                                           lambda sonde, run=run: measured(sonde, run))
        finally:
            nginx.send_signal(signal.SIGQUIT)
            nginx.wait(timeout=10)

    sat_off, rate_off = results["sat_off"], results["rate_off"]
    sat_on, rate_on = results["sat_on"], results["rate_on"]
    loss = 100.0 * (1 - sat_on["rps"] / sat_off["rps"])
    sat_cpu_per_k = 1e3 * sat_on["sonde_cpu"] / max(sat_on["requests"], 1)
    rate_share = 100.0 * rate_on["sonde_cpu"] / rate_on["wall"]
    rate_cpu_per_k = 1e3 * rate_on["sonde_cpu"] / max(rate_on["requests"], 1)
    rows = [
        ("saturation (wrk): requests/s without / with sonde",
         f"{sat_off['rps']:,.0f} / {sat_on['rps']:,.0f}", ""),
        ("saturation: throughput loss", f"{loss:.1f} %", "<= 5 %"),
        ("saturation: p50 / p99 without", f"{sat_off['p50']:.2f} / {sat_off['p99']:.2f} ms", ""),
        ("saturation: p50 / p99 with sonde", f"{sat_on['p50']:.2f} / {sat_on['p99']:.2f} ms", ""),
        ("saturation: sonde CPU per 1,000 requests", f"{sat_cpu_per_k * 1e3:.1f} ms", ""),
        (f"fixed rate (hey, {args.rate}/s): requests without / with",
         f"{rate_off['requests']:,} / {rate_on['requests']:,}", ""),
        ("fixed rate: p50 / p99 without", f"{rate_off['p50']:.2f} / {rate_off['p99']:.2f} ms", ""),
        ("fixed rate: p50 / p99 with sonde", f"{rate_on['p50']:.2f} / {rate_on['p99']:.2f} ms", ""),
        ("fixed rate: sonde CPU", f"{rate_share:.2f} % of one core", "<= 3 %"),
        ("fixed rate: sonde CPU per 1,000 requests", f"{rate_cpu_per_k * 1e3:.1f} ms", ""),
    ]
    print_rows(f"nginx (1 worker) on 127.0.0.1, {args.seconds} s per run, "
               f"wrk -c{args.connections}, hey -c4", rows)
    return 0


FLOOR_DIR = Path(__file__).resolve().parent / "floor"
BPF_INCLUDE = Path(__file__).resolve().parents[2] / "bpf"


def empty_programs_on_sondes_syscall_hooks() -> str:
    """C source of one do-nothing program per syscall tracepoint sonde's kernel
    side attaches to, read from its sections, so the floor follows the hooks."""
    sections = re.findall(r'SEC\("(tracepoint/syscalls/\w+)"\)', (BPF_INCLUDE / "sonde.bpf.c").read_text())
    programs = "".join(f'SEC("{section}")\nint empty_{i}(void *ctx) {{ return 0; }}\n'
                       for i, section in enumerate(sections))
    return ('#include "vmlinux.h"\n#include <bpf/bpf_helpers.h>\n'
            'char LICENSE[] SEC("license") = "GPL";\n' + programs)


def build_floor(work: Path) -> dict[str, list[str]]:
    """Compiles the empty programs and their libbpf loader; the commands that
    attach each set."""
    (work / "floor.bpf.c").write_text(empty_programs_on_sondes_syscall_hooks())
    for source in (work / "floor.bpf.c", FLOOR_DIR / "raw.bpf.c"):
        subprocess.run(["clang", "-O2", "-g", "-target", "bpf", "-I", str(BPF_INCLUDE),
                        "-c", str(source), "-o", str(work / source.name.replace(".c", ".o"))],
                       check=True)
    subprocess.run(["cc", "-O2", str(FLOOR_DIR / "attach.c"), "-o", str(work / "attach"), "-lbpf"],
                   check=True)
    return {
        "empty programs on sonde's syscall tracepoints": [str(work / "attach"), str(work / "floor.bpf.o")],
        "empty programs on raw sys_enter / sys_exit": [str(work / "attach"), str(work / "raw.bpf.o")],
    }


def attached(command: list[str], run):
    """Runs `run` while `command` holds its programs attached."""
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    if proc.stderr.readline().strip() != "attach: ready":
        proc.wait()
        raise SystemExit(f"ebpf-bench: {' '.join(command)} failed: {proc.stderr.read()}")
    try:
        return run()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def floor(args, binary: str) -> int:
    """nginx at saturation: nothing attached, empty programs, sonde; rounds
    alternate so drift in the machine lands on every setting alike."""
    if missing_tool("nginx", "wrk", "clang", "cc"):
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        hooks = build_floor(work)
        port = free_port()
        nginx = start_nginx(work, port)
        runs: dict[str, list[float]] = {"nothing attached": [], **{k: [] for k in hooks}, "sonde": []}
        try:
            run_wrk(port, 2, args.connections)  # warm-up
            load = lambda: run_wrk(port, args.seconds, args.connections)["rps"]
            for _ in range(args.rounds):
                runs["nothing attached"].append(load())
                for name, command in hooks.items():
                    runs[name].append(attached(command, load))
                runs["sonde"].append(with_sonde(binary, work, port, lambda _: load()))
        finally:
            nginx.send_signal(signal.SIGQUIT)
            nginx.wait(timeout=10)
    median = {name: sorted(v)[len(v) // 2] for name, v in runs.items()}
    base = median["nothing attached"]
    rows = [(name, f"{rps:,.0f} req/s ({100 * (rps / base - 1):+.1f} %)", "")
            for name, rps in median.items()]
    print_rows(f"nginx (1 worker) under wrk -c{args.connections}, {args.seconds} s per run, "
               f"median of {args.rounds} rounds", rows)
    return 0


WORKLOADS = {
    "redis": (("redis-server", "redis-benchmark"), start_redis, run_redis_benchmark,
              "redis-server under redis-benchmark (SET+GET, -c16 -P16)"),
    "pgbench": (("pgbench",), start_postgres, run_pgbench,
                "PostgreSQL 15 under pgbench (select-only, -c4 -j2)"),
}


def saturation_only(args, binary: str) -> int:
    """A server as fast as its benchmark drives it, without and with sonde."""
    tools, start, run, title = WORKLOADS[args.workload]
    if missing_tool(*tools):
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        port = free_port()
        server = start(work, port)
        try:
            run(port, 2)  # warm-up
            off = measured(None, lambda: run(port, args.seconds))
            on = with_sonde(binary, work, port,
                            lambda sonde: measured(sonde, lambda: run(port, args.seconds)))
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    loss = 100.0 * (1 - on["rps"] / off["rps"])
    rows = [
        ("operations/s without / with sonde", f"{off['rps']:,.0f} / {on['rps']:,.0f}", ""),
        ("throughput loss", f"{loss:.1f} %", "<= 5 %"),
        ("sonde CPU per 1,000 operations",
         f"{1e6 * on['sonde_cpu'] / max(on['requests'], 1):.1f} ms", ""),
    ]
    print_rows(f"{title} on 127.0.0.1, {args.seconds} s per run", rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
