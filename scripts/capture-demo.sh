#!/bin/bash
# The main job: build ndisnpp and its capture tool (tools/nmcap.c), capture loopback traffic that
# this script generates into a Network Monitor 2 file, and show the file with capinfos.
#   bash scripts/capture-demo.sh [OUT.cap [more nmcap options, e.g. -F pcapng]]
# Capturing needs root or CAP_NET_RAW.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
export PATH="$HOME/.cargo/bin:$PATH"
mkdir -p build
log=build/release-build.log
if ! { cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DNDISNPP_BUILD_TESTS=OFF &&
       cmake --build build/release -j2; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "capture-demo.sh: build failed (log above, also in $log)" >&2
    exit 2
fi
out="${1:-${TMPDIR:-/tmp}/ndisnpp-demo.cap}"
shift || true
# 20 UDP datagrams to the discard port of 127.0.0.1 (each also brings an ICMP "port unreachable").
( sleep 0.5; for i in $(seq 1 20); do echo "ndisnpp demo frame $i" > /dev/udp/127.0.0.1/9 || true; sleep 0.02; done ) &
sender=$!
status=0
build/release/tools/nmcap -i lo -c 40 -d 15 -w "$out" "$@" || status=$?
kill "$sender" 2>/dev/null || true
wait "$sender" 2>/dev/null || true
[ "$status" -eq 0 ] || exit "$status"
TZ=UTC capinfos "$out"
