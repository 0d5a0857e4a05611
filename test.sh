#!/usr/bin/env bash
# The one test command: every crate's unit and integration tests, then the
# end-to-end compat tests (compat-tests/) against the built sonde binary and real
# OpenTelemetry peers. Extra arguments go to pytest (e.g. ./test.sh -k outage).
#
# The Python peers live in a virtualenv outside the clone (SONDE_VENV, default
# /var/cache/sonde-venv), set up on first use and refreshed when
# compat-tests/requirements.txt changes; the Node.js peers likewise in SONDE_NPM.
set -euo pipefail
cd "$(dirname "$0")"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/cache/sonde-target}"
venv="${SONDE_VENV:-/var/cache/sonde-venv}"

. tools/build-deps.sh

cargo test --workspace
cargo build -p sonde

# Debian ships venv/ensurepip separately; install it when we can, else say what is missing.
if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv
    else
        echo "test.sh: the compat tests need python3-venv (apt-get install python3-venv)" >&2
        exit 1
    fi
fi
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
want="$(sha256sum compat-tests/requirements.txt | cut -d' ' -f1)"
if [ "$(cat "$venv/.requirements.sha256" 2>/dev/null || true)" != "$want" ]; then
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r compat-tests/requirements.txt
    echo "$want" > "$venv/.requirements.sha256"
fi

# The Node.js peers (the SkyWalking agent) live outside the clone too (SONDE_NPM,
# default /var/cache/sonde-npm), installed on first use and when the pin changes.
npm_dir="${SONDE_NPM:-/var/cache/sonde-npm}"
npm_want="skywalking-backend-js@0.9.0"
if command -v npm >/dev/null && [ "$(cat "$npm_dir/.packages" 2>/dev/null || true)" != "$npm_want" ]; then
    mkdir -p "$npm_dir"
    npm install --prefix "$npm_dir" --no-audit --no-fund --silent $npm_want
    echo "$npm_want" > "$npm_dir/.packages"
fi
export SONDE_NODE_MODULES="$npm_dir/node_modules"

# Tansu 0.6, the Kafka-compatible broker of the Kafka tests (no Apache Kafka is in
# apt, PyPI or npm), from crates.io into a cache outside the clone (SONDE_TOOLS,
# default /var/cache/sonde-tools): about 15 minutes cold on 2 cores, once.
tools_dir="${SONDE_TOOLS:-/var/cache/sonde-tools}"
if [ ! -x "$tools_dir/bin/tansu" ]; then
    CARGO_TARGET_DIR="$tools_dir/target" cargo install tansu --version 0.6.0 --locked \
        --features dynostore --root "$tools_dir"
    rm -rf "$tools_dir/target"
fi
export SONDE_TANSU="$tools_dir/bin/tansu"

export SONDE_BIN="${SONDE_BIN:-$CARGO_TARGET_DIR/debug/sonde}"
exec "$venv/bin/python" -m pytest compat-tests -q "$@"
