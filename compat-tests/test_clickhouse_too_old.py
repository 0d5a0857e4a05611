"""sonde against a ClickHouse too old for contrib's schema: Debian's real
clickhouse-server 18.16 (no Map, no DateTime64, no codecs, no TTL, no async_insert).
The clickhouse exporter asks the version at start and sonde exits with one error
naming what the server lacks and the minimum version, before any DDL.

Needs the `clickhouse-server` package (apt); skipped, saying so, without it.
"""

import shutil
import subprocess
import time
import urllib.parse
import urllib.request

import pytest
import yaml

from sondetest.configs import Ports, pipeline
from sondetest.ports import free_port, port_open
from sondetest.process import run_cli

SERVER = "/usr/sbin/clickhouse-server"
CONFIG = """<yandex>
  <logger><level>information</level><console>1</console></logger>
  <http_port>{http}</http_port>
  <tcp_port>{tcp}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>{data}/</path>
  <tmp_path>{data}/tmp/</tmp_path>
  <user_files_path>{data}/user_files/</user_files_path>
  <format_schema_path>{data}/format_schemas/</format_schema_path>
  <users_config>/etc/clickhouse-server/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>536870912</mark_cache_size>
</yandex>
"""


@pytest.fixture
def clickhouse_18(tmp_path):
    """Debian's clickhouse-server on free loopback ports, its data in the test's dir."""
    if not shutil.which(SERVER):
        pytest.skip(f"no {SERVER}: apt-get install clickhouse-server")
    http = free_port()
    config = tmp_path / "clickhouse.xml"
    config.write_text(CONFIG.format(http=http, tcp=free_port(), data=tmp_path / "ch"))
    log_path = tmp_path / "clickhouse.log"
    log = open(log_path, "w")
    proc = subprocess.Popen([SERVER, f"--config-file={config}"], stdout=log, stderr=log)
    log.close()
    try:
        deadline = time.time() + 60
        while not port_open(http):
            assert proc.poll() is None, log_path.read_text()
            assert time.time() < deadline, "clickhouse-server did not start"
            time.sleep(0.2)
        yield http
    finally:
        proc.kill()
        proc.wait()


def test_too_old_server_fails_the_start_with_one_error(clickhouse_18, sonde_bin, tmp_path):
    with urllib.request.urlopen(
            f"http://127.0.0.1:{clickhouse_18}/?query=SELECT%20version()", timeout=10) as r:
        version = r.read().decode().strip()
    assert version.startswith("18.16.")

    ports = Ports()
    exporter = {"clickhouse": {"endpoint": f"http://127.0.0.1:{clickhouse_18}",
                               "database": "otel"}}
    path = tmp_path / "sonde.yaml"
    path.write_text(yaml.safe_dump(pipeline(ports, exporter, signals=("traces",))))
    result = run_cli(sonde_bin, ["--config", str(path)], timeout=60)

    assert result.returncode != 0
    output = result.stdout + result.stderr
    want = (f"ClickHouse {version} is too old for the OpenTelemetry schema: it lacks column "
            "compression codecs (CODEC) (ClickHouse 19.1), TTL (ClickHouse 19.6), the "
            "DateTime64 type (ClickHouse 20.1), the Map type (ClickHouse 21.1), the "
            "async_insert setting (ClickHouse 21.11); the clickhouse exporter needs "
            "ClickHouse 21.11 or newer")
    assert output.count(want) == 1, output
    # Refused before any DDL: the database was never created.
    query = urllib.parse.quote("SELECT count() FROM system.databases WHERE name = 'otel'")
    with urllib.request.urlopen(
            f"http://127.0.0.1:{clickhouse_18}/?query={query}", timeout=10) as r:
        assert r.read().decode().strip() == "0"
