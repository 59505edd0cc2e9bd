#!/usr/bin/env bash
# Compares builds of the library on live IRTC: bench/rtc_live.c linked to each build's
# libndisnpp.so, and bench/pcap_live.c (libpcap), each alone on the veth pair of
# bench/veth-pair.sh while trafgen sends N frames of SIZE bytes (at full rate, or TX_RATE);
# rounds interleaved, the order rotating. Prints the capture process's CPU (user + system) per
# run, then for each build the median of its per-round ratio to libpcap.
#
#   sudo bash bench/ab-rtc-live.sh ROUNDS N SIZE DIR...
# DIR: a directory holding a libndisnpp.so (e.g. a copy of target/release/libndisnpp.so of a
# commit); its name labels the build. Env: RTC_BUF [8388608] (BufferSize and every ring),
# TX_CPU [0], RX_CPU [1], SETTLE [1.5], TX_RATE [0] (frames/s, bench/tx_paced.c; 0: trafgen at
# full rate).
set -euo pipefail
[ $# -ge 4 ] || { sed -n 2,12p "$0" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "ab-rtc-live.sh: run as root (network namespaces)" >&2; exit 1; }
ROUNDS=$1; N=$2; SIZE=$3; shift 3
RTC_BUF=${RTC_BUF:-8388608}
TX_CPU=${TX_CPU:-0}
RX_CPU=${RX_CPU:-1}
SETTLE=${SETTLE:-1.5}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
# shellcheck source=bench/veth-pair.sh
. "$HERE/veth-pair.sh"
TMP=$(mktemp -d /tmp/ndisnpp-ab.XXXXXX)
VETH=0
cleanup() {
    set +e
    pkill -INT -f "$TMP/" 2>/dev/null
    [ "$VETH" = 1 ] && veth_down
    rm -rf "$TMP"
}
trap cleanup EXIT
command -v trafgen >/dev/null || { echo "ab-rtc-live.sh: trafgen (netsniff-ng) is required" >&2; exit 1; }
names=()
for dir in "$@"; do
    [ -f "$dir/libndisnpp.so" ] || { echo "ab-rtc-live.sh: no libndisnpp.so in $dir" >&2; exit 1; }
    name=$(basename "$dir")
    mkdir -p "$TMP/$name"
    cp "$dir/libndisnpp.so" "$TMP/$name/"
    ln -sf libndisnpp.so "$TMP/$name/libndisnpp.so.0"
    gcc -O2 -std=c99 -I"$ROOT/include" -I"$HERE" -o "$TMP/$name/rtc_live" "$HERE/rtc_live.c" -L"$TMP/$name" -lndisnpp -Wl,-rpath,"$TMP/$name"
    names+=("$name")
done
# shellcheck disable=SC2046 # a list of flags
gcc -O2 -std=c99 -I"$HERE" -o "$TMP/pcap_live" "$HERE/pcap_live.c" $(pkg-config --libs libpcap)
names+=(libpcap)
veth_up >/dev/null 2>&1
VETH=1
trafgen_cfg "$SIZE" >"$TMP/tg.cfg"
TX_SIZE=$SIZE
k=${#names[@]}
for ((r = 1; r <= ROUNDS; r++)); do
    for ((i = 0; i < k; i++)); do
        name=${names[$(((i + r - 1) % k))]}
        if [ "$name" = libpcap ]; then
            cmd=("$TMP/pcap_live" -b "$RTC_BUF" "$V_RX")
        else
            cmd=("$TMP/$name/rtc_live" -b "$RTC_BUF" -t 65536 -u 100 "$V_RX")
        fi
        if ! veth_offer "$TMP/log" "$TMP/cpu" "$TMP/tg.cfg" "$N" "${cmd[@]}"; then
            echo "ab-rtc-live.sh: $name did not start:" >&2
            cat "$TMP/log" >&2
            exit 1
        fi
        frames=$(grep -o 'frames=[0-9]*' "$TMP/log" | head -1 | cut -d= -f2)
        echo "$r $name ${frames:-0} $(awk '{printf "%.4f", $1 + $2}' "$TMP/cpu")" | tee -a "$TMP/raw"
    done
done
python3 - "$TMP/raw" "$N" <<'PY'
import collections, statistics, sys
runs = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    r, name, frames, cpu = line.split()
    runs[int(r)][name] = (float(cpu), int(frames))
want = int(sys.argv[2])
for name in sorted({n for r in runs.values() for n in r} - {"libpcap"}):
    ratios = [r[name][0] / r["libpcap"][0] for r in runs.values() if name in r and "libpcap" in r]
    short = sum(1 for r in runs.values() if name in r and r[name][1] != want)
    print(f"{name}: CPU ours/libpcap median {statistics.median(ratios):.3f} over {len(ratios)} rounds "
          f"(min {min(ratios):.2f}, max {max(ratios):.2f}); rounds missing frames: {short}")
short = sum(1 for r in runs.values() if r.get("libpcap", (0, want))[1] != want)
print(f"libpcap: CPU median {statistics.median(r['libpcap'][0] for r in runs.values()):.4f} s; rounds missing frames: {short}")
PY
