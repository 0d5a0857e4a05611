"""The real Prometheus 2.42 (apt `prometheus`) as a remote-write sender: it scrapes a
fixed exposition served by Python's http.server every half second and remote-writes
what it scraped to a receiver, sending its metric metadata on its own too."""

import shutil

from .ebpf import PythonServer, wait_port
from .ports import free_port

PROMETHEUS = shutil.which("prometheus")

EXPOSITION = b"""\
# HELP shop_orders_total Orders placed.
# TYPE shop_orders_total counter
shop_orders_total{method="card"} 42
shop_orders_total{method="cash"} 7
# HELP shop_queue_depth Orders waiting.
# TYPE shop_queue_depth gauge
shop_queue_depth{queue="fast"} 3
shop_queue_depth{queue="slow"} 11.5
# HELP shop_request_seconds Request latency.
# TYPE shop_request_seconds histogram
shop_request_seconds_bucket{path="/buy",le="0.1"} 4
shop_request_seconds_bucket{path="/buy",le="0.5"} 9
shop_request_seconds_bucket{path="/buy",le="+Inf"} 10
shop_request_seconds_sum{path="/buy"} 2.75
shop_request_seconds_count{path="/buy"} 10
# HELP shop_gc_seconds GC pauses.
# TYPE shop_gc_seconds summary
shop_gc_seconds{quantile="0.5"} 0.002
shop_gc_seconds{quantile="0.99"} 0.015
shop_gc_seconds_sum 0.4
shop_gc_seconds_count 120
"""

PROM_CONFIG = """\
global:
  scrape_interval: 500ms
  scrape_timeout: 500ms
scrape_configs:
  - job_name: shop/cart
    static_configs:
      - targets: ["127.0.0.1:{target}"]
remote_write:
  - url: http://127.0.0.1:{receiver}{path}
    remote_timeout: 5s
    queue_config:
      batch_send_deadline: 200ms
      max_samples_per_send: 5000
      min_shards: 1
      max_shards: 1
      min_backoff: 50ms
      max_backoff: 500ms
    metadata_config:
      send: true
      send_interval: 1s
"""


def start_prometheus(peers, tmp_path, receiver_port: int, path: str = "/api/v1/write") -> int:
    """Starts Prometheus writing to `path` on the receiver; returns the target's port."""
    target = free_port()
    PythonServer(peers, target, {"/metrics": EXPOSITION})
    config = tmp_path / "prometheus.yml"
    config.write_text(PROM_CONFIG.format(target=target, receiver=receiver_port, path=path))
    web = free_port()
    proc = peers.spawn("prometheus", [
        PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{web}"])
    wait_port(web, proc, "prometheus", timeout=30)
    return target
