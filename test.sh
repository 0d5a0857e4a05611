#!/usr/bin/env bash
# The one test command: every crate's unit and integration tests, then the
# end-to-end compat tests (compat-tests/) against the built sonde binary and real
# OpenTelemetry peers. Extra arguments go to pytest (e.g. ./test.sh -k outage).
#
# The Python peers live in a virtualenv outside the clone (SONDE_VENV, default
# /var/cache/sonde-venv), set up on first use and refreshed when
# compat-tests/requirements.txt changes.
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

export SONDE_BIN="${SONDE_BIN:-$CARGO_TARGET_DIR/debug/sonde}"
exec "$venv/bin/python" -m pytest compat-tests -q "$@"
