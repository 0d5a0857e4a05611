#!/usr/bin/env bash
# Installs what building sonde needs beyond the Rust toolchain, when it is missing
# and we may (root with apt): clang and libbpf's headers for the eBPF receiver's
# kernel side (bpf/), a C compiler for ring and zstd-sys. Sourced by run.sh and
# test.sh; .ci/run installs the same and more up front.
need=()
command -v clang >/dev/null || need+=(clang)
[ -e /usr/include/bpf/bpf_helpers.h ] || need+=(libbpf-dev)
command -v cc >/dev/null || need+=(build-essential)
if [ "${#need[@]}" -gt 0 ] && [ -z "${SONDE_NO_EBPF:-}" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing build dependencies: ${need[*]}" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
    else
        echo "sonde needs ${need[*]} to build (apt-get install ${need[*]}), or SONDE_NO_EBPF=1 to build without eBPF" >&2
        exit 1
    fi
fi
