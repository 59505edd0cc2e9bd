#!/bin/bash
# nmcap and streams (README "Streams"; no privilege needed: replays only). Checked with
# Wireshark's tools (TZ=UTC):
#   - `nmcap -r IN -w - | tshark -r -` reads every frame exactly (count, lengths, times, bytes:
#     tshark's fields of the stream equal those of IN), in pcap by default and with -F pcapng;
#   - `cat IN.pcapng | nmcap -r - -w OUT` and `printf <a pcap of one frame> | nmcap -r - -w OUT`:
#     OUT holds the same frames;
#   - `nmcap -r FILE -w OUT` without -c or -d ends at the end of FILE (within 5 s; it used to run
#     its default 10 s) with every frame, exit 0;
#   - `nmcap -r IN -w - | head -c 100`: the reader goes away: exit 3 within 20 s, "capture ended:
#     ... (NMERR_FILE_WRITE_ERROR)" and "went away" on stderr, nothing else on the pipe;
#   - `-w - -F netmon2` is refused with nmcap's usage status and says why; `-r -` with an empty
#     standard input fails and says so.
set -u
nmcap="$1"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
command -v tshark >/dev/null 2>&1 && command -v capinfos >/dev/null 2>&1 && command -v editcap >/dev/null 2>&1 ||
    { echo "SKIP: tshark/capinfos/editcap not installed"; exit 77; }
[ -x "$nmcap" ] || { echo "FAIL: no nmcap at '$nmcap'"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ndisnpp-nmcap-stream-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
export TZ=UTC

# IN: 5000 Ethernet frames of 60..1526 bytes (EtherType 0x88B5, distinct contents), classic
# microsecond pcap; its pcapng twin.
python3 - "$tmp/in.pcap" <<'PY'
import struct, sys
with open(sys.argv[1], 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
    for i in range(5000):
        ln = [60, 1514, 64, 900, 1200][i % 5] + (i % 13)
        head = bytes([0xff] * 6 + [2, 0, 0, 0, (i >> 8) & 255, i & 255, 0x88, 0xb5])
        f.write(struct.pack('<IIII', 1700000000 + i // 10, (i * 37) % 1000000, ln, ln + (i % 2)))
        f.write(head + bytes(((k * 7 + i) & 255) for k in range(ln - 14)))
PY
editcap -F pcapng "$tmp/in.pcap" "$tmp/in.pcapng" || fail "editcap"
fields() { tshark -r "$1" -T fields -e frame.len -e frame.cap_len -e frame.time_epoch -e data 2>/dev/null; }
fields "$tmp/in.pcap" >"$tmp/in.txt"
[ "$(wc -l <"$tmp/in.txt")" = 5000 ] || fail "test input: tshark reads $(wc -l <"$tmp/in.txt") frames of in.pcap, not 5000"

# ---- -w - | tshark -r - ---------------------------------------------------------------------
for fmt in "" "-F pcap" "-F pcapng"; do
    # shellcheck disable=SC2086
    timeout 60 "$nmcap" -r "$tmp/in.pcap" -w - $fmt 2>"$tmp/stderr" | tshark -r - -T fields -e frame.len -e frame.cap_len -e frame.time_epoch -e data >"$tmp/out.txt" 2>/dev/null
    rcs="${PIPESTATUS[0]}"
    [ "$rcs" = 0 ] || fail "-w - $fmt: exit $rcs: $(cat "$tmp/stderr")"
    if cmp -s "$tmp/in.txt" "$tmp/out.txt"; then
        echo "ok: nmcap -r in.pcap -w - $fmt | tshark -r -: $(wc -l <"$tmp/out.txt") frames, every length, time and byte equal"
    else
        fail "-w - $fmt | tshark -r -: $(wc -l <"$tmp/out.txt") frames, not the 5000 of the input (or different bytes)"
    fi
    grep -q "frames captured 5000," "$tmp/stderr" || fail "-w - $fmt: the summary on stderr: $(cat "$tmp/stderr")"
done
timeout 60 "$nmcap" -r "$tmp/in.pcap" -w - 2>/dev/null >"$tmp/default.out"
capinfos -t "$tmp/default.out" | grep -q "nanosecond pcap" || fail "-w - without -F is not pcap: $(capinfos -t "$tmp/default.out")"

# ---- -r - ------------------------------------------------------------------------------------
cat "$tmp/in.pcapng" | timeout 60 "$nmcap" -r - -w "$tmp/out.pcapng" -F pcapng >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
[ $rc = 0 ] || fail "cat in.pcapng | nmcap -r -: exit $rc: $(cat "$tmp/stderr")"
fields "$tmp/out.pcapng" >"$tmp/out.txt"
cmp -s "$tmp/in.txt" "$tmp/out.txt" && echo "ok: cat in.pcapng | nmcap -r - -w out.pcapng: $(wc -l <"$tmp/out.txt") equal frames" ||
    fail "cat in.pcapng | nmcap -r -: $(wc -l <"$tmp/out.txt") frames, not the input's 5000 (or different bytes)"
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x3c\x00\x00\x00\x3c\x00\x00\x00\xff\xff\xff\xff\xff\xff\x02\x00\x00\x00\x00\x01\x88\xb5%046d' 7 |
    timeout 60 "$nmcap" -r - -w "$tmp/one.pcap" -F pcap >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
[ $rc = 0 ] && [ "$(tshark -r "$tmp/one.pcap" -T fields -e frame.len -e frame.time_epoch 2>/dev/null)" = "$(printf '60\t1.000002000')" ] &&
    echo "ok: printf <one frame> | nmcap -r -: that frame" || fail "printf | nmcap -r -: exit $rc, $(tshark -r "$tmp/one.pcap" 2>&1 | head -3) $(cat "$tmp/stderr")"
timeout 60 "$nmcap" -r - -w "$tmp/none.pcap" -F pcap </dev/null >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
[ $rc != 0 ] && grep -q "empty" "$tmp/stderr" && echo "ok: nmcap -r - </dev/null: exit $rc: $(head -1 "$tmp/stderr")" ||
    fail "empty standard input: exit $rc, $(cat "$tmp/stderr")"

# ---- -r FILE ends at its end -----------------------------------------------------------------
t0=$(date +%s%N)
timeout 60 "$nmcap" -r "$tmp/in.pcap" -w "$tmp/all.pcap" -F pcap >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
fields "$tmp/all.pcap" >"$tmp/out.txt"
if [ $rc = 0 ] && [ $ms -lt 5000 ] && cmp -s "$tmp/in.txt" "$tmp/out.txt"; then
    echo "ok: nmcap -r in.pcap -w all.pcap (no -c, no -d) ended after $ms ms with the 5000 frames"
else
    fail "nmcap -r FILE without -c/-d: exit $rc after $ms ms, $(wc -l <"$tmp/out.txt") frames: $(cat "$tmp/stderr")"
fi

# ---- a reader that goes away ------------------------------------------------------------------
for k in 1 2 3 4 5 6 7 8; do cat "$tmp/in.pcap"; done >/dev/null # (warm the page cache)
t0=$(date +%s%N)
timeout 20 "$nmcap" -r "$tmp/in.pcap" -w - 2>"$tmp/stderr" | head -c 100 >"$tmp/head.out"
rc="${PIPESTATUS[0]}"
ms=$((($(date +%s%N) - t0) / 1000000))
if [ "$rc" = 3 ] && grep -q "capture ended: .*(NMERR_FILE_WRITE_ERROR)" "$tmp/stderr" && grep -q "went away" "$tmp/stderr" &&
    [ "$(stat -c %s "$tmp/head.out")" = 100 ]; then
    echo "ok: nmcap -w - | head -c 100: exit 3 after $ms ms: $(grep 'went away' "$tmp/stderr")"
else
    fail "EPIPE: exit $rc after $ms ms: $(cat "$tmp/stderr")"
fi

# ---- refused -------------------------------------------------------------------------------------
"$nmcap" -Z >/dev/null 2>&1
usage_rc=$?
timeout 20 "$nmcap" -r "$tmp/in.pcap" -w - -F netmon2 >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
if [ $rc = "$usage_rc" ] && grep -q "cannot be written to a stream" "$tmp/stderr" && [ ! -s "$tmp/stdout" ]; then
    echo "ok: -w - -F netmon2: exit $rc: $(head -1 "$tmp/stderr")"
else
    fail "-w - -F netmon2: exit $rc (usage is $usage_rc): $(cat "$tmp/stderr")"
fi
[ -e ./- ] && fail "a file named - was created"

[ $failures = 0 ] && echo "tool_nmcap_stream: all passed" && exit 0
echo "tool_nmcap_stream: $failures failed"
exit 1
