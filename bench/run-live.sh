#!/usr/bin/env bash
# Live-capture benchmark: nmcap (ndisnpp) vs tcpdump -w vs dumpcap -w, same offered load.
# Run as root from anywhere:  sudo bash bench/run-live.sh
# Environment knobs (defaults in brackets):
#   ROUNDS [5]  N64 [1000000]  N1500 [300000]  SIZES ["64 1500"]  BUFS ["2097152 67108864"]
#   TOOLS ["nmcap tcpdump dumpcap nmcap-nm2"; also nmcap-pcap: nmcap with
#   NDISNPP_LIVE_SOURCE=libpcap]  TX_CPU [0]  RX_CPU [1]  SETTLE [1.5]
#   WRITE_README [1]  (replace the "Results" section of bench/README.md with this run's table)
#   RATE64 [0]  RATE1500 [0] (frames/s to send at, bench/tx_paced.c; 0: trafgen, as fast as it
#   can)
# Traffic: raw Ethernet frames, EtherType 0x88B5 (local experimental), sent by trafgen (or
# tx_paced) from namespace nb-tx-$$ to the MAC of the veth end in nb-rx-$$; nothing leaves the
# pair.
set -euo pipefail

ROUNDS=${ROUNDS:-5}
N64=${N64:-1000000}
N1500=${N1500:-300000}
RATE64=${RATE64:-0}
RATE1500=${RATE1500:-0}
SIZES=${SIZES:-"64 1500"}
BUFS=${BUFS:-"2097152 67108864"}
TOOLS=${TOOLS:-"nmcap tcpdump dumpcap nmcap-nm2"}
TX_CPU=${TX_CPU:-0}
RX_CPU=${RX_CPU:-1}
SETTLE=${SETTLE:-1.5}
WRITE_README=${WRITE_README:-1}

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
NMCAP=$ROOT/build/release/tools/nmcap
# shellcheck source=bench/veth-pair.sh
. "$HERE/veth-pair.sh"
TMP=$(mktemp -d /tmp/ndisnpp-bench.XXXXXX)
CMDLINE="$0 $*"
ENVLINE="ROUNDS=$ROUNDS N64=$N64 N1500=$N1500 RATE64=$RATE64 RATE1500=$RATE1500 SIZES=\"$SIZES\" BUFS=\"$BUFS\" TOOLS=\"$TOOLS\""

[ "$(id -u)" = 0 ] || { echo "run-live.sh: must run as root" >&2; exit 1; }

CAP_PID=
cleanup() {
    set +e
    if [ -n "$CAP_PID" ] && kill -0 "$CAP_PID" 2>/dev/null; then
        pkill -KILL -P "$CAP_PID" 2>/dev/null; kill -KILL "$CAP_PID" 2>/dev/null
    fi
    veth_down
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log() { echo "[bench] $*" >&2; }

# ---- prerequisites ---------------------------------------------------------------------------
need=()
command -v tcpdump >/dev/null || need+=(tcpdump)
command -v dumpcap >/dev/null || need+=(wireshark-common)
command -v capinfos >/dev/null || need+=(tshark)
command -v trafgen >/dev/null || need+=(netsniff-ng)
command -v python3 >/dev/null || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y "${need[@]}" >/dev/null || { apt-get update >/dev/null && apt-get install -y "${need[@]}" >/dev/null; }
fi
command -v trafgen >/dev/null || { echo "run-live.sh: trafgen (netsniff-ng) is required" >&2; exit 1; }

log "building ndisnpp (release)"
(cd "$ROOT" && cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DNDISNPP_BUILD_TESTS=OFF >/dev/null \
    && cmake --build build/release -j"$(nproc)" >/dev/null)
[ -x "$NMCAP" ] || { echo "run-live.sh: $NMCAP not built" >&2; exit 1; }

# ---- namespaces ------------------------------------------------------------------------------
veth_up

count_file() { # frames in a capture file, read back
    capinfos -c -M "$1" 2>/dev/null | awk -F: '/Number of packets/ {gsub(/ /,"",$2); print $2}'
}

# One run: tool size buf round -> appends a line to $TMP/results
run_one() {
    local tool=$1 size=$2 buf=$3 round=$4 n=$5
    local out=$TMP/cap.$tool.pcap log=$TMP/log.$tool tm=$TMP/time.$tool cfg=$TMP/tg.$size.cfg
    rm -f "$out" "$out".* "$log" "$tm"
    # Start every run with no dirty pages being written back: otherwise a run pays for the
    # previous run's file, and the results alternate good/bad with the order of the tools.
    sync
    local cmd
    case $tool in
        nmcap)     cmd=("$NMCAP" -i "$V_RX" -B "$buf" -S -F pcap -d 600 -q -w "$out") ;;
        # nmcap on libpcap's ring reader instead of the library's own (NDISNPP_LIVE_SOURCE).
        nmcap-pcap) cmd=(env NDISNPP_LIVE_SOURCE=libpcap "$NMCAP" -i "$V_RX" -B "$buf" -S -F pcap -d 600 -q -w "$out") ;;
        nmcap-nm2) out=$TMP/cap.$tool.cap; rm -f "$out"
                   cmd=("$NMCAP" -i "$V_RX" -B "$buf" -S -F netmon2 -d 600 -q -w "$out") ;;
        tcpdump)   cmd=(tcpdump -i "$V_RX" -B $((buf / 1024)) -w "$out") ;;
        dumpcap)   cmd=(dumpcap -i "$V_RX" -B $((buf / 1048576)) -P -w "$out") ;;
    esac
    veth_offer "$log" "$tm" "$cfg" "$n" "${cmd[@]}" || { log "$tool did not start:"; cat "$log" >&2; return 1; }
    local offered=$OFFERED rate=$RATE
    local got; got=$(count_file "$out"); got=${got:-0}
    local drops
    case $tool in
        nmcap*)  drops=$(sed -n 's/.*(kernel \([0-9]*\)).*/\1/p' "$log" | tail -1) ;;
        tcpdump) drops=$(sed -n 's/^\([0-9]*\) packets\? dropped by kernel.*/\1/p' "$log" | tail -1) ;;
        dumpcap) drops=$(sed -n "s/^Packets received\/dropped on interface.*: [0-9]*\/\([0-9]*\) .*/\1/p" "$log" | tail -1) ;;
    esac
    drops=${drops:-NA}
    local cpu; cpu=$(awk 'NF==2 && $1 ~ /^[0-9.]+$/ {printf "%.3f", $1 + $2}' "$tm" | tail -1)
    cpu=${cpu:-NA}
    printf '%s %s %s %s %s %d %.0f %s %s %s\n' "$size" "$buf" "$round" "$tool" "$n" "$offered" "$rate" "$got" "$drops" "$cpu" \
        >>"$TMP/results"
    log "size=$size buf=$buf round=$round $tool: offered $offered at $(printf %.0f "$rate")/s, in file $got, kernel drops $drops, cpu ${cpu}s"
    rm -f "$out"
}

# ---- runs ------------------------------------------------------------------------------------
: >"$TMP/results"
read -r -a tools <<<"$TOOLS"
for size in $SIZES; do trafgen_cfg "$size" >"$TMP/tg.$size.cfg"; done
START=$(date -u '+%Y-%m-%d %H:%M UTC')
for size in $SIZES; do
    n=$N64; TX_RATE=$RATE64; TX_SIZE=$size
    [ "$size" -ge 1000 ] && n=$N1500 && TX_RATE=$RATE1500
    for buf in $BUFS; do
        for ((r = 1; r <= ROUNDS; r++)); do
            # Interleave: rotate the tool order every round so no tool always goes first.
            k=${#tools[@]}
            for ((i = 0; i < k; i++)); do
                run_one "${tools[$(((i + r - 1) % k))]}" "$size" "$buf" "$r" "$n"
            done
        done
    done
done
cp "$TMP/results" "$HERE/last-run.raw.txt"

# ---- report ----------------------------------------------------------------------------------
TABLE=$(python3 - "$TMP/results" <<'EOF'
import sys, statistics as st
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
def num(x):
    try: return float(x)
    except ValueError: return None
data = {}
for size, buf, rnd, tool, n, off, rate, got, drops, cpu in rows:
    data.setdefault((int(size), int(buf)), {}).setdefault(tool, []).append(
        dict(n=int(n), off=int(off), rate=float(rate), got=int(got), drops=num(drops), cpu=num(cpu)))
def med(v):
    v = [x for x in v if x is not None]
    return st.median(v) if v else None
def f(x, fmt="{:,.0f}"):
    return "n/a" if x is None else fmt.format(x)
print("| frame | buffer | tool | rounds | frames sent | offered (median) | offered rate, frames/s | frames in file (median) | in file / offered | kernel drops (median) | capture CPU s (median) | file ours/tcpdump | file ours/dumpcap | CPU ours/tcpdump | CPU ours/dumpcap |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for (size, buf) in sorted(data):
    d = data[(size, buf)]
    m = {t: dict(off=med([r["off"] for r in rs]), rate=med([r["rate"] for r in rs]), got=med([r["got"] for r in rs]),
                 drops=med([r["drops"] for r in rs]), cpu=med([r["cpu"] for r in rs]), n=rs[0]["n"], k=len(rs))
         for t, rs in d.items()}
    # Ratios: median over rounds of the per-round ratio (rounds paired by round number).
    def ratio(ours, other, key):
        a = {i: r[key] for i, r in enumerate(d.get(ours, []))}
        b = {i: r[key] for i, r in enumerate(d.get(other, []))}
        v = [a[i] / b[i] for i in a if i in b and a[i] is not None and b[i]]
        return st.median(v) if v else None
    for t in [x for x in ("nmcap", "nmcap-pcap", "nmcap-nm2", "tcpdump", "dumpcap") if x in m]:
        x = m[t]
        ours = t.startswith("nmcap")
        cols = [f"{size} B", f"{buf // 1048576} MiB", t, str(x["k"]), f(x["n"]), f(x["off"]), f(x["rate"]),
                f(x["got"]), f(x["got"] / x["off"] if x["off"] else None, "{:.3f}"), f(x["drops"]), f(x["cpu"], "{:.3f}")]
        for key in ("got", "cpu"):
            for other in ("tcpdump", "dumpcap"):
                cols.append(f(ratio(t, other, key), "{:.3f}") if ours else "")
        # reorder: file ratios then cpu ratios already in that order
        print("| " + " | ".join(cols) + " |")
EOF
)
echo
echo "$TABLE"

if [ "$WRITE_README" = 1 ]; then
    set +e +o pipefail
    CPU=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
    MACHINE="$(nproc) CPUs ($CPU), kernel $(uname -r)"
    VERS="nmcap (ndisnpp $(cd "$ROOT" && git describe --always 2>/dev/null)), $(tcpdump --version 2>&1 | head -1), $(tcpdump --version 2>&1 | sed -n 2p), $(dumpcap --version | head -1 | sed 's/ (Git.*//'), $(trafgen -v 2>&1 | head -1 | cut -d, -f1)"
    echo "$TABLE" >"$TMP/table"
    python3 - "$HERE/README.md" "$START" "$ENVLINE bash bench/run-live.sh" "$MACHINE" "$VERS" "$TX_CPU" "$RX_CPU" "$TMP/table" <<'EOF'
import sys
path, date, cmd, machine, vers, txc, rxc, tpath = sys.argv[1:9]
table = open(tpath).read().rstrip()
try: text = open(path).read()
except FileNotFoundError: text = "# Live-capture benchmark\n"
fence = "`" * 3
sec = (f"## Results\n\nLatest run, {date}:\n\n{fence}\n{cmd}\n{fence}\n\n"
       f"Machine: {machine}. Sender on CPU {txc}, capture on CPU {rxc}.\n"
       f"Tools: {vers}.\n\n{table}\n")
i = text.find("## Results")
text = (text[:i] if i >= 0 else text.rstrip() + "\n\n") + sec
open(path, "w").write(text)
EOF
    log "results written to $HERE/README.md"
fi
