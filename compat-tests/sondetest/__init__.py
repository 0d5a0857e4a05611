"""Test harness for running the built `sonde` binary against real OTLP peers.

Modules:
  ports    -- free loopback ports
  process  -- start / wait for / stop a sonde process, and run its CLI
  configs  -- YAML config builders for the usual pipelines
  sink     -- OTLP sinks (gRPC and HTTP) that record what sonde exports
  metrics  -- read sonde's internal Prometheus metrics
  otlpdata -- build OTLP requests with known, unique ids and flatten them for comparison
  client   -- a raw gRPC OTLP client that reports, per request, whether sonde accepted it
  ebpf     -- the eBPF tests' skip rule, config, and real peers (http.server, nginx, curl, hey)
  telemetry -- received spans and histogram points as flat records; span trees
"""
