#!/bin/bash
# nmcap with a pcap-filter expression (NPP:Config:BpfFilter), on a replay file (no privilege, no
# traffic): `nmcap -r in.pcap ... 'udp port 53'` keeps exactly the 5 datagrams to port 53 of the
# 15 frames (5 UDP to port 53, 7 UDP to port 4000, 3 ARP), as Wireshark's tools read the file
# (TZ=UTC); the expression may be split over several arguments, as tcpdump takes it; -R prints
# exactly the frames that pass; an expression that matches nothing writes an empty file; one
# that libpcap cannot compile exits with the usage status (the same as a bad option's) and
# libpcap's message, and writes no file.
set -u
nmcap="$1"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
skip() { echo "SKIP: $*"; exit 77; }

command -v tshark >/dev/null 2>&1 && command -v capinfos >/dev/null 2>&1 || skip "tshark/capinfos not installed (apt-get install tshark)"
[ -x "$nmcap" ] || { echo "FAIL: no nmcap at '$nmcap'"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ndisnpp-nmcap-bpf-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# One 60-byte record at second $1: Ethernet 02:..:02 -> 02:..:01, IPv4 10.0.0.1 -> 10.0.0.2, UDP
# 12345 -> port (two bytes as \x escapes in $2), payload "abcd", zero padding.
udp() {
    printf "$(printf '\\x%02x' "$1")"'\x00\x00\x60\x00\x00\x00\x00\x3c\x00\x00\x00\x3c\x00\x00\x00'
    printf '\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00'
    printf '\x45\x00\x00\x20\x00\x00\x00\x00\x40\x11\x00\x00\x0a\x00\x00\x01\x0a\x00\x00\x02'
    printf '\x30\x39'"$2"'\x00\x0c\x00\x00abcd'
    head -c 14 /dev/zero
}
arp() { # an ARP request, 60 bytes
    printf "$(printf '\\x%02x' "$1")"'\x00\x00\x60\x00\x00\x00\x00\x3c\x00\x00\x00\x3c\x00\x00\x00'
    printf '\xff\xff\xff\xff\xff\xff\x02\x00\x00\x00\x00\x02\x08\x06\x00\x01\x08\x00\x06\x04\x00\x01'
    head -c 38 /dev/zero
}
in="$tmp/in.pcap"
{
    printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x01\x00\x00\x00'
    for i in 0 1 2 3 4 5 6; do
        [ $i -lt 5 ] && udp $((3 * i)) '\x00\x35'
        udp $((3 * i + 1)) '\x0f\xa0'
        [ $i -lt 3 ] && arp $((3 * i + 2))
    done
} >"$in"
[ "$(TZ=UTC capinfos -M -c "$in" 2>/dev/null | sed -n 's/^Number of packets: *//p')" = 15 ] || { echo "FAIL: the input file: $(capinfos "$in" 2>&1)"; exit 1; }

count() { TZ=UTC capinfos -M -c "$1" 2>/dev/null | sed -n 's/^Number of packets: *//p'; }
matching() { TZ=UTC tshark -r "$1" -Y "$2" 2>/dev/null | wc -l; }

# run LABEL OUT EXPECTED FILTER-FOR-TSHARK EXPRESSION-ARGS...
run() {
    local label="$1" out="$2" want="$3" check="$4" rc
    shift 4
    "$nmcap" -r "$in" -F pcap -d 1 -q -w "$out" "$@" >"$tmp/stdout" 2>"$tmp/stderr"
    rc=$?
    [ $rc -eq 0 ] || { fail "$label: exit $rc: $(cat "$tmp/stderr")"; return; }
    [ "$(count "$out")" = "$want" ] || fail "$label: capinfos counts $(count "$out") frames, expected $want"
    [ "$(matching "$out" "$check")" = "$want" ] || fail "$label: $(matching "$out" "$check") frames match '$check', expected $want"
    echo "ok: $label: $want frames"
}
run "'udp port 53'" "$tmp/53.pcap" 5 "udp.dstport == 53" 'udp port 53'
run "udp dst port 4000 (three arguments)" "$tmp/4000.pcap" 7 "udp.dstport == 4000" udp dst port 4000
run "'arp or udp port 53'" "$tmp/arp53.pcap" 8 "arp or udp.dstport == 53" 'arp or' udp port 53
run "'tcp' (nothing matches)" "$tmp/none.pcap" 0 "tcp" tcp

# -R: one line per frame that passes.
"$nmcap" -r "$in" -R -d 1 -q arp >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
lines=$(grep -c 'Etype 0x0806' "$tmp/stdout")
[ $rc -eq 0 ] && [ "$lines" = 3 ] && [ "$(wc -l <"$tmp/stdout")" = 3 ] || fail "-R arp: exit $rc, $lines ARP lines of $(wc -l <"$tmp/stdout"): $(cat "$tmp/stdout" "$tmp/stderr")"
[ $rc -eq 0 ] && [ "$lines" = 3 ] && echo "ok: -R arp: 3 lines"

# A bad expression: the usage status (that of a bad option), libpcap's message, no file.
"$nmcap" -Z >/dev/null 2>&1
usage_rc=$?
[ $usage_rc -ne 0 ] || fail "nmcap -Z exits 0"
"$nmcap" -r "$in" -F pcap -d 1 -q -w "$tmp/bad.pcap" udp port >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
[ $rc -eq $usage_rc ] || fail "bad expression: exit $rc, expected $usage_rc (usage)"
grep -q 'invalid filter expression "udp port": .*syntax error' "$tmp/stderr" || fail "bad expression: stderr: $(cat "$tmp/stderr")"
[ -e "$tmp/bad.pcap" ] && fail "bad expression: a file was written"
[ $rc -eq $usage_rc ] && echo "ok: bad expression exits $rc: $(head -1 "$tmp/stderr")"

[ $failures -eq 0 ] || { echo "tool_nmcap_bpf: $failures failures"; exit 1; }
echo "tool_nmcap_bpf: ok"
