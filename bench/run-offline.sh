#!/usr/bin/env bash
# Offline benchmark (issue 5, item 2): convert a large generated classic pcap into a Network
# Monitor 2 file three ways, from a warm page cache, 3 interleaved runs each, median reported:
#   (a) ours:    nmcap -S -r IN -c <frames> -F netmon2 -w OUT   (replay NIC, frame limit)
#   (b) editcap: editcap -F netmon2 IN OUT
#   (c) cp:      cp IN OUT                                      (the physical limit)
# Usage: bash bench/run-offline.sh            (env: BENCH_DIR=/tmp/..., BENCH_BYTES=1073741824,
#                                              RUNS=3, KEEP=1 keeps the input, OUT_MD=file,
#                                              MIX=mixed (64..1514 B) | small (64 B frames only))
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BENCH_BYTES=${BENCH_BYTES:-1073741824}
RUNS=${RUNS:-3}
BENCH_DIR=${BENCH_DIR:-$(mktemp -d /tmp/ndisnpp-bench.XXXXXX)}
mkdir -p "$BENCH_DIR"
MIX=${MIX:-mixed}
case $MIX in
mixed) IN=$BENCH_DIR/in.pcap; GEN_ARGS=() ;;
small) IN=$BENCH_DIR/in-small.pcap; GEN_ARGS=(small) ;;
*) echo "MIX must be mixed or small" >&2; exit 2 ;;
esac
RES=$BENCH_DIR/offline-results.txt
cleanup() { rm -f "$BENCH_DIR"/out.* "$BENCH_DIR"/time.*; [ "${KEEP:-0}" = 1 ] || rm -f "$IN"; }
trap cleanup EXIT

for t in cmake gcc editcap capinfos /usr/bin/time; do
    command -v "$t" >/dev/null || { echo "missing: $t" >&2; exit 1; }
done

echo "== build (release)" >&2
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DNDISNPP_BUILD_TESTS=OFF >/dev/null
cmake --build build/release -j"$(nproc)" >/dev/null
NMCAP=$ROOT/build/release/tools/nmcap
[ -x "$NMCAP" ] || { echo "no $NMCAP" >&2; exit 1; }

# Space: input + one output (netmon2 output is about the input size plus a frame table).
avail=$(df -B1 --output=avail "$BENCH_DIR" | tail -1)
need=$((BENCH_BYTES * 5 / 2))
if [ "$avail" -lt "$need" ]; then
    echo "only $avail bytes free in $BENCH_DIR; need $need" >&2; exit 1
fi

gcc -O2 -o "$BENCH_DIR/gen_pcap" bench/gen_pcap.c
if [ ! -s "$IN" ]; then
    echo "== generating $BENCH_BYTES bytes into $IN" >&2
    "$BENCH_DIR/gen_pcap" "$IN" "$BENCH_BYTES" "${GEN_ARGS[@]}" >/dev/null
fi
FRAMES=$(capinfos -c -M "$IN" | awk -F: '/Number of packets/ {gsub(/ /,"",$2); print $2}')
SIZE=$(stat -c %s "$IN")
echo "== input: $SIZE bytes, $FRAMES frames" >&2
cat "$IN" >/dev/null   # warm the page cache (drop_caches is not used)

run_one() { # name -> prints "wall user sys" (wall from CLOCK_REALTIME ns, user/sys from time)
    local name=$1 out=$BENCH_DIR/out.$1 t0 t1
    rm -f "$out"
    cat "$IN" >/dev/null   # the input stays warm (memory reclaim may have aged it out)
    sync
    t0=$(date +%s%N)
    case $name in
    ours)    /usr/bin/time -f "%e %U %S" -o "$BENCH_DIR/time.$name" \
                 "$NMCAP" -q -S -r "$IN" -c "$FRAMES" -F netmon2 -w "$out" >/dev/null ;;
    editcap) /usr/bin/time -f "%e %U %S" -o "$BENCH_DIR/time.$name" editcap -F netmon2 "$IN" "$out" ;;
    cp)      /usr/bin/time -f "%e %U %S" -o "$BENCH_DIR/time.$name" cp "$IN" "$out" ;;
    esac
    t1=$(date +%s%N)
    echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", (b - a) / 1e9}') $(tail -1 "$BENCH_DIR/time.$name" | cut -d' ' -f2-)"
}
check_count() { # name run
    local got
    got=$(capinfos -c -M "$BENCH_DIR/out.$1" | awk -F: '/Number of packets/ {gsub(/ /,"",$2); print $2}')
    if [ "$got" != "$FRAMES" ]; then
        echo "FAIL: $1 run $2 wrote $got frames, input has $FRAMES" >&2; exit 1
    fi
    echo "   $1 run $2: output $(stat -c %s "$BENCH_DIR/out.$1") bytes, $got frames (= input)" >&2
}

: >"$RES"
METHODS=(ours editcap cp)
for r in $(seq 1 "$RUNS"); do
    # Rotate the order every run, so that no method always runs right after the same other one
    # (the filesystem may still be freeing the previous output).
    for k in 0 1 2; do
        name=${METHODS[$(((k + r - 1) % 3))]}
        t=$(run_one "$name")
        echo "$name $t" >>"$RES"
        echo "   run $r $name: wall/user/sys $t" >&2
        case $name in
        ours) check_count ours "$r" ;;
        editcap) [ "$r" = 1 ] && check_count editcap "$r" ;;
        cp) cmp -s "$IN" "$BENCH_DIR/out.cp" || { echo "FAIL: cp output differs" >&2; exit 1; } ;;
        esac
        rm -f "$BENCH_DIR/out.$name"
    done
done

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -A W U S B
for name in ours editcap cp; do
    W[$name]=$(awk -v n=$name '$1==n {print $2}' "$RES" | median)
    B[$name]=$(awk -v n=$name '$1==n {print $2}' "$RES" | sort -g | head -1)
    U[$name]=$(awk -v n=$name '$1==n {print $3}' "$RES" | median)
    S[$name]=$(awk -v n=$name '$1==n {print $4}' "$RES" | median)
done
mbs() { awk -v b="$SIZE" -v w="$1" 'BEGIN {printf "%.0f", (w > 0 ? b / 1e6 / w : 0)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }

{
    echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'); machine: nproc $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), kernel $(uname -r), $(free -g | awk '/Mem:/ {print $2}') GiB RAM"
    echo "Tools: ndisnpp $(git -C "$ROOT" rev-parse --short HEAD) (release, nmcap), $(editcap --version | head -1 | sed "s/\.$//"), $(cp --version | head -1)"
    echo "Input: $SIZE bytes, $FRAMES Ethernet frames ($([ "$MIX" = small ] && echo "64 B each" || echo "64..1514 B")), classic pcap, page cache warm; $RUNS interleaved runs, median; output on the same filesystem ($BENCH_DIR)"
    echo
    echo "| method | command | wall s (median) | user s | sys s | MB/s (median) | wall s (fastest) | MB/s (fastest) |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|"
    echo "| ours | \`nmcap -q -S -r IN -c $FRAMES -F netmon2 -w OUT\` | ${W[ours]} | ${U[ours]} | ${S[ours]} | $(mbs "${W[ours]}") | ${B[ours]} | $(mbs "${B[ours]}") |"
    echo "| editcap | \`editcap -F netmon2 IN OUT\` | ${W[editcap]} | ${U[editcap]} | ${S[editcap]} | $(mbs "${W[editcap]}") | ${B[editcap]} | $(mbs "${B[editcap]}") |"
    echo "| cp | \`cp IN OUT\` | ${W[cp]} | ${U[cp]} | ${S[cp]} | $(mbs "${W[cp]}") | ${B[cp]} | $(mbs "${B[cp]}") |"
    echo
    echo "Ratios (medians): ours/editcap throughput = **$(ratio "${W[editcap]}" "${W[ours]}")×** (target ≥ 5×); cp/ours throughput = **$(ratio "${W[ours]}" "${W[cp]}")×** (target ≤ 2×)."
    echo "Ratios (fastest runs): ours/editcap = **$(ratio "${B[editcap]}" "${B[ours]}")×**; cp/ours = **$(ratio "${B[ours]}" "${B[cp]}")×**."
    echo
    echo "All runs (name wall user sys):"
    echo '```'
    cat "$RES"
    echo '```'
} | tee "${OUT_MD:-$BENCH_DIR/offline.md}"
