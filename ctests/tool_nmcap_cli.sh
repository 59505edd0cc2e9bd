#!/bin/bash
# nmcap's command line (issue 20), one check per rule and per exit status of tools/exit_codes.h:
#   - -h and --help print every option with its default and the exit status table on stdout,
#     exit 0; --version prints the library's version (Cargo.toml's), exit 0;
#   - every numeric option (-c, -d, -s, -B) is parsed strictly: a bad number or one out of range
#     exits 2 with a message naming the option and what it takes, before anything starts (no
#     file written); the limits themselves are accepted;
#   - -F with an unknown name says the format is unknown (not the input file); any case works;
#   - options that cannot go together (-i/-r, -R/-w, -R/-F, -R/-S) say so, exit 2;
#   - -w DIR is refused at once (exit 2, "a directory"), before any capture;
#   - unknown options, a missing value, an expression libpcap cannot parse, --repair without a file: exit 2;
#   - exit 0 (a replay ended by -d), 1 (a missing replay file; a file --repair cannot repair),
#     3 (a replay file cut inside a record). Exit 4 (no CAP_NET_RAW) is tool_nmcap.sh's;
#   - the default interface (root, in a network namespace this test makes and removes): the
#     first interface up that is not a loopback, lo when there is none; nmcap names it.
# Replays need no privilege; the namespace part prints SKIP (and the test exits 77) without root.
# Usage: tool_nmcap_cli.sh NMCAP SOURCE_DIR
set -u
nmcap="$1"
src="$2"
failures=0
skipped=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
skip_part() { echo "SKIP: $*"; skipped=$((skipped + 1)); }
[ -x "$nmcap" ] || { echo "FAIL: no nmcap at '$nmcap'"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ndisnpp-nmcap-cli-XXXXXX") || exit 1
netns=""
cleanup() {
    [ -n "$netns" ] && ip netns del "$netns" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
export NETMON_CAPTURE_DIR="$tmp/capdir"
mkdir -m 700 "$NETMON_CAPTURE_DIR"

# A classic pcap (Ethernet) of 4 frames of 100 bytes.
pcap="$tmp/in.pcap"
{
    printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x01\x00\x00\x00'
    for _ in 1 2 3 4; do
        printf '\x00\x00\x00\x60\x00\x00\x00\x00\x64\x00\x00\x00\x64\x00\x00\x00'
        printf '\xff\xff\xff\xff\xff\xff\x02\x00\x00\x00\x00\x01\x88\xb5'
        head -c 86 /dev/zero
    done
} >"$pcap"

# run ARGS...: runs nmcap (at most 60 s), sets rc, out, err.
run() {
    timeout 60 "$nmcap" "$@" >"$tmp/stdout" 2>"$tmp/stderr"
    rc=$?
    out=$(cat "$tmp/stdout")
    err=$(cat "$tmp/stderr")
}
nothing_written() { [ -z "$(ls -A "$NETMON_CAPTURE_DIR")" ]; }

# ---- --help, -h, --version -------------------------------------------------------------------
run --help
help="$out"
if [ $rc -ne 0 ] || [ -n "$err" ]; then
    fail "--help: exit $rc, stderr '$err'"
else
    for opt in -i -r -w -F -c -d -s -B -p -q -S -R -h --help --version --repair; do
        grep -qE -- "^  ($opt[ ,]|-h, $opt )" <<<"$help" || fail "--help does not explain $opt"
    done
    for default in "Default: the first interface" "netmon2 (default)" "Default: no" "Default: 10, or 0 when -c or -r is" \
                   "0 = the whole frame. Default: 0" "Default: promiscuous"; do
        grep -qF -- "$default" <<<"$help" || fail "--help does not name the default '$default'"
    done
    for code in 0 1 2 3 4; do
        grep -qE "^  $code  " <<<"$help" || fail "--help has no exit status $code"
    done
    echo "ok: --help exits 0 and explains every option, its default and the exit status"
fi
run -h
[ $rc -eq 0 ] && [ "$out" = "$help" ] || fail "-h: exit $rc, or not the same text as --help"
[ $rc -eq 0 ] && echo "ok: -h is --help"
version=$(sed -n 's/^version *= *"\(.*\)"/\1/p' "$src/Cargo.toml" | head -1)
run --version
if [ $rc -eq 0 ] && [ "$out" = "nmcap (ndisnpp) $version" ]; then
    echo "ok: --version: $out"
else
    fail "--version: exit $rc, '$out', expected 'nmcap (ndisnpp) $version'"
fi

# ---- usage errors: exit 2, the option named, nothing started --------------------------------
# usage_error "ARGS" REGEX: nmcap ARGS exits 2 at once, stderr matches REGEX, no capture file.
usage_error() {
    local t0 t1
    t0=$(date +%s%N)
    # shellcheck disable=SC2086
    run $1
    t1=$(date +%s%N)
    if [ $rc -ne 2 ]; then
        fail "nmcap $1: exit $rc, expected 2: $err"
    elif ! grep -qE -- "$2" <<<"$err"; then
        fail "nmcap $1: stderr does not match '$2': $err"
    elif ! nothing_written; then
        fail "nmcap $1: a capture file was written: $(ls "$NETMON_CAPTURE_DIR")"
        rm -f "$NETMON_CAPTURE_DIR"/*
    elif [ $(( (t1 - t0) / 1000000 )) -gt 2000 ]; then
        fail "nmcap $1: took $(( (t1 - t0) / 1000000 )) ms (a capture ran?)"
    else
        echo "ok: nmcap $1: exit 2: $(head -1 <<<"$err")"
    fi
}
r="-r $pcap -d 5"
# -c COUNT: 1 to 4294967295
usage_error "$r -c abc" '^nmcap: -c abc: not a whole number; expected a number of frames from 1 to 4294967295$'
usage_error "$r -c -1" '^nmcap: -c -1: not a whole number'
usage_error "$r -c 0" '^nmcap: -c 0: out of range; expected a number of frames from 1 to 4294967295$'
usage_error "$r -c 4294967296" '^nmcap: -c 4294967296: out of range'
usage_error "$r -c 99999999999999999999999" '^nmcap: -c 99999999999999999999999: out of range'
usage_error "$r -c 10k" '^nmcap: -c 10k: not a whole number'
usage_error "$r -c 0x10" '^nmcap: -c 0x10: not a whole number'
usage_error "$r -c +5" '^nmcap: -c \+5: not a whole number'
# -d SECONDS: 0 to 2147483647
usage_error "$r -d abc" '^nmcap: -d abc: not a number; expected a number of seconds from 0 to 2147483647'
usage_error "$r -d -1" '^nmcap: -d -1: not a number'
usage_error "$r -d 1e3" '^nmcap: -d 1e3: not a number'
usage_error "$r -d 1.2.3" '^nmcap: -d 1.2.3: not a number'
usage_error "$r -d 2147483648" '^nmcap: -d 2147483648: out of range'
# -s SNAPLEN: 0 to 262144
usage_error "$r -s -5" '^nmcap: -s -5: not a whole number; expected a number of bytes from 0 to 262144'
usage_error "$r -s 262145" '^nmcap: -s 262145: out of range'
usage_error "$r -s 4294967291" '^nmcap: -s 4294967291: out of range'
# -B SIZE: 0 to 1 GiB, K/M/G
usage_error "$r -B 4294967296" '^nmcap: -B 4294967296: out of range; expected a number of bytes from 0 to 1073741824'
usage_error "$r -B 1073741825" '^nmcap: -B 1073741825: out of range'
usage_error "$r -B 2G" '^nmcap: -B 2G: out of range'
usage_error "$r -B 1x" '^nmcap: -B 1x: not a whole number'
usage_error "$r -B 1KB" '^nmcap: -B 1KB: not a whole number'
usage_error "$r -B -1" '^nmcap: -B -1: not a whole number'
# -F: the format name, not the input file
usage_error "$r -F foo" '^nmcap: -F foo: unknown file format; expected netmon2, pcap or pcapng$'
grep -q "$pcap" "$tmp/stderr" && fail "-F foo: the message names the input file: $err"
# options that cannot go together
usage_error "-i lo -r $pcap" '^nmcap: -i and -r cannot go together'
usage_error "-R -r $pcap -w $tmp/x.cap" '^nmcap: -R and -w cannot go together'
usage_error "-R -r $pcap -F pcap" '^nmcap: -R and -F cannot go together'
usage_error "-R -r $pcap -S" '^nmcap: -R and -S cannot go together'
# -w DIR, up front
usage_error "$r -w $tmp" "^nmcap: -w $tmp: a directory; -w takes a file name"
usage_error "$r -w $tmp/" "^nmcap: -w $tmp/: a directory"
# the rest of usage
usage_error "-Z" '^nmcap: -Z: unknown option$'
usage_error "--bogus" '^nmcap: --bogus: unknown option$'
usage_error "-r $pcap -c" '^nmcap: -c takes a value$'
# The arguments after the options are a pcap-filter expression: one libpcap cannot parse is a
# usage error (nothing that could need a name lookup).
usage_error "-r $pcap udp port" '^nmcap: invalid filter expression "udp port"'
usage_error "--repair" '^nmcap: --repair: no FILE given$'
grep -q '^usage: nmcap' "$tmp/stderr" || fail "a usage error does not print the usage"

# ---- the limits are accepted; the format's name in any case ----------------------------------
run -r "$pcap" -c 4294967295 -d 0.3 -s 262144 -B 1M -F PcapNG -q -w "$tmp/limits.pcapng"
if [ $rc -eq 0 ] && [ "$(head -1 <<<"$out")" = "$tmp/limits.pcapng" ] && grep -q '^frames captured 4, ' <<<"$out"; then
    echo "ok: -c 4294967295 -d 0.3 -s 262144 -B 1M -F PcapNG accepted (exit 0: $(tail -1 <<<"$out"))"
else
    fail "the limits: exit $rc: $out $err"
fi
run -r "$pcap" -c 2 -s 0 -B 0 -d 0 -q -w "$tmp/zero.cap"
[ $rc -eq 0 ] && grep -q '^frames captured 2, ' <<<"$out" || fail "-c 2 -s 0 -B 0 -d 0: exit $rc: $out $err"

# ---- exit status -----------------------------------------------------------------------------
run -r "$pcap" -d 0.2 -q -w "$tmp/zero2.cap"
[ $rc -eq 0 ] && echo "ok: exit 0: a replay ended by -d" || fail "exit 0: a replay ended by -d: exit $rc: $err"
run -r "$tmp/no-such.pcap" -d 1 -w "$tmp/missing.cap"
if [ $rc -eq 1 ] && grep -q "cannot open $tmp/no-such.pcap" <<<"$err"; then
    echo "ok: exit 1: a missing replay file: $(head -1 <<<"$err")"
else
    fail "a missing replay file: exit $rc, expected 1: $err"
fi
echo "not a capture" >"$tmp/text.txt"
run --repair "$tmp/text.txt"
[ $rc -eq 1 ] && echo "ok: exit 1: --repair of a text file" || fail "--repair of a text file: exit $rc, expected 1: $err"
head -c $(( $(stat -c %s "$pcap") - 50 )) "$pcap" >"$tmp/cut.pcap"
run -r "$tmp/cut.pcap" -d 0 -q -w "$tmp/cut.cap"
if [ $rc -eq 3 ] && grep -q '^nmcap: capture ended: .*(NMERR_INVALID_FILE_FORMAT)$' <<<"$err"; then
    echo "ok: exit 3: a replay file cut inside a record: $(head -1 <<<"$err")"
else
    fail "a cut replay file: exit $rc, expected 3: $err"
fi

# ---- the default interface -------------------------------------------------------------------
if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null 2>&1; then
    skip_part "the default interface: needs root and ip(8) for a network namespace"
elif ! ip netns add "ndisnpp-cli-$$" 2>"$tmp/netns.err"; then
    skip_part "the default interface: cannot make a network namespace: $(cat "$tmp/netns.err")"
else
    netns="ndisnpp-cli-$$"
    in_ns() { ip netns exec "$netns" "$@"; }
    ip -n "$netns" link set lo up
    ip -n "$netns" link add name nmclia type veth peer name nmclib
    # default_is IFACE WHY: nmcap without -i (or -r) captures on IFACE and says so.
    default_is() {
        timeout 60 ip netns exec "$netns" "$nmcap" -d 0.3 -q -w "$tmp/default.cap" >"$tmp/stdout" 2>"$tmp/stderr"
        rc=$?
        if [ $rc -eq 0 ] && grep -qx "nmcap: capturing on $1 (no -i: $2)" "$tmp/stderr" && [ -s "$tmp/default.cap" ]; then
            echo "ok: default interface: $(head -1 "$tmp/stderr")"
        else
            fail "default interface: expected $1: exit $rc: $(cat "$tmp/stderr")"
        fi
    }
    # Only lo up: lo.
    default_is lo "no interface up but the loopback"
    # The second of the pair up (the first stays down): the one that is up.
    ip -n "$netns" link set nmclib up
    default_is nmclib "the first interface up that is not a loopback"
    ip netns del "$netns"
    netns=""
fi

if [ $failures -ne 0 ]; then
    echo "tool_nmcap_cli: $failures failure(s)"
    exit 1
fi
if [ $skipped -ne 0 ]; then
    echo "tool_nmcap_cli: $skipped part(s) skipped (see SKIP above); everything else passed"
    exit 77
fi
echo "tool_nmcap_cli: ok"
