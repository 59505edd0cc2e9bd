#!/bin/bash
# run-remote.sh: remote capture over ssh to 127.0.0.1, side by side with the sshdump way
# (`ssh host tcpdump -U -w - | tcpdump -r - -w FILE`), on the same offered traffic. As root:
#
#   bash bench/run-remote.sh
#
# A private sshd on 127.0.0.1 (scripts/test-sshd.sh); a veth pair, one end (the captured
# interface) in this namespace, where sshd runs, its peer in a namespace of its own from which
# trafgen sends N frames of SIZE bytes (EtherType 0x88B5, nothing leaves the pair). Per round, one
# tool after the other (the order rotated):
#   nmcap    `nmcap -i ssh://capturehost/VETH -F pcap -w F` (this build's nmcap on both sides)
#   sshdump  `ssh capturehost tcpdump -U -w - -i VETH | tcpdump -r - -w F`
#   local    `nmcap -i VETH -F pcap -w F` (no ssh: what a local capture keeps at that rate)
# It records the frames in the file (capinfos), the CPU time of the local side (the tool and
# its ssh) and of the remote side (what ran under sshd: nmcap --stream or tcpdump), each measured
# by bench/cputime.py, and prints medians and ratios. Then the setup time of a remote NIC
# (bench/remote_setup.c: esp_connect, which starts the NPP's ssh master, esp_start, esp_stop).
# Settings: ROUNDS [3], N [200000], SIZES ["64 1500"], SETUP_ROUNDS [5], SETTLE [3] s,
# RATE [full speed] (trafgen -b, such as 200Mbit: a rate the pipe and ssh can carry).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
ROUNDS=${ROUNDS:-3} N=${N:-200000} SIZES=${SIZES:-"64 1500"} SETUP_ROUNDS=${SETUP_ROUNDS:-5} SETTLE=${SETTLE:-3}
[ "$(id -u)" = 0 ] || { echo "run-remote.sh: run as root" >&2; exit 1; }
for t in trafgen tcpdump capinfos cmake gcc; do command -v $t >/dev/null || { echo "run-remote.sh: missing $t" >&2; exit 1; }; done
TMP=$(mktemp -d /tmp/ndisnpp-bench-remote.XXXXXX)
D=$TMP/sshd NS=nb-rm-$$ V=nbrm$$ P=nbrp$$
cleanup() {
    ip link del "$V" 2>/dev/null
    ip netns del "$NS" 2>/dev/null
    bash "$ROOT/scripts/test-sshd.sh" stop "$D" >/dev/null 2>&1
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
(cd "$ROOT" && cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DNDISNPP_BUILD_TESTS=OFF >/dev/null && cmake --build build/release -j"$(nproc)" >/dev/null) || exit 1
LIBDIR=$(sed -n 's/^NDISNPP_CARGO_TARGET_DIR:PATH=//p' "$ROOT/build/release/CMakeCache.txt")/release
NMCAP=$ROOT/build/release/tools/nmcap
gcc -O2 -std=c99 -I"$ROOT/include" -o "$TMP/remote_setup" "$HERE/remote_setup.c" -L"$LIBDIR" -lndisnpp -Wl,-rpath,"$LIBDIR" || exit 1
bash "$ROOT/scripts/test-sshd.sh" start "$D" >/dev/null || exit 1
export NDISNPP_SSH_CONFIG=$D/ssh_config
# The remote side, under cputime.py: nmcap for the library, tcpdump for the sshdump way.
printf '#!/bin/sh\nexec python3 %s %s/remote.cpu %s "$@"\n' "$HERE/cputime.py" "$TMP" "$NMCAP" >"$D/bin/nmcap"
chmod 755 "$D/bin/nmcap"
ip netns add "$NS" && ip link add "$V" type veth peer name "$P" netns "$NS" &&
    sysctl -qw "net.ipv6.conf.$V.disable_ipv6=1" && ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 &&
    ip link set "$V" up && ip -n "$NS" link set "$P" up || exit 1
mac() { sed 's/^/0x/; s/:/, 0x/g'; }
dst=$(mac <"/sys/class/net/$V/address"); src=$(ip netns exec "$NS" cat "/sys/class/net/$P/address" | mac)
kv() { [ -s "$1" ] && awk 'NF == 2 { printf "%.3f", $1 + $2 }' "$1" || echo 0; }
run() { # tool size round
    local tool=$1 size=$2 out=$TMP/$1.pcap pid
    rm -f "$out" "$TMP/local.cpu" "$TMP/remote.cpu"
    case $tool in
        nmcap) python3 "$HERE/cputime.py" "$TMP/local.cpu" "$NMCAP" -i "ssh://capturehost/$V" -F pcap -w "$out" -d 0 -q >/dev/null 2>"$TMP/err" & ;;
        local) python3 "$HERE/cputime.py" "$TMP/local.cpu" "$NMCAP" -i "$V" -F pcap -w "$out" -d 0 -q >/dev/null 2>"$TMP/err" & ;;
        sshdump) python3 "$HERE/cputime.py" "$TMP/local.cpu" bash -c "ssh -F $D/ssh_config -o BatchMode=yes -T capturehost 'python3 $HERE/cputime.py $TMP/remote.cpu tcpdump -U -w - -i $V 2>/dev/null' | tcpdump -r - -w $out 2>/dev/null" & ;;
    esac
    pid=$!
    sleep "$SETTLE"
    echo "{ $dst, $src, 0x88, 0xb5, fill(0xa5, $((size - 14))) }" >"$TMP/tg.cfg"
    ip netns exec "$NS" trafgen -o "$P" -i "$TMP/tg.cfg" -n "$N" -P 1 --no-sock-mem -Q -C ${RATE:+-b "$RATE"} >/dev/null 2>&1
    sleep 2
    case $tool in
        nmcap | local) pkill -INT -P "$pid" -f "$NMCAP" ;;
        sshdump) pkill -TERM -f "^tcpdump -U -w - -i $V" ;;
    esac
    wait "$pid"
    [ "$tool" = local ] || for _ in $(seq 50); do [ -s "$TMP/remote.cpu" ] && break; sleep 0.1; done
    local got; got=$(capinfos -c -M "$out" 2>/dev/null | sed -n 's/^Number of packets: *//p')
    echo "$tool $size $3 ${got:-0} $(kv "$TMP/local.cpu") $(kv "$TMP/remote.cpu")" | tee -a "$TMP/raw"
}
for size in $SIZES; do
    for ((r = 1; r <= ROUNDS; r++)); do
        if ((r % 2)); then run nmcap "$size" "$r"; run sshdump "$size" "$r"; run local "$size" "$r"
        else run local "$size" "$r"; run sshdump "$size" "$r"; run nmcap "$size" "$r"; fi
    done
done
echo
echo "Offered: $N frames per run${RATE:+ at $RATE}. Medians over $ROUNDS rounds; CPU in seconds (user+system)."
echo
echo "| frame | tool | frames in file | local CPU | remote CPU | total CPU | CPU µs per frame kept | per frame nmcap/sshdump |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
python3 - "$TMP/raw" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if len(l.split()) == 6]
by = {}
for tool, size, r, got, lc, rc in rows:
    by.setdefault((int(size), tool), []).append((int(got), float(lc or 0), float(rc or 0)))
for size in sorted({s for s, _ in by}):
    med = {t: [statistics.median(x[i] for x in by[(size, t)]) for i in range(3)] for t in ("nmcap", "sshdump", "local") if (size, t) in by}
    per = {t: (lc + rc) / got * 1e6 if got else float("nan") for t, (got, lc, rc) in med.items()}
    for t, (got, lc, rc) in med.items():
        ratio = f"{per['nmcap'] / per['sshdump']:.2f}" if t == "nmcap" and "sshdump" in per else ""
        print(f"| {size} B | {t} | {got:,.0f} | {lc:.3f} | {rc:.3f} | {lc + rc:.3f} | {per[t]:.2f} | {ratio} |")
EOF
echo
echo "Setup of a remote NIC ($SETUP_ROUNDS rounds, each a new NPP: Connect starts its ssh master and probes, Start opens a channel on it), seconds:"
mkdir -m 700 "$TMP/caps"
"$TMP/remote_setup" capturehost "$V" "$NMCAP" "$TMP/caps" "$SETUP_ROUNDS" | sort -t= -k2 | tee "$TMP/setup"
t0=$(date +%s.%N); ssh -F "$D/ssh_config" -o BatchMode=yes capturehost true; t1=$(date +%s.%N)
echo "ssh capturehost true (reference): $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }') s"
