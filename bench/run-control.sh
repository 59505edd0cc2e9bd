#!/usr/bin/env bash
# Control-path benchmark (issue 5, item 3): builds ndisnpp (release) and bench/control_path.c,
# generates a replay pcap (or reuses $BENCH_DIR/in.pcap), and runs ROUNDS rounds of
# {capture without status load, capture with LOAD_THREADS threads calling esp_query_status /
# esp_get_control_state in a tight loop}; prints every round and a Markdown table of medians.
# Usage: bash bench/run-control.sh   (env: BENCH_DIR, CONTROL_BYTES=2147483648, SECONDS_=3,
#        LOAD_THREADS=2, ROUNDS=5, CAPTURE_DIR=/dev/shm/... (tmpfs: no writeback noise), KEEP=1)
# LIVE=1 (as root): a live capture instead, on a veth pair between two namespaces this script
# creates and removes (bench/veth-pair.sh); each window is trafgen sending LIVE_FRAMES
# (1000000) frames of LIVE_SIZE (64) bytes at full speed, pinned to CPU TX_CPU (0); the capture
# and the load threads run on RX_CPUS (1).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CONTROL_BYTES=${CONTROL_BYTES:-2147483648}
WINDOW=${SECONDS_:-3}
LOAD_THREADS=${LOAD_THREADS:-2}
ROUNDS=${ROUNDS:-5}
BENCH_DIR=${BENCH_DIR:-$(mktemp -d /tmp/ndisnpp-bench.XXXXXX)}
mkdir -p "$BENCH_DIR"
IN=$BENCH_DIR/control-in.pcap
if [ -z "${CAPTURE_DIR:-}" ]; then
    if [ -d /dev/shm ] && [ "$(df -B1 --output=avail /dev/shm | tail -1)" -gt $((CONTROL_BYTES * 2)) ]; then
        CAPTURE_DIR=$(mktemp -d /dev/shm/ndisnpp-bench.XXXXXX)
    else
        CAPTURE_DIR=$BENCH_DIR/cap
    fi
fi
mkdir -p "$CAPTURE_DIR"
LIVE=${LIVE:-0}
if [ "$LIVE" = 1 ]; then
    [ "$(id -u)" = 0 ] || { echo "run-control.sh: LIVE=1 must run as root" >&2; exit 1; }
    command -v trafgen >/dev/null || { echo "run-control.sh: LIVE=1 needs trafgen (netsniff-ng)" >&2; exit 1; }
    # shellcheck source=bench/veth-pair.sh
    . bench/veth-pair.sh
fi
cleanup() {
    set +e
    [ "$LIVE" = 1 ] && veth_down
    rm -rf "$CAPTURE_DIR"
    [ "${KEEP:-0}" = 1 ] || rm -f "$IN"
}
trap cleanup EXIT

echo "== build (release)" >&2
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DNDISNPP_BUILD_TESTS=OFF >/dev/null
cmake --build build/release -j"$(nproc)" >/dev/null
LIBDIR=$(dirname "$(readlink -f "$(ldd build/release/tools/nmcap | awk '/libndisnpp/ {print $3}')")")
gcc -O2 -Wall -Wextra -std=gnu11 -Iinclude -o "$BENCH_DIR/control_path" bench/control_path.c \
    -L"$LIBDIR" -lndisnpp -Wl,-rpath,"$LIBDIR" -lpthread
gcc -O2 -o "$BENCH_DIR/gen_pcap" bench/gen_pcap.c

RAW=$BENCH_DIR/control-raw.txt
if [ "$LIVE" = 1 ]; then
    veth_up
    FRAMES=${LIVE_FRAMES:-1000000}
    trafgen_cfg "${LIVE_SIZE:-64}" >"$BENCH_DIR/tg.cfg"
    export SENDER="ip netns exec $NS_TX taskset -c ${TX_CPU:-0} trafgen -o $V_TX -i $BENCH_DIR/tg.cfg -n $FRAMES -P 1 --no-sock-mem -Q -C >/dev/null 2>&1"
    SOURCE="live capture on a veth pair, trafgen sending $FRAMES frames of ${LIVE_SIZE:-64} B per window at full speed on CPU ${TX_CPU:-0}, capture and load threads on CPU ${RX_CPUS:-1}"
    ip netns exec "$NS_RX" taskset -c "${RX_CPUS:-1}" "$BENCH_DIR/control_path" "live:$V_RX" "$FRAMES" "$WINDOW" "$LOAD_THREADS" "$ROUNDS" "$CAPTURE_DIR" | tee "$RAW" >&2
else
    if [ ! -s "$IN" ]; then
        echo "== generating $CONTROL_BYTES bytes into $IN" >&2
        "$BENCH_DIR/gen_pcap" "$IN" "$CONTROL_BYTES" >/dev/null
    fi
    FRAMES=$(capinfos -c -M "$IN" | awk -F: '/Number of packets/ {gsub(/ /,"",$2); print $2}')
    cat "$IN" >/dev/null   # warm cache
    SOURCE="$(stat -c %s "$IN") bytes, $FRAMES frames, replay NIC, ReplayPace FALSE"
    "$BENCH_DIR/control_path" "$IN" "$FRAMES" "$WINDOW" "$LOAD_THREADS" "$ROUNDS" "$CAPTURE_DIR" | tee "$RAW" >&2
fi

med() { # column, load -> median over rounds
    awk -v c="$1" -v l="$2" '$2==l {print $c}' "$RAW" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
{
    echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'); machine: nproc $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), kernel $(uname -r); ndisnpp $(git -C "$ROOT" rev-parse --short HEAD) (release)"
    echo "Input: $SOURCE; Network Monitor 2 output in $CAPTURE_DIR; window ${WINDOW} s or until every frame was delivered; $LOAD_THREADS load threads; $ROUNDS rounds, median"
    echo
    echo "| run | window s | frames captured | captured frames/s | FramesDropped | KernelFramesDropped | status calls/s (all threads) | p50 µs | p99 µs | p99.9 µs | max µs | p99 query_status µs | p99 get_control_state µs |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    echo "| without load | $(med 3 none) | $(med 5 none) | $(med 6 none) | $(med 7 none) | $(med 8 none) | – | – | – | – | – | – | – |"
    echo "| with load | $(med 3 with) | $(med 5 with) | $(med 6 with) | $(med 7 with) | $(med 8 with) | $(med 9 with) | $(med 10 with) | $(med 11 with) | $(med 12 with) | $(med 13 with) | $(med 14 with) | $(med 15 with) |"
    echo
    echo "Raw rounds:"
    echo '```'
    cat "$RAW"
    echo '```'
} | tee "${OUT_MD:-$BENCH_DIR/control.md}"
