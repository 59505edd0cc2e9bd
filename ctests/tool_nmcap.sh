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
#   - bad usage exits 2; a missing interface or replay file exits 1 with a message (the exit
#     status table of tools/exit_codes.h);
#   - captures that end by themselves: a full disk (a 1 MiB tmpfs this script mounts) exits 3 with
#     "capture ended: ... (NMERR_FILE_WRITE_ERROR)" and a summary that matches the file (and so does
#     a final flush that fails at Stop, when the library's esp_stop reports it); an
#     interface deleted during the capture (a veth pair in a network namespace this script makes)
#     exits 3 with NMERR_NETWORK_NOT_PRESENT; a replay file cut inside a record exits 3 and names
#     NMERR_INVALID_FILE_FORMAT; ends by -c, -d and SIGINT exit 0 and say nothing;
#   - -R into a pipe nobody reads ends within 1 s of SIGINT or SIGTERM.
#   - -w into a directory another user controls, while user nobody keeps planting symlinks to its
#     own file under the capture and output names: a world-writable directory without the sticky
#     bit, or one owned by nobody, is refused (exit 1, the reason on stderr) in each of 100 runs;
#     in a sticky world-writable directory each of 100 runs either moves its capture to OUT (a
#     regular file of root that capinfos reads) or refuses a name nobody planted (exit 1, the
#     capture kept under its printed name): never an OUT that is nobody's link; an OUT of root
#     (a file, a symlink) is replaced without writing through the link.
# A part that cannot run here (no tmpfs mount, no network namespaces) prints SKIP, and the test
# then exits 77 (skipped) unless something failed.
set -u
nmcap="$1"
failures=0
skipped=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
skip() { echo "SKIP: $*"; exit 77; }
skip_part() { echo "SKIP: $*"; skipped=$((skipped + 1)); }

command -v tshark >/dev/null 2>&1 && command -v capinfos >/dev/null 2>&1 || skip "tshark/capinfos not installed (apt-get install tshark)"
[ "$(id -u)" -eq 0 ] || skip "capturing on lo needs root (CAP_NET_RAW)"
[ -x "$nmcap" ] || { echo "FAIL: no nmcap at '$nmcap'"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ndisnpp-nmcap-XXXXXX") || exit 1
pub=""
traffic_pid=""
small_fs=""
netns=""
cleanup() {
    [ -n "$traffic_pid" ] && kill "$traffic_pid" 2>/dev/null && wait "$traffic_pid" 2>/dev/null
    if [ -n "$small_fs" ]; then
        mountpoint -q "$small_fs" && umount "$small_fs"
        rmdir "$small_fs"
    fi
    [ -n "$netns" ] && ip netns del "$netns" 2>/dev/null
    rm -rf "$tmp"
    [ -n "$pub" ] && rm -rf "$pub"
    [ -n "${attacker_pid:-}" ] && kill "$attacker_pid" 2>/dev/null && wait "$attacker_pid" 2>/dev/null
    [ -n "${wbase:-}" ] && rm -rf "$wbase"
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
        # libpcap cannot read Network Monitor files: a replay of one is refused (exit 1).
        [ $rc -eq 1 ] || fail "replay of a Network Monitor file: exit $rc, expected 1"
        grep -q "$src" "$tmp/stderr" || fail "replay of a Network Monitor file: message does not name it: $(cat "$tmp/stderr")"
        [ $rc -eq 1 ] && echo "ok: replay of a Network Monitor file is refused (exit 1)"
        continue
    fi
    [ $rc -eq 0 ] || { fail "replay $1 -> $2: exit $rc: $(cat "$tmp/stderr")"; continue; }
    a=$(fields "$src")
    b=$(fields "$out")
    if [ "$2" = netmon2 ]; then
        # A Network Monitor file keeps microseconds; a live capture on the kernel ring takes
        # nanoseconds: the same lengths, and times within a microsecond.
        if [ -n "$a" ] && paste <(echo "$a") <(echo "$b") | awk -F'\t' '$1 != $3 || ($2 - $4) > 1.5e-6 || ($4 - $2) > 1.5e-6 { bad = 1 } END { exit bad }'; then
            b=$a
        fi
    fi
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
    if [ $? -ne 2 ]; then
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
        if [ $? -ne 2 ]; then
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
for args in "-Z" "-i lo -r $tmp/lo-pcap.cap"; do
    # shellcheck disable=SC2086
    "$nmcap" $args >"$tmp/stdout" 2>"$tmp/stderr"
    rc=$?
    [ $rc -eq 2 ] || fail "nmcap $args: exit $rc, expected 2"
    grep -q '^usage: nmcap' "$tmp/stderr" || fail "nmcap $args: no usage text"
done
echo "ok: bad usage exits 2"
timeout 120 "$nmcap" -i ndisnpp-nosuch0 -c 1 -w "$tmp/missing.cap" >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
[ $rc -eq 1 ] || fail "missing interface: exit $rc, expected 1"
grep -q 'ndisnpp-nosuch0' "$tmp/stderr" || fail "missing interface: message does not name it: $(cat "$tmp/stderr")"
[ -e "$tmp/missing.cap" ] && fail "missing interface: an output file was written"
[ $rc -eq 1 ] && echo "ok: missing interface exits 1: $(head -1 "$tmp/stderr")"
timeout 120 "$nmcap" -r "$tmp/no-such-file.pcap" -c 1 -w "$tmp/missing2.cap" >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
[ $rc -eq 1 ] || fail "missing replay file: exit $rc, expected 1"
grep -q 'no-such-file.pcap' "$tmp/stderr" || fail "missing replay file: message does not name it: $(cat "$tmp/stderr")"
[ $rc -eq 1 ] && echo "ok: missing replay file exits 1: $(head -1 "$tmp/stderr")"

# ---- captures that end by themselves -------------------------------------------------------
# make_pcap FILE COUNT: a classic pcap (Ethernet) of COUNT (a power of 2) frames of 1000 bytes.
make_pcap() {
    local rec="$1.rec" n=1
    printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x01\x00\x00\x00' >"$1"
    # ts 0x60000000 s, 0 us; stored and wire length 1000; broadcast destination, EtherType 0x88B5
    # (local experimental), zero payload.
    { printf '\x00\x00\x00\x60\x00\x00\x00\x00\xe8\x03\x00\x00\xe8\x03\x00\x00'
      printf '\xff\xff\xff\xff\xff\xff\x02\x00\x00\x00\x00\x01\x88\xb5'
      head -c 986 /dev/zero; } >"$rec"
    while [ $n -lt "$2" ]; do cat "$rec" "$rec" >"$rec.2" && mv "$rec.2" "$rec"; n=$((n * 2)); done
    cat "$rec" >>"$1" && rm -f "$rec"
}
# wait_for_start DIR PID: waits (at most 20 s) until the capture file appears in DIR (esp_start
# made it) or PID is gone.
wait_for_start() {
    local i
    for i in $(seq 200); do
        ls "$1"/nm-* >/dev/null 2>&1 && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
big="$tmp/big.pcap"
make_pcap "$big" 4096 # 4 MiB
[ "$(capinfo c "Number of packets" "$big")" = 4096 ] || fail "test input: $big is not a pcap of 4096 frames"

# A full disk: a 1 MiB tmpfs, a 4 MiB replay into it.
small_fs=$(mktemp -d "${TMPDIR:-/tmp}/ndisnpp-nmcap-full-XXXXXX") || exit 1
if ! mount -t tmpfs -o size=1m,mode=0700 tmpfs "$small_fs" 2>"$tmp/mount.err"; then
    skip_part "full disk: cannot mount a tmpfs: $(cat "$tmp/mount.err")"
else
    out="$small_fs/full.cap"
    TZ=UTC timeout 120 "$nmcap" -S -r "$big" -d 60 -w "$out" >"$tmp/stdout" 2>"$tmp/stderr"
    rc=$?
    if [ $rc -ne 3 ]; then
        fail "full disk: exit $rc, expected 3: $(cat "$tmp/stderr")"
    elif ! grep -q 'capture ended: .*(NMERR_FILE_WRITE_ERROR)' "$tmp/stderr"; then
        fail "full disk: stderr does not say 'capture ended: ... (NMERR_FILE_WRITE_ERROR)': $(cat "$tmp/stderr")"
    else
        # The summary still describes the file: it holds the frames it says were captured.
        said=$(sed -n 's/^frames captured \([0-9]*\),.*/\1/p' "$tmp/stdout")
        n=$(capinfo c "Number of packets" "$out")
        [ "$(head -1 "$tmp/stdout")" = "$out" ] || fail "full disk: first output line '$(head -1 "$tmp/stdout")', expected $out"
        if [ -z "$said" ] || [ "$said" -eq 0 ] || [ "$said" -ge 4096 ] || [ "$n" != "$said" ]; then
            fail "full disk: summary says '$said' frames captured, capinfos reads '$n' in the file"
        else
            echo "ok: full disk exits 3: $(head -1 "$tmp/stderr"); the file holds the $n frames the summary reports"
        fi
    fi
    # A full disk at Stop: 128 KiB of frames stay in the writer's buffer (1 MiB) until Stop, whose
    # final flush into a 64 KiB tmpfs fails. A library whose esp_stop answers
    # NMERR_FILE_WRITE_ERROR then makes nmcap exit 3; one that answers NMERR_SUCCESS makes nmcap
    # exit 0 silently, which is noted (it is the library's answer, not nmcap's).
    umount "$small_fs"
    if ! mount -t tmpfs -o size=64k,mode=0700 tmpfs "$small_fs" 2>"$tmp/mount.err"; then
        skip_part "full disk at Stop: cannot mount a tmpfs: $(cat "$tmp/mount.err")"
    else
        make_pcap "$tmp/small.pcap" 128
        out="$small_fs/flush.cap"
        TZ=UTC timeout 120 "$nmcap" -S -r "$tmp/small.pcap" -d 1 -w "$out" >"$tmp/stdout" 2>"$tmp/stderr"
        rc=$?
        if [ $rc -eq 3 ] && grep -q 'capture ended: .*(NMERR_FILE_WRITE_ERROR)' "$tmp/stderr"; then
            echo "ok: full disk at Stop exits 3: $(head -1 "$tmp/stderr")"
        elif [ $rc -eq 0 ] && [ ! -s "$tmp/stderr" ]; then
            echo "note: full disk at Stop: the library's esp_stop answered success ($(tail -1 "$tmp/stdout")); nmcap's handling of NMERR_FILE_WRITE_ERROR from esp_stop is not exercised"
        else
            fail "full disk at Stop: exit $rc, expected 3 with 'capture ended: ... (NMERR_FILE_WRITE_ERROR)': $(cat "$tmp/stderr")"
        fi
    fi
    mountpoint -q "$small_fs" && umount "$small_fs"
    rmdir "$small_fs" && small_fs=""
fi

# An interface deleted during the capture: a veth pair in a network namespace of this test.
netns="ndisnpp-nmcap-$$"
if ! ip netns add "$netns" 2>"$tmp/netns.err"; then
    netns=""
    skip_part "interface deleted: cannot make a network namespace: $(cat "$tmp/netns.err")"
elif ! { ip -n "$netns" link add name nmcap0 type veth peer name nmcap1 &&
         ip -n "$netns" link set nmcap0 up && ip -n "$netns" link set nmcap1 up; } 2>"$tmp/netns.err"; then
    skip_part "interface deleted: cannot make a veth pair: $(cat "$tmp/netns.err")"
else
    mkdir "$tmp/gone"
    t0=$(date +%s)
    timeout 120 ip netns exec "$netns" "$nmcap" -i nmcap0 -d 10 -w "$tmp/gone/gone.cap" >"$tmp/stdout" 2>"$tmp/stderr" &
    pid=$!
    wait_for_start "$tmp/gone" $pid || fail "interface deleted: the capture did not start"
    sleep 1
    ip -n "$netns" link del nmcap0 || fail "interface deleted: cannot delete nmcap0"
    wait $pid
    rc=$?
    took=$(($(date +%s) - t0))
    if [ $rc -ne 3 ]; then
        fail "interface deleted: exit $rc, expected 3: $(cat "$tmp/stderr")"
    elif ! grep -q 'capture ended: .*(NMERR_NETWORK_NOT_PRESENT)' "$tmp/stderr"; then
        fail "interface deleted: stderr does not say 'capture ended: ... (NMERR_NETWORK_NOT_PRESENT)': $(cat "$tmp/stderr")"
    elif [ $took -ge 9 ]; then
        fail "interface deleted: nmcap took $took s (did the capture run until -d 10?)"
    elif [ "$(head -1 "$tmp/stdout")" != "$tmp/gone/gone.cap" ] || ! grep -q '^frames captured ' "$tmp/stdout"; then
        fail "interface deleted: no file name and summary on stdout: $(cat "$tmp/stdout")"
    else
        echo "ok: interface deleted exits 3 after $took s: $(head -1 "$tmp/stderr")"
    fi
    ip netns del "$netns"
    netns=""
fi

# Ends that were asked for: -c, -d, SIGINT (Ctrl-C) exit 0 and print no reason.
normal_end() { # normal_end LABEL RC: checks the exit status and stderr of one run
    if [ "$2" -ne 0 ]; then
        fail "$1: exit $2, expected 0: $(cat "$tmp/stderr")"
    elif grep -q 'capture ended' "$tmp/stderr"; then
        fail "$1: stderr reports an end: $(cat "$tmp/stderr")"
    elif ! grep -q '^frames captured ' "$tmp/stdout"; then
        fail "$1: no summary: $(cat "$tmp/stdout")"
    else
        echo "ok: $1 exits 0: $(tail -1 "$tmp/stdout")"
    fi
}
TZ=UTC timeout 120 "$nmcap" -S -r "$big" -c 100 -w "$tmp/count.cap" >"$tmp/stdout" 2>"$tmp/stderr"
normal_end "-c 100 (frame limit)" $?
grep -q '^frames captured 100, ' "$tmp/stdout" || fail "-c 100: summary: $(tail -1 "$tmp/stdout")"
TZ=UTC timeout 120 "$nmcap" -S -r "$big" -d 1 -w "$tmp/duration.cap" >"$tmp/stdout" 2>"$tmp/stderr"
normal_end "-d 1 (duration)" $?
mkdir "$tmp/int"
# nmcap itself gets the SIGINT (not a `timeout` wrapper, which passes it on to its whole process
# group and may report the signal itself); a watchdog kills it if it does not end. A replay ends at
# the end of its input: here standard input, which stays open after the frames (-r -).
int_fifo="$tmp/int-fifo"
mkfifo "$int_fifo"
TZ=UTC "$nmcap" -S -r - -d 0 -w "$tmp/int/int.cap" <"$int_fifo" >"$tmp/stdout" 2>"$tmp/stderr" &
pid=$!
exec 7>"$int_fifo" # (meets nmcap's open of it) held open until nmcap has ended
cat "$big" >&7
(for _ in $(seq 120); do sleep 1; kill -0 $pid 2>/dev/null || exit 0; done; kill -KILL $pid 2>/dev/null) &
watchdog=$!
if wait_for_start "$tmp/int" $pid; then
    sleep 0.5
    kill -INT $pid
else
    fail "SIGINT: the capture did not start"
fi
wait $pid
int_status=$?
exec 7>&-
wait $watchdog 2>/dev/null
normal_end "SIGINT (Ctrl-C)" $int_status

# Real-time mode (-R, IRTC): one line per frame on stdout, the statistics on stderr, no file.
out_rt=$(TZ=UTC timeout 120 "$nmcap" -R -r "$big" -c 10 2>"$tmp/stderr")
rt_status=$?
rt_lines=$(printf '%s\n' "$out_rt" | grep -cE '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6} len [0-9]+ ')
if [ $rt_status -ne 0 ]; then
    fail "-R: exit $rt_status: $(cat "$tmp/stderr")"
elif [ "$rt_lines" != 10 ] || [ "$(printf '%s\n' "$out_rt" | wc -l)" != 10 ]; then
    fail "-R -c 10: expected 10 frame lines, got: $out_rt"
elif ! grep -q '^10 frames printed; frames delivered 10, ' "$tmp/stderr"; then
    fail "-R: summary on stderr: $(cat "$tmp/stderr")"
else
    echo "ok: -R prints 10 frame lines ($(printf '%s\n' "$out_rt" | head -1))"
fi
"$nmcap" -R -r "$big" -w "$tmp/x.cap" >/dev/null 2>&1
[ $? -eq 2 ] || fail "-R with -w is a usage error (exit 2)"

# -R into a pipe nobody reads: the frames callback blocks on nothing, so SIGINT (and SIGTERM) still
# end nmcap within a second (like tcpdump), and it says how many lines it could not print.
for sig in INT TERM; do
    fifo="$tmp/unread.fifo"
    rm -f "$fifo" && mkfifo "$fifo"
    exec 3<>"$fifo" # a reader that never reads: the pipe fills up
    TZ=UTC "$nmcap" -R -r "$big" -d 0 >"$fifo" 2>"$tmp/stderr" &
    pid=$!
    sleep 1.5 # the pipe (64 KiB) is full long before: 4096 lines of about 50 bytes
    t0=$(date +%s%N)
    kill -$sig $pid
    ended=0
    for _ in $(seq 30); do kill -0 $pid 2>/dev/null || { ended=1; break; }; sleep 0.1; done
    t1=$(date +%s%N)
    if [ $ended -eq 0 ]; then
        kill -KILL $pid 2>/dev/null
        fail "-R into an unread pipe: SIG$sig did not end nmcap within 3 s"
    fi
    wait $pid
    st=$?
    exec 3<&-
    ms=$(( (t1 - t0) / 1000000 ))
    if [ $ended -eq 1 ] && { [ $st -ne 0 ] || [ $ms -gt 1000 ] || ! grep -q 'frames not printed: standard output was not read' "$tmp/stderr"; }; then
        fail "-R into an unread pipe, SIG$sig: exit $st after $ms ms: $(cat "$tmp/stderr")"
    elif [ $ended -eq 1 ]; then
        echo "ok: -R into an unread pipe ends on SIG$sig in $ms ms: $(grep 'not printed' "$tmp/stderr")"
    fi
done

# A replay file cut inside a record ends the capture by itself; the reason is named.
head -c $(( $(stat -c %s "$big") - 100 )) "$big" > "$tmp/cut-replay.pcap"
TZ=UTC timeout 120 "$nmcap" -S -r "$tmp/cut-replay.pcap" -d 0 -w "$tmp/cut-replay.cap" >"$tmp/stdout" 2>"$tmp/stderr"
st=$?
if [ $st -ne 3 ] || ! grep -q '^nmcap: capture ended: .* (NMERR_INVALID_FILE_FORMAT)$' "$tmp/stderr" ||
   ! grep -q 'cut short after 4095 whole records' "$tmp/stderr"; then
    fail "a cut replay file: exit $st (expected 3), stderr: $(cat "$tmp/stderr")"
else
    echo "ok: a cut replay file: $(tr '\n' ' ' < "$tmp/stderr")"
fi

# ---- -w into a directory another user controls ---------------------------------------------
# nobody runs a loop that points every capture name (nm-*) and output name in the directory
# at its own file, replacing what it may; nmcap must never leave OUT pointing there.
# as_other CMD...: runs CMD as user nobody (not root: another user).
nobody_uid=$(id -u nobody 2>/dev/null)
as_other() { setpriv --reuid=nobody --regid="$nobody_gid" --clear-groups "$@"; }
# plant DIR NAMES...: as nobody, until killed.
plant() {
    local d="$1"
    shift
    # One simple command in the background: $! is the process that becomes nobody's bash.
    setpriv --reuid=nobody --regid="$nobody_gid" --clear-groups bash -c '
        d="$1"; shift
        while :; do
            for f in "$d"/nm-* "$@"; do
                ln -sfn "$d/theirs" "$d/${f##*/}" 2>/dev/null
                [ $((RANDOM % 2)) -eq 0 ] && [ -L "$d/${f##*/}" ] && rm -f "$d/${f##*/}" 2>/dev/null
            done
        done' plant "$d" "$@" &
    attacker_pid=$!
}
stop_plant() { kill "$attacker_pid" 2>/dev/null; wait "$attacker_pid" 2>/dev/null; attacker_pid=""; }
if [ -z "$nobody_gid" ] || ! command -v setpriv >/dev/null 2>&1; then
    skip_part "-w into directories of other users: no user nobody or no setpriv"
else
    wbase=$(mktemp -d "${TMPDIR:-/tmp}/ndisnpp-nmcap-w-XXXXXX") && chmod 711 "$wbase"
    # A world-writable directory without the sticky bit: refused at once, every time.
    d="$wbase/open"
    mkdir -m 777 "$d" && chmod 777 "$d"
    as_other sh -c "echo theirs > '$d/theirs'"
    plant "$d" out.cap
    refused=0 bad=0 redirected=0
    for i in $(seq 100); do
        TZ=UTC timeout 60 "$nmcap" -S -r "$big" -c 5 -w "$d/out.cap" >"$tmp/stdout" 2>"$tmp/stderr"
        rc=$?
        if [ $rc -eq 1 ] && grep -q 'without the sticky bit.*refused' "$tmp/stderr"; then
            refused=$((refused + 1))
        else
            bad=$((bad + 1))
            [ $rc -eq 0 ] && [ -L "$d/out.cap" ] && redirected=$((redirected + 1))
            [ $bad -eq 1 ] && fail "-w into a 0777 directory: run $i: exit $rc, expected 1 with the reason: $(cat "$tmp/stderr")"
        fi
    done
    stop_plant
    [ "$(cat "$d/theirs")" = theirs ] || fail "-w into a 0777 directory: nobody's file changed"
    if [ $refused -eq 100 ]; then
        echo "ok: -w into a 0777 directory: 100 of 100 runs refused (exit 1): $(head -1 "$tmp/stderr")"
    else
        fail "-w into a 0777 directory: $refused of 100 runs refused, $bad not ($redirected exited 0 with OUT a symlink of nobody's)"
    fi
    # Owned by nobody: refused.
    d="$wbase/nobodys"
    mkdir -m 755 "$d" && chown nobody "$d"
    TZ=UTC timeout 60 "$nmcap" -S -r "$big" -c 5 -w "$d/out.cap" >"$tmp/stdout" 2>"$tmp/stderr"
    rc=$?
    if [ $rc -eq 1 ] && grep -q "owned by uid $nobody_uid.*refused" "$tmp/stderr" && [ ! -e "$d/out.cap" ]; then
        echo "ok: -w into a directory of nobody: exit 1: $(head -1 "$tmp/stderr")"
    else
        fail "-w into a directory of nobody: exit $rc, expected 1 with the reason: $(cat "$tmp/stderr")"
    fi
    # Sticky and world-writable (like /tmp), owned by root: nobody plants and removes links under
    # the output names as fast as it can.
    d="$wbase/sticky"
    mkdir -m 1777 "$d" && chmod 1777 "$d"
    as_other sh -c "echo theirs > '$d/theirs'"
    names=()
    for i in $(seq 100); do names+=("out-$i.cap"); done
    plant "$d" "${names[@]}"
    moved=0 kept=0 bad=0
    for i in $(seq 100); do
        out="$d/out-$i.cap"
        TZ=UTC timeout 60 "$nmcap" -S -r "$big" -c 5 -w "$out" >"$tmp/stdout" 2>"$tmp/stderr"
        rc=$?
        if [ $rc -eq 0 ] && [ ! -L "$out" ] && [ -f "$out" ] && [ "$(stat -c %u "$out")" = 0 ] &&
           [ "$(head -1 "$tmp/stdout")" = "$out" ]; then
            moved=$((moved + 1))
        elif [ $rc -eq 1 ] && grep -q "belongs to uid $nobody_uid" "$tmp/stderr"; then
            left=$(sed -n 's/.*; the capture is in \(.*\)$/\1/p' "$tmp/stderr")
            if [ -n "$left" ] && [ -f "$left" ] && [ ! -L "$left" ]; then
                kept=$((kept + 1))
                rm -f "$left"
            else
                bad=$((bad + 1))
                fail "-w in a sticky directory: run $i refused, but the capture is not where it says: $(cat "$tmp/stderr")"
            fi
        else
            bad=$((bad + 1))
            [ $bad -le 3 ] && fail "-w in a sticky directory: run $i: exit $rc, OUT $(ls -l "$out" 2>&1): $(cat "$tmp/stderr")"
        fi
    done
    stop_plant
    # What was moved is still root's file, readable (nobody could not replace it afterwards).
    for i in $(seq 100); do
        out="$d/out-$i.cap"
        if [ -e "$out" ] && [ ! -L "$out" ]; then
            [ "$(capinfo c "Number of packets" "$out")" = 5 ] || { bad=$((bad + 1)); fail "-w in a sticky directory: $out does not hold 5 frames"; }
        fi
    done
    [ "$(cat "$d/theirs")" = theirs ] || fail "-w in a sticky directory: nobody's file changed"
    if [ $bad -eq 0 ] && [ $((moved + kept)) -eq 100 ]; then
        echo "ok: -w in a sticky directory with nobody planting links: $moved moved, $kept refused a planted name (capture kept), 0 redirected"
    else
        fail "-w in a sticky directory: $moved moved, $kept refused, $bad wrong"
    fi
    # An OUT of root's own: a file is replaced; a symlink is replaced, its target not written.
    d="$wbase/own"
    mkdir -m 700 "$d"
    echo old >"$d/file.cap"
    echo keep >"$d/target"
    ln -s "$d/target" "$d/link.cap"
    TZ=UTC timeout 60 "$nmcap" -S -r "$big" -c 5 -w "$d/file.cap" >/dev/null 2>"$tmp/stderr" || fail "-w over an own file: $(cat "$tmp/stderr")"
    TZ=UTC timeout 60 "$nmcap" -S -r "$big" -c 5 -w "$d/link.cap" >/dev/null 2>"$tmp/stderr" || fail "-w over an own symlink: $(cat "$tmp/stderr")"
    if [ "$(capinfo c "Number of packets" "$d/file.cap")" = 5 ] && [ ! -L "$d/link.cap" ] &&
       [ "$(capinfo c "Number of packets" "$d/link.cap")" = 5 ] && [ "$(cat "$d/target")" = keep ]; then
        echo "ok: -w over a file and a symlink of root: replaced, the link's target untouched"
    else
        fail "-w over own names: $(ls -l "$d")"
    fi
    rm -rf "$wbase"
    wbase=""
fi

# --repair: a pcap cut inside its last record loses that record, and reads; a text file is refused.
cut="$tmp/cut.pcap"
head -c $(( $(stat -c %s "$big") - 100 )) "$big" > "$cut"
rep_out=$("$nmcap" --repair "$cut" 2>&1)
rep_status=$?
if [ $rep_status -ne 0 ] || [ "$rep_out" != "$cut: repaired: 4095 frames kept, a damaged or partial tail cut off, 916 bytes dropped" ] ||
   [ "$(capinfo c "Number of packets" "$cut")" != 4095 ]; then
    fail "--repair of a cut pcap: exit $rep_status, '$rep_out'"
else
    echo "ok: --repair: $rep_out"
fi
rep_out=$("$nmcap" --repair "$cut" 2>&1)
[ "$rep_out" = "$cut: sound: 4095 frames" ] || fail "--repair of a sound file: '$rep_out'"
echo "not a capture" > "$tmp/text.txt"
"$nmcap" --repair "$tmp/text.txt" >/dev/null 2>&1
[ $? -eq 1 ] || fail "--repair of a text file exits 1"
# A directory says so (issue 18: NMERR_FILE_WRITE_ERROR before).
rep_out=$("$nmcap" --repair "$tmp" 2>&1)
rep_status=$?
case "$rep_out" in
"nmcap: $tmp: a directory, not a capture file ("*) [ $rep_status -eq 1 ] || fail "--repair of a directory: exit $rep_status" ;;
*) fail "--repair of a directory: exit $rep_status, '$rep_out'" ;;
esac
# A damaged record length at frame 100 of 4096 loses that frame only, in pcap and in a Network
# Monitor 2 file with its frame table intact (issue 18: both were cut to 100 frames, exit 0).
poke32() { # poke32 FILE OFFSET VALUE: writes VALUE little-endian at OFFSET
    printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($3 & 255)) $((($3 >> 8) & 255)) $((($3 >> 16) & 255)) $((($3 >> 24) & 255)))" |
        dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
mid="$tmp/mid.pcap"
cp "$big" "$mid"
poke32 "$mid" $((24 + 100 * 1016 + 8)) $((0x7ffffff0))
"$nmcap" -r "$big" -F netmon2 -S -c 4096 -q -w "$tmp/mid.cap" >/dev/null 2>&1 || fail "replay into $tmp/mid.cap"
poke32 "$tmp/mid.cap" $((128 + 100 * 1016 + 12)) $((0x7ffffff0))
for f in "$mid" "$tmp/mid.cap"; do
    rep_out=$("$nmcap" --repair "$f" 2>&1)
    rep_status=$?
    if [ $rep_status -ne 0 ] || [ "$rep_out" != "$f: repaired: 4095 frames kept, 1 damaged place(s) skipped, 1016 bytes dropped" ] ||
       [ "$(capinfo c "Number of packets" "$f")" != 4095 ]; then
        fail "--repair of a damaged record in the middle: exit $rep_status, '$rep_out', capinfos $(capinfo c "Number of packets" "$f")"
    else
        echo "ok: --repair: $rep_out"
    fi
done

if [ $failures -ne 0 ]; then
    echo "tool_nmcap: $failures failure(s)"
    exit 1
fi
if [ $skipped -ne 0 ]; then
    echo "tool_nmcap: $skipped part(s) skipped (see SKIP above); everything else passed"
    exit 77
fi
echo "tool_nmcap: ok"
