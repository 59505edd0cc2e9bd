#!/usr/bin/env bash
# IRTC benchmark (issue 11): ndisnpp's real-time interface (rtc_*) against libpcap, with a frames
# callback that reads every byte of every frame (bench/frame_sum.h) in every program.
#   (a) replay: a pcap of REPLAY_FRAMES 64-byte frames (bench/gen_pcap.c "small") through IRTC
#       (bench/rtc_replay.c, replay NIC) and through pcap_open_offline + pcap_dispatch
#       (bench/pcap_replay.c); frames/s of each and ours/libpcap, per round, medians; the frame
#       count and both checksums must agree (a round that does not is reported as FAIL and the
#       script exits 1 at the end);
#   (b) live: the veth pair of bench/veth-pair.sh, trafgen at full rate (or bench/tx_paced.c at
#       RATE64 / RATE1500 frames/s), 64 B and 1500 B frames:
#       IRTC (bench/rtc_live.c) vs a libpcap pcap_loop program (bench/pcap_live.c) vs
#       `tcpdump -w /dev/null`, each run alone on the same offered load; frames delivered /
#       offered, kernel drops, capture CPU (user+sys, bench/cputime.py) per million frames.
# Run as root (the live part) from anywhere:  sudo bash bench/run-rtc.sh
# Environment knobs (defaults in brackets):
#   PARTS ["replay live"]  ROUNDS [5]  REPLAY_ROUNDS [$ROUNDS]  REPLAY_FRAMES [1000000]
#   RTC_BUF [8388608] (NPP:Config:BufferSize, bytes; live: also the kernel ring of every tool)
#   RTC_TABLE [65536] (NPP:Config:FrameTableLength)  RTC_UPDATE [100] (NPP:Config:UpdateInterval, ms)
#   N64 [1000000]  N1500 [300000]  SIZES ["64 1500"]  LIVE_TOOLS ["rtc libpcap tcpdump rtc-nc"]
#   RATE64 [0]  RATE1500 [0] (frames/s to send at, bench/tx_paced.c; 0: trafgen, as fast as it
#   can)
#   (rtc-nc: rtc_live with NPP:Config:NoConversationStats TRUE, to show what the per-frame
#   conversation statistics cost)
#   TX_CPU [0]  RX_CPU [1]  SETTLE [1.5]  RAW_OUT [bench/last-rtc.raw.txt]
set -euo pipefail

PARTS=${PARTS:-"replay live"}
ROUNDS=${ROUNDS:-5}
REPLAY_ROUNDS=${REPLAY_ROUNDS:-$ROUNDS}
REPLAY_FRAMES=${REPLAY_FRAMES:-1000000}
RTC_BUF=${RTC_BUF:-8388608}
RTC_TABLE=${RTC_TABLE:-65536}
RTC_UPDATE=${RTC_UPDATE:-100}
N64=${N64:-1000000}
N1500=${N1500:-300000}
RATE64=${RATE64:-0}
RATE1500=${RATE1500:-0}
SIZES=${SIZES:-"64 1500"}
LIVE_TOOLS=${LIVE_TOOLS:-"rtc libpcap tcpdump rtc-nc"}
TX_CPU=${TX_CPU:-0}
RX_CPU=${RX_CPU:-1}
SETTLE=${SETTLE:-1.5}

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
RAW_OUT=${RAW_OUT:-$HERE/last-rtc.raw.txt}
# shellcheck source=bench/veth-pair.sh
. "$HERE/veth-pair.sh"
TMP=$(mktemp -d /tmp/ndisnpp-rtc-bench.XXXXXX)
ENVLINE="PARTS=\"$PARTS\" ROUNDS=$ROUNDS REPLAY_ROUNDS=$REPLAY_ROUNDS REPLAY_FRAMES=$REPLAY_FRAMES RTC_BUF=$RTC_BUF RTC_TABLE=$RTC_TABLE RTC_UPDATE=$RTC_UPDATE N64=$N64 N1500=$N1500 RATE64=$RATE64 RATE1500=$RATE1500 SIZES=\"$SIZES\" LIVE_TOOLS=\"$LIVE_TOOLS\""

CAP_PID=
VETH=0
cleanup() {
    set +e
    if [ -n "$CAP_PID" ] && kill -0 "$CAP_PID" 2>/dev/null; then
        pkill -KILL -P "$CAP_PID" 2>/dev/null; kill -KILL "$CAP_PID" 2>/dev/null
    fi
    [ "$VETH" = 1 ] && veth_down
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log() { echo "[rtc-bench] $*" >&2; }
FAILS=()
fail_round() { log "FAIL: $*"; FAILS+=("$*"); }

# key=value from a program's output line: kv FILE KEY
kv() { tr ' ' '\n' <"$1" | sed -n "s/^$2=//p" | tail -1; }

# ---- prerequisites and build -----------------------------------------------------------------
case " $PARTS " in *" live "*)
    [ "$(id -u)" = 0 ] || { echo "run-rtc.sh: the live part must run as root (PARTS=replay runs without)" >&2; exit 1; }
    need=()
    command -v tcpdump >/dev/null || need+=(tcpdump)
    command -v trafgen >/dev/null || need+=(netsniff-ng)
    if [ ${#need[@]} -gt 0 ]; then
        log "installing ${need[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y "${need[@]}" >/dev/null || { apt-get update >/dev/null && apt-get install -y "${need[@]}" >/dev/null; }
    fi
    command -v trafgen >/dev/null || { echo "run-rtc.sh: trafgen (netsniff-ng) is required" >&2; exit 1; }
    ;;
esac
for t in cmake gcc python3 pkg-config; do
    command -v "$t" >/dev/null || { echo "run-rtc.sh: missing $t" >&2; exit 1; }
done
pkg-config --exists libpcap || { echo "run-rtc.sh: libpcap development files are required (libpcap-dev)" >&2; exit 1; }

log "building ndisnpp (release)"
(cd "$ROOT" && cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DNDISNPP_BUILD_TESTS=OFF >/dev/null \
    && cmake --build build/release -j"$(nproc)" >/dev/null)
LIBDIR=$(sed -n 's/^NDISNPP_CARGO_TARGET_DIR:PATH=//p' "$ROOT/build/release/CMakeCache.txt")/release
[ -f "$LIBDIR/libndisnpp.so" ] || { echo "run-rtc.sh: $LIBDIR/libndisnpp.so not built" >&2; exit 1; }
# Every benchmark program with the same compiler flags; ours linked to the release shared library.
CFLAGS_B=(-O2 -std=c99 -Wall -Wextra -I"$ROOT/include" -I"$HERE")
PCAP_LIBS=$(pkg-config --libs libpcap)
gcc "${CFLAGS_B[@]}" -o "$TMP/rtc_replay" "$HERE/rtc_replay.c" -L"$LIBDIR" -lndisnpp -Wl,-rpath,"$LIBDIR"
gcc "${CFLAGS_B[@]}" -o "$TMP/rtc_live" "$HERE/rtc_live.c" -L"$LIBDIR" -lndisnpp -Wl,-rpath,"$LIBDIR"
# shellcheck disable=SC2086 # PCAP_LIBS is a list of flags
gcc "${CFLAGS_B[@]}" -o "$TMP/pcap_replay" "$HERE/pcap_replay.c" $PCAP_LIBS
# shellcheck disable=SC2086
gcc "${CFLAGS_B[@]}" -o "$TMP/pcap_live" "$HERE/pcap_live.c" $PCAP_LIBS
gcc -O2 -o "$TMP/gen_pcap" "$HERE/gen_pcap.c"

: >"$TMP/raw"
START=$(date -u '+%Y-%m-%d %H:%M UTC')

# ---- (a) replay ------------------------------------------------------------------------------
replay_part() {
    local in=$TMP/in64.pcap got
    # 64-byte frames: 16 + 64 bytes a record after the 24-byte file header.
    got=$("$TMP/gen_pcap" "$in" $((24 + 80 * REPLAY_FRAMES)) small)
    [ "${got%% *}" = "$REPLAY_FRAMES" ] || { echo "run-rtc.sh: gen_pcap wrote $got" >&2; exit 1; }
    log "replay: $in, $got (frames bytes)"
    local ref_sum='' ref_order='' r k tool out
    local tools=(rtc libpcap)
    for ((r = 1; r <= REPLAY_ROUNDS; r++)); do
        for ((k = 0; k < 2; k++)); do
            # Interleaved: the first tool alternates from round to round.
            tool=${tools[$(((k + r - 1) % 2))]}
            out=$TMP/replay.$tool
            cat "$in" >/dev/null # the input stays in the page cache
            case $tool in
                rtc) "$TMP/rtc_replay" -b "$RTC_BUF" -t "$RTC_TABLE" -u "$RTC_UPDATE" "$in" "$REPLAY_FRAMES" >"$out" \
                         || fail_round "replay round $r: rtc_replay exited $?" ;;
                libpcap) "$TMP/pcap_replay" "$in" >"$out" || fail_round "replay round $r: pcap_replay exited $?" ;;
            esac
            local frames sum order
            frames=$(kv "$out" frames); sum=$(kv "$out" sum); order=$(kv "$out" order)
            if [ -z "$ref_sum" ] && [ "$tool" = libpcap ] && [ "$frames" = "$REPLAY_FRAMES" ]; then
                ref_sum=$sum; ref_order=$order
            fi
            [ "$frames" = "$REPLAY_FRAMES" ] \
                || fail_round "replay round $r: $tool delivered $frames of $REPLAY_FRAMES frames (dropped $(kv "$out" dropped))"
            echo "replay $r $(cat "$out")" >>"$TMP/raw"
            log "replay round $r $tool: $(cat "$out")"
        done
    done
    # Every run must report the checksums of the reference (the first complete libpcap run).
    local line
    while read -r line; do
        case $line in replay*) ;; *) continue ;; esac
        local s o
        s=$(echo "$line" | tr ' ' '\n' | sed -n 's/^sum=//p')
        o=$(echo "$line" | tr ' ' '\n' | sed -n 's/^order=//p')
        if [ "$s" != "$ref_sum" ] || [ "$o" != "$ref_order" ]; then
            fail_round "replay checksum differs from libpcap's ($ref_sum/$ref_order): $line"
        fi
    done <"$TMP/raw"
}

# ---- (b) live --------------------------------------------------------------------------------
# One run: tool size round n -> appends a line to $TMP/raw
live_one() {
    local tool=$1 size=$2 round=$3 n=$4
    local log=$TMP/log.$tool tm=$TMP/time.$tool cfg=$TMP/tg.$size.cfg
    rm -f "$log" "$tm"
    local cmd
    case $tool in
        rtc)     cmd=("$TMP/rtc_live" -b "$RTC_BUF" -t "$RTC_TABLE" -u "$RTC_UPDATE" "$V_RX") ;;
        rtc-nc)  cmd=("$TMP/rtc_live" -b "$RTC_BUF" -t "$RTC_TABLE" -u "$RTC_UPDATE" -C "$V_RX") ;;
        libpcap) cmd=("$TMP/pcap_live" -b "$RTC_BUF" "$V_RX") ;;
        tcpdump) cmd=(tcpdump -i "$V_RX" -B $((RTC_BUF / 1024)) -w /dev/null) ;;
    esac
    veth_offer "$log" "$tm" "$cfg" "$n" "${cmd[@]}" || { log "$tool did not start:"; cat "$log" >&2; exit 1; }
    local offered=$OFFERED rate=$RATE
    local got kdrops udrops=0 bytes
    case $tool in
        tcpdump)
            got=$(sed -n 's/^\([0-9]*\) packets\? captured.*/\1/p' "$log" | tail -1)
            kdrops=$(sed -n 's/^\([0-9]*\) packets\? dropped by kernel.*/\1/p' "$log" | tail -1)
            bytes=NA ;;
        *)
            local res; res=$(grep '^tool=' "$log" | tail -1)
            echo "$res" >"$TMP/res"
            got=$(kv "$TMP/res" frames); kdrops=$(kv "$TMP/res" kernel_dropped); bytes=$(kv "$TMP/res" bytes)
            case $tool in rtc*) udrops=$(kv "$TMP/res" dropped) ;; esac
            # Every frame is SIZE bytes: the callback must have read exactly that many.
            [ "$bytes" = $((got * size)) ] || fail_round "live $size B round $round: $tool read $bytes bytes in $got frames" ;;
    esac
    got=${got:-0}; kdrops=${kdrops:-NA}
    local cpu; cpu=$(awk 'NF==2 && $1 ~ /^[0-9.]+$/ {printf "%.3f", $1 + $2}' "$tm" | tail -1)
    cpu=${cpu:-NA}
    echo "live $size $round $tool $n $offered $rate $got $kdrops $udrops $cpu" >>"$TMP/raw"
    log "live size=$size round=$round $tool: offered $offered at $rate/s, delivered $got, kernel drops $kdrops, callback drops $udrops, cpu ${cpu}s"
}

live_part() {
    veth_up
    VETH=1
    local size n r i k
    local tools; read -r -a tools <<<"$LIVE_TOOLS"
    k=${#tools[@]}
    for size in $SIZES; do trafgen_cfg "$size" >"$TMP/tg.$size.cfg"; done
    for size in $SIZES; do
        n=$N64; TX_RATE=$RATE64; TX_SIZE=$size
        [ "$size" -ge 1000 ] && n=$N1500 && TX_RATE=$RATE1500
        for ((r = 1; r <= ROUNDS; r++)); do
            # Interleaved: the tool order rotates every round.
            for ((i = 0; i < k; i++)); do
                live_one "${tools[$(((i + r - 1) % k))]}" "$size" "$r" "$n"
            done
        done
    done
}

case " $PARTS " in *" replay "*) replay_part ;; esac
case " $PARTS " in *" live "*) live_part ;; esac
cp "$TMP/raw" "$RAW_OUT"

# ---- report ----------------------------------------------------------------------------------
python3 - "$TMP/raw" "$REPLAY_FRAMES" <<'EOF'
import sys, statistics as st
raw, want = sys.argv[1], int(sys.argv[2])
def med(v):
    v = [x for x in v if x is not None]
    return st.median(v) if v else None
def f(x, fmt="{:,.0f}"):
    return "n/a" if x is None else fmt.format(x)
def num(x):
    try: return float(x)
    except (TypeError, ValueError): return None
replay, live = {}, {}
for line in open(raw):
    w = line.split()
    if not w: continue
    if w[0] == "replay":
        d = dict(x.split("=", 1) for x in w[2:])
        replay.setdefault(d["tool"], {})[int(w[1])] = d
    elif w[0] == "live":
        size, rnd, tool, n, off, rate, got, kd, ud, cpu = w[1:]
        live.setdefault(int(size), {}).setdefault(tool, {})[int(rnd)] = dict(
            n=int(n), off=int(off), rate=float(rate), got=int(got), kd=num(kd), ud=num(ud), cpu=num(cpu))
if replay:
    print(f"\nReplay of {want:,} frames of 64 B (frames/s from start to the last frame delivered; medians over rounds):\n")
    print("| program | rounds | frames delivered (min) | checksums = libpcap's | frames/s (median) | ours/libpcap (median of per-round ratio) | start to last delivery, s (median) | start to FramesSeen = N, s (median) | rtc_stop took, s (median) | start to 1st delivery, s (median) | frames/s between 1st and last full-table delivery (median) | CPU user+sys s (median) | frames dropped (median / max) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    ref = next((d for r, d in sorted(replay.get("libpcap", {}).items()) if int(d["frames"]) == want), None)
    for tool in ("rtc", "libpcap"):
        runs = replay.get(tool, {})
        if not runs: continue
        ok = sum(1 for d in runs.values() if ref and d["sum"] == ref["sum"] and d["order"] == ref["order"] and int(d["frames"]) == want)
        fps = med([float(d["fps"]) for d in runs.values()])
        ratio = ""
        if tool == "rtc":
            lp = replay.get("libpcap", {})
            ratio = f(med([float(d["fps"]) / float(lp[r]["fps"]) for r, d in runs.items() if r in lp]), "{:.3f}")
        ours = tool == "rtc"
        def col(key, fmt="{:.3f}"):
            return f(med([float(d[key]) for d in runs.values()]), fmt) if ours else ""
        cpu = med([float(d["cpu_user"]) + float(d["cpu_sys"]) for d in runs.values()])
        drops = ""
        if ours:
            dv = [float(d.get("dropped", 0)) for d in runs.values()]
            drops = f"{f(med(dv))} / {f(max(dv))}"
        print(f"| {'IRTC (rtc_replay)' if ours else 'libpcap (pcap_replay)'} | {len(runs)} | "
              f"{f(min(int(d['frames']) for d in runs.values()))} | {ok} of {len(runs)} | {f(fps)} | {ratio} | "
              f"{f(med([float(d['elapsed']) for d in runs.values()]), '{:.3f}')} | {col('seen_elapsed')} | {col('stop_call')} | "
              f"{col('first_delivery')} | {col('pipeline_fps', '{:,.0f}')} | {f(cpu, '{:.3f}')} | {drops} |")
if live:
    print("\nLive on the veth pair (medians over rounds; CPU per million frames delivered):\n")
    print("| frame | program | rounds | frames sent | offered (median) | offered rate, frames/s (median) | delivered (median) | delivered / offered (median) | rounds with every frame | kernel drops (median) | callback drops (median) | capture CPU s (median) | CPU s per M frames (median) | CPU/frame ours/libpcap | CPU/frame ours/tcpdump |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    names = {"rtc": "IRTC (rtc_live)", "libpcap": "libpcap (pcap_live)", "tcpdump": "tcpdump -w /dev/null",
             "rtc-nc": "IRTC, NoConversationStats (rtc_live -C)"}
    for size in sorted(live):
        d = live[size]
        per_m = {t: {r: (x["cpu"] / x["got"] * 1e6 if x["cpu"] is not None and x["got"] else None) for r, x in rs.items()} for t, rs in d.items()}
        def ratio(ours, other):
            a, b = per_m.get(ours, {}), per_m.get(other, {})
            return med([a[r] / b[r] for r in a if r in b and a[r] is not None and b[r]])
        for t in [x for x in ("rtc", "libpcap", "tcpdump", "rtc-nc") if x in d]:
            ours = t.startswith("rtc")
            rs = d[t].values()
            full = sum(1 for x in rs if x["got"] == x["off"])
            cols = [f"{size} B", names[t], str(len(rs)), f(next(iter(rs))["n"]), f(med([x["off"] for x in rs])),
                    f(med([x["rate"] for x in rs])), f(med([x["got"] for x in rs])),
                    f(med([x["got"] / x["off"] if x["off"] else None for x in rs]), "{:.4f}"), f"{full} of {len(rs)}",
                    f(med([x["kd"] for x in rs])), f(med([x["ud"] for x in rs])) if ours else "",
                    f(med([x["cpu"] for x in rs]), "{:.3f}"), f(med(list(per_m[t].values())), "{:.3f}"),
                    f(ratio(t, "libpcap"), "{:.3f}") if ours else "", f(ratio(t, "tcpdump"), "{:.3f}") if ours else ""]
            print("| " + " | ".join(cols) + " |")
EOF

echo
echo "Command: $ENVLINE bash bench/run-rtc.sh"
echo "Started: $START. Machine: $(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), kernel $(uname -r)."
echo "Tools: ndisnpp $(cd "$ROOT" && git describe --always --dirty 2>/dev/null) (release), $(gcc --version | head -1), libpcap $(pkg-config --modversion libpcap)$(command -v tcpdump >/dev/null && echo ", $(tcpdump --version 2>&1 | head -1)")$(command -v trafgen >/dev/null && echo ", $(trafgen -v 2>&1 | head -1 | cut -d, -f1)")."
echo "Raw per-run lines: $RAW_OUT"
if [ ${#FAILS[@]} -gt 0 ]; then
    echo
    echo "FAILED checks (${#FAILS[@]}):"
    printf '  %s\n' "${FAILS[@]}"
    exit 1
fi
