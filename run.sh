#!/usr/bin/env bash
# Builds and runs sonde with the default config (config/default.yaml): OTLP in on
# :4317/:4318, the eBPF receiver tracing every process's HTTP (as root), debug out.
# Extra arguments go to sonde (e.g. ./run.sh --set exporters::debug::verbosity=detailed).
set -euo pipefail
cd "$(dirname "$0")"
. tools/build-deps.sh
exec cargo run --release -p sonde -- --config config/default.yaml "$@"
