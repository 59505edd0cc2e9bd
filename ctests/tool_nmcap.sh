#!/bin/bash
# nmcap end to end (root only; exit 77 = skipped): captures on lo while this script sends UDP
# datagrams to 127.0.0.1 (bash's /dev/udp; nothing else is sent anywhere), and checks the files
# with Wireshark's tools (TZ=UTC):
#   - `nmcap -i lo -c 10 -w F` in each format (-F netmon2|pcap|pcapng): exit 0, capinfos -c = 10,
#     the file type, and the summary nmcap prints;
#   - the progress line under a pseudo-terminal (script): "\r<n> frames ... dropped"; none with -q
#     or when stderr is not a terminal;
#   - replay: `nmcap -r <capture> -c 10 -w OUT` reproduces the frames (tshark frame.len,
#     frame.time_epoch and the hex dump are equal);
#   - unprivileged: as user nobody (setpriv, no capabilities) nmcap exits 4 and names CAP_NET_RAW;
#   - bad usage exits 1; a missing interface or replay file exits 2 with a message.
set -u
nmcap="$1"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
skip() { echo "SKIP: $*"; exit 77; }

command -v tshark >/dev/null 2>&1 && command -v capinfos >/dev/null 2>&1 || skip "tshark/capinfos not installed (apt-get install tshark)"
[ "$(id -u)" -eq 0 ] || skip "capturing on lo needs root (CAP_NET_RAW)"
[ -x "$nmcap" ] || { echo "FAIL: no nmcap at '$nmcap'"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ndisnpp-nmcap-XXXXXX") || exit 1
pub=""
traffic_pid=""
cleanup() {
    [ -n "$traffic_pid" ] && kill "$traffic_pid" 2>/dev/null && wait "$traffic_pid" 2>/dev/null
    rm -rf "$tmp"
    [ -n "$pub" ] && rm -rf "$pub"
}
trap cleanup EXIT

# Datagrams to 127.0.0.1 (a port nothing is expected to listen on; an ICMP "port unreachable" on
# lo is fine too: every frame counts), about 50 a second until the script ends.
port=$((40000 + $$ % 10000))
(
    i=0
    while :; do
        printf 'ndisnpp-nmcap-%s-%d' "$$" "$i" >/dev/udp/127.0.0.1/"$port" 2>/dev/null
        i=$((i + 1))
        sleep 0.02
    done
) &
traffic_pid=$!

capinfo() { # capinfo OPTION LABEL FILE: the value of capinfos's LABEL line
    TZ=UTC capinfos -M "-$1" "$3" 2>/dev/null | sed -n "s/^$2: *//p" | head -1
}
fields() { # the per-frame lengths and times tshark reads
    TZ=UTC tshark -r "$1" -T fields -e frame.len -e frame.time_epoch 2>/dev/null
}

# ---- capture on lo, each format -------------------------------------------------------------
declare -A want_type=([netmon2]=netmon2 [pcap]=nsecpcap [pcapng]=pcapng)
for fmt in netmon2 pcap pcapng; do
    out="$tmp/lo-$fmt.cap"
    TZ=UTC timeout 120 "$nmcap" -S -i lo -c 10 -F "$fmt" -w "$out" >"$tmp/stdout" 2>"$tmp/stderr"
    rc=$?
    [ $rc -eq 0 ] || { fail "-F $fmt: exit $rc: $(cat "$tmp/stderr")"; continue; }
    n=$(capinfo c "Number of packets" "$out")
    [ "$n" = 10 ] || fail "-F $fmt: capinfos -c says '$n', expected 10"
    t=$(capinfo t "File type" "$out")
    [ "$t" = "${want_type[$fmt]}" ] || fail "-F $fmt: file type '$t', expected '${want_type[$fmt]}'"
    [ "$(head -1 "$tmp/stdout")" = "$out" ] || fail "-F $fmt: first output line '$(head -1 "$tmp/stdout")', expected the file name"
    grep -q '^frames captured 10, ' "$tmp/stdout" || fail "-F $fmt: summary line: $(tail -1 "$tmp/stdout")"
    # Not a terminal: no progress line.
    grep -qaE $'\r[0-9]+ frames' "$tmp/stderr" && fail "-F $fmt: progress shown although stderr is not a terminal"
    echo "ok: -F $fmt: 10 frames, file type $t"
done

# ---- the progress line under a pseudo-terminal ----------------------------------------------
TZ=UTC timeout 120 script -qec "'$nmcap' -i lo -d 1 -w '$tmp/progress.cap'" /dev/null >"$tmp/progress.txt" 2>&1
rc=$?
[ $rc -eq 0 ] || fail "progress run: exit $rc"
if grep -qaE $'\r[0-9]+ frames +[0-9]+ bytes +[0-9]+ dropped' "$tmp/progress.txt"; then
    echo "ok: progress line on a terminal"
else
    fail "no progress line (\\r<n> frames ... dropped) on a terminal: $(tr '\r' '|' <"$tmp/progress.txt" | head -c 400)"
fi
TZ=UTC timeout 120 script -qec "'$nmcap' -q -i lo -d 1 -w '$tmp/quiet.cap'" /dev/null >"$tmp/quiet.txt" 2>&1
rc=$?
[ $rc -eq 0 ] || fail "-q run: exit $rc"
grep -qaE $'\r[0-9]+ frames' "$tmp/quiet.txt" && fail "-q still shows the progress line"
[ -s "$tmp/quiet.cap" ] || fail "-q run wrote no file"

# ---- replay ---------------------------------------------------------------------------------
for pair in "pcap netmon2" "pcapng pcapng" "netmon2 pcap"; do
    set -- $pair
    src="$tmp/lo-$1.cap"
    out="$tmp/replay-$1-to-$2.cap"
    [ -s "$src" ] || { fail "replay: no source $src"; continue; }
    TZ=UTC timeout 120 "$nmcap" -S -r "$src" -c 10 -F "$2" -w "$out" >"$tmp/stdout" 2>"$tmp/stderr"
    rc=$?
    if [ "$1" = netmon2 ]; then
        # libpcap cannot read Network Monitor files: a replay of one is refused (exit 2).
        [ $rc -eq 2 ] || fail "replay of a Network Monitor file: exit $rc, expected 2"
        grep -q "$src" "$tmp/stderr" || fail "replay of a Network Monitor file: message does not name it: $(cat "$tmp/stderr")"
        [ $rc -eq 2 ] && echo "ok: replay of a Network Monitor file is refused (exit 2)"
        continue
    fi
    [ $rc -eq 0 ] || { fail "replay $1 -> $2: exit $rc: $(cat "$tmp/stderr")"; continue; }
    a=$(fields "$src")
    b=$(fields "$out")
    [ -n "$a" ] && [ "$a" = "$b" ] || fail "replay $1 -> $2: frame lengths/times differ: $(diff <(echo "$a") <(echo "$b") | head -5)"
    if ! cmp -s <(TZ=UTC tshark -r "$src" -x 2>/dev/null) <(TZ=UTC tshark -r "$out" -x 2>/dev/null); then
        fail "replay $1 -> $2: frame bytes differ"
    fi
    [ "$(capinfo c "Number of packets" "$out")" = 10 ] || fail "replay $1 -> $2: not 10 frames"
    echo "ok: replay $1 -> $2 reproduces $(echo "$b" | wc -l) frames"
done

# ---- unprivileged ---------------------------------------------------------------------------
nobody_gid=$(id -g nobody 2>/dev/null)
as_nobody() {
    setpriv --reuid=nobody --regid="$nobody_gid" --clear-groups --inh-caps=-all "$@"
}
unpriv_nmcap="$nmcap"
unpriv_env=()
if [ -z "$nobody_gid" ] || ! command -v setpriv >/dev/null 2>&1; then
    echo "note: no user nobody or no setpriv: unprivileged check runs as root without CAP_NET_RAW"
    as_nobody() { setpriv --inh-caps=-all --bounding-set=-net_raw "$@"; }
else
    as_nobody "$nmcap" -Z >/dev/null 2>&1
    if [ $? -ne 1 ]; then
        # nobody cannot run the binary where it is: copy it and the ndisnpp library it needs
        # into a directory that nobody can reach.
        pub=$(mktemp -d "${TMPDIR:-/tmp}/ndisnpp-nmcap-pub-XXXXXX") && chmod 755 "$pub"
        cp "$nmcap" "$pub/nmcap" && chmod 755 "$pub/nmcap"
        lib=$(ldd "$nmcap" | awk '/libndisnpp/ { for (i = 1; i <= NF; i++) if ($i ~ /^\//) { print $i; exit } }')
        if [ -n "$lib" ]; then
            cp "$lib" "$pub/" && chmod 644 "$pub/$(basename "$lib")"
            soname=$(readelf -d "$lib" 2>/dev/null | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
            [ -n "$soname" ] && cp "$lib" "$pub/$soname" && chmod 644 "$pub/$soname"
        fi
        unpriv_nmcap="$pub/nmcap"
        unpriv_env=(env "LD_LIBRARY_PATH=$pub")
        as_nobody "${unpriv_env[@]}" "$unpriv_nmcap" -Z >/dev/null 2>&1
        if [ $? -ne 1 ]; then
            echo "note: nobody cannot run nmcap even from $pub (library path linked in?): unprivileged check runs as root without CAP_NET_RAW"
            unpriv_nmcap="$nmcap"
            unpriv_env=()
            as_nobody() { setpriv --inh-caps=-all --bounding-set=-net_raw "$@"; }
        fi
    fi
fi
outdir=$(mktemp -d "${TMPDIR:-/tmp}/ndisnpp-nmcap-out-XXXXXX") && chmod 1777 "$outdir"
as_nobody "${unpriv_env[@]}" "$unpriv_nmcap" -i lo -c 1 -w "$outdir/x.cap" >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
rm -rf "$outdir"
[ $rc -eq 4 ] || fail "unprivileged: exit $rc, expected 4: $(cat "$tmp/stderr")"
grep -q 'CAP_NET_RAW' "$tmp/stderr" || fail "unprivileged: stderr does not mention CAP_NET_RAW: $(cat "$tmp/stderr")"
[ $rc -eq 4 ] && echo "ok: unprivileged run exits 4: $(head -1 "$tmp/stderr")"

# ---- bad usage, missing interface / file ----------------------------------------------------
for args in "-Z" "stray-argument" "-i lo -r $tmp/lo-pcap.cap"; do
    # shellcheck disable=SC2086
    "$nmcap" $args >"$tmp/stdout" 2>"$tmp/stderr"
    rc=$?
    [ $rc -eq 1 ] || fail "nmcap $args: exit $rc, expected 1"
    grep -q '^usage: nmcap' "$tmp/stderr" || fail "nmcap $args: no usage text"
done
echo "ok: bad usage exits 1"
timeout 120 "$nmcap" -i ndisnpp-nosuch0 -c 1 -w "$tmp/missing.cap" >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
[ $rc -eq 2 ] || fail "missing interface: exit $rc, expected 2"
grep -q 'ndisnpp-nosuch0' "$tmp/stderr" || fail "missing interface: message does not name it: $(cat "$tmp/stderr")"
[ -e "$tmp/missing.cap" ] && fail "missing interface: an output file was written"
[ $rc -eq 2 ] && echo "ok: missing interface exits 2: $(head -1 "$tmp/stderr")"
timeout 120 "$nmcap" -r "$tmp/no-such-file.pcap" -c 1 -w "$tmp/missing2.cap" >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
[ $rc -eq 2 ] || fail "missing replay file: exit $rc, expected 2"
grep -q 'no-such-file.pcap' "$tmp/stderr" || fail "missing replay file: message does not name it: $(cat "$tmp/stderr")"
[ $rc -eq 2 ] && echo "ok: missing replay file exits 2: $(head -1 "$tmp/stderr")"

if [ $failures -ne 0 ]; then
    echo "tool_nmcap: $failures failure(s)"
    exit 1
fi
echo "tool_nmcap: ok"
