#!/bin/bash
# nmcap's rotation options -C SIZE, -W FILES, -G SECONDS (tools/nmcap.c, README "Rotation"),
# checked with Wireshark's tools (TZ=UTC):
#   - `nmcap -r IN -c 300 -C 8k -F pcap -w DIR/out.pcap`: exit 0; the files are exactly those the
#     rule gives (a new file before the frame that would take the current one past 8192 bytes,
#     computed here from the pcap layout), named out_<00001...>_<YYYYMMDDTHHMMSSZ>.pcap in DIR,
#     each at most 8192 bytes, each printed on stdout in order before the statistics line, each
#     read by capinfos; their frames in order are the input's (tshark: time, length, bytes); no
#     file named OUT itself;
#   - the same with -W 2: exactly the 2 newest files are left (the last 2 names printed), holding
#     exactly the input's last frames;
#   - -F netmon2 and -F pcapng name their files .cap and .pcapng;
#   - -G 1 on lo for 3.5 s while this script sends UDP datagrams to 127.0.0.1 (root only, else
#     that part is skipped): at least 2 files, each printed and readable, and the frames they hold
#     add up to the statistics line's count;
#   - strict values: -C abc, 1x, 0, 3k (below 4096 bytes), 1100000 (above 1 TiB), -G 0, -G
#     31622401, -G -1, -W 0, -W 100001, -W alone, -R with -C: each refused with the usage exit
#     status (that of an unknown option) and a message that starts "nmcap: <the option>".
# No privilege is needed but for the -G part (replay NICs).
set -u
nmcap="$1"
failures=0
skipped=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
skip_part() { echo "SKIP: $*"; skipped=$((skipped + 1)); }

command -v tshark >/dev/null 2>&1 && command -v capinfos >/dev/null 2>&1 || { echo "SKIP: tshark/capinfos not installed"; exit 77; }
[ -x "$nmcap" ] || { echo "FAIL: no nmcap at '$nmcap'"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ndisnpp-rotate-XXXXXX") || exit 1
traffic_pid=""
cleanup() {
    [ -n "$traffic_pid" ] && kill "$traffic_pid" 2>/dev/null && wait "$traffic_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

# The input: 300 Ethernet frames (EtherType 0x88B5), frame i 60 + (i*37)%400 bytes, its index in
# bytes 14..17, at 1700000000 + i/10 s. Written with printf (bash only).
nframes=300
len_of() { echo $((60 + ($1 * 37) % 400)); }
le32() { printf "\\x$(printf %02x $(($1 & 255)))\\x$(printf %02x $((($1 >> 8) & 255)))\\x$(printf %02x $((($1 >> 16) & 255)))\\x$(printf %02x $((($1 >> 24) & 255)))"; }
{
    printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x01\x00\x00\x00'
    for ((i = 0; i < nframes; i++)); do
        n=$(len_of $i)
        le32 $((1700000000 + i / 10)); le32 $(((i % 10) * 100000)); le32 $n; le32 $n
        printf '\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x88\xb5'
        printf "\\x00\\x00\\x$(printf %02x $((i >> 8)))\\x$(printf %02x $((i & 255)))"
        head -c $((n - 18)) /dev/zero | tr '\0' "\\$(printf %03o $((i & 255)))"
    done
} >"$tmp/in.pcap"

frames() { # time, length and bytes of every frame tshark reads
    TZ=UTC tshark -r "$1" -Y 'eth.type == 0x88b5' -T fields -e frame.time_epoch -e frame.len -e data.data 2>/dev/null
}
count() { TZ=UTC capinfos -M -c "$1" 2>/dev/null | sed -n 's/^Number of packets: *//p'; }
frames "$tmp/in.pcap" >"$tmp/in.txt"
[ "$(wc -l <"$tmp/in.txt")" -eq $nframes ] || { echo "FAIL: the input holds $(wc -l <"$tmp/in.txt") frames, not $nframes"; exit 1; }

# What the rule gives for pcap files of at most 8192 bytes: the frame count of each file.
split=()
pos=24; frames_in=0
for ((i = 0; i < nframes; i++)); do
    rec=$((16 + $(len_of $i)))
    if [ $frames_in -gt 0 ] && [ $((pos + rec)) -gt 8192 ]; then split+=($frames_in); pos=24; frames_in=0; fi
    pos=$((pos + rec)); frames_in=$((frames_in + 1))
done
split+=($frames_in)
want_files=${#split[@]}
echo "the rule gives $want_files files"

# ---- -C 8k -------------------------------------------------------------------------------------
d="$tmp/size"; mkdir -p "$d"
TZ=UTC timeout 60 "$nmcap" -r "$tmp/in.pcap" -c $nframes -C 8k -F pcap -w "$d/out.pcap" >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
[ $rc -eq 0 ] || fail "-C 8k: exit $rc: $(cat "$tmp/stderr")"
mapfile -t printed < <(grep -v '^frames captured' "$tmp/stdout")
mapfile -t made < <(ls "$d" | sort)
[ ${#made[@]} -eq "$want_files" ] || fail "-C 8k: ${#made[@]} files, the rule gives $want_files"
[ ${#printed[@]} -eq "$want_files" ] || fail "-C 8k: ${#printed[@]} names printed, expected $want_files"
[ "$(tail -1 "$tmp/stdout" | cut -c1-19)" = "frames captured 300" ] || fail "-C 8k: last line: $(tail -1 "$tmp/stdout")"
[ -e "$d/out.pcap" ] && fail "-C 8k: OUT itself was written"
: >"$tmp/got.txt"
for ((k = 0; k < ${#made[@]}; k++)); do
    f="${made[$k]}"
    [[ "$f" =~ ^out_$(printf %05d $((k + 1)))_[0-9]{8}T[0-9]{6}Z\.pcap$ ]] || fail "-C 8k: file $k is named '$f'"
    [ "${printed[$k]:-}" = "$d/$f" ] || fail "-C 8k: line $k printed '${printed[$k]:-}', expected '$d/$f'"
    size=$(stat -c %s "$d/$f")
    [ "$size" -le 8192 ] || fail "-C 8k: $f is $size bytes"
    [ "$(count "$d/$f")" = "${split[$k]:-x}" ] || fail "-C 8k: $f holds $(count "$d/$f") frames, the rule gives ${split[$k]:-none}"
    frames "$d/$f" >>"$tmp/got.txt"
done
cmp -s "$tmp/got.txt" "$tmp/in.txt" || fail "-C 8k: the files' frames are not the input's, in order"
[ $failures -eq 0 ] && echo "ok: -C 8k: $want_files files, named, printed, each <= 8192 bytes, every frame once in order"

# ---- -C 8k -W 2 ----------------------------------------------------------------------------------
d="$tmp/keep"; mkdir -p "$d"
before=$failures
TZ=UTC timeout 60 "$nmcap" -r "$tmp/in.pcap" -c $nframes -C 8k -W 2 -F pcap -w "$d/ring.pcap" >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
[ $rc -eq 0 ] || fail "-W 2: exit $rc: $(cat "$tmp/stderr")"
mapfile -t printed < <(grep -v '^frames captured' "$tmp/stdout")
mapfile -t made < <(ls "$d" | sort)
[ ${#printed[@]} -eq "$want_files" ] || fail "-W 2: ${#printed[@]} names printed, expected $want_files"
[ ${#made[@]} -eq 2 ] || fail "-W 2: ${#made[@]} files left, expected 2"
[ "$d/${made[0]:-}" = "${printed[$((want_files - 2))]:-}" ] && [ "$d/${made[1]:-}" = "${printed[$((want_files - 1))]:-}" ] ||
    fail "-W 2: left ${made[*]}, not the last two printed"
tail_n=$((split[want_files - 2] + split[want_files - 1]))
{ frames "$d/${made[0]:-}"; frames "$d/${made[1]:-}"; } >"$tmp/got.txt" 2>/dev/null
tail -n $tail_n "$tmp/in.txt" | cmp -s - "$tmp/got.txt" || fail "-W 2: the 2 files do not hold the input's last $tail_n frames"
[ $failures -eq $before ] && echo "ok: -W 2: the 2 newest files are left, with the last $tail_n frames"

# ---- the other formats' names ------------------------------------------------------------------
for fmt in netmon2:cap pcapng:pcapng; do
    d="$tmp/${fmt%%:*}"; mkdir -p "$d"
    TZ=UTC timeout 60 "$nmcap" -r "$tmp/in.pcap" -c $nframes -C 8k -F "${fmt%%:*}" -w "$d/x.${fmt##*:}" >"$tmp/stdout" 2>"$tmp/stderr"
    rc=$?
    [ $rc -eq 0 ] || fail "-F ${fmt%%:*}: exit $rc: $(cat "$tmp/stderr")"
    n_made=$(ls "$d" | grep -cE "^x_[0-9]{5}_[0-9]{8}T[0-9]{6}Z\.${fmt##*:}$")
    n_all=$(ls "$d" | wc -l)
    total=0
    for f in "$d"/*; do total=$((total + $(frames "$f" | wc -l))); done
    [ "$n_made" -ge 5 ] && [ "$n_made" -eq "$n_all" ] && [ "$total" -eq $nframes ] &&
        echo "ok: -F ${fmt%%:*}: $n_made files x_*.${fmt##*:}, $total frames" ||
        fail "-F ${fmt%%:*}: $n_made of $n_all files named x_<seq>_<time>.${fmt##*:}, $total frames"
done

# ---- -G 1 on lo ---------------------------------------------------------------------------------
if [ "$(id -u)" -eq 0 ]; then
    port=$((40000 + $$ % 10000))
    ( while :; do printf 'ndisnpp-rotate' >/dev/udp/127.0.0.1/"$port" 2>/dev/null; sleep 0.02; done ) &
    traffic_pid=$!
    d="$tmp/time"; mkdir -p "$d"
    TZ=UTC timeout 60 "$nmcap" -i lo -d 3.5 -G 1 -F pcapng -w "$d/t.pcapng" >"$tmp/stdout" 2>"$tmp/stderr"
    rc=$?
    kill "$traffic_pid"; wait "$traffic_pid" 2>/dev/null; traffic_pid=""
    [ $rc -eq 0 ] || fail "-G 1: exit $rc: $(cat "$tmp/stderr")"
    mapfile -t printed < <(grep -v '^frames captured' "$tmp/stdout")
    mapfile -t made < <(ls "$d" | sort)
    total=0
    for f in "${made[@]}"; do total=$((total + $(count "$d/$f"))); done
    captured=$(sed -n 's/^frames captured \([0-9]*\),.*/\1/p' "$tmp/stdout")
    if [ ${#made[@]} -ge 2 ] && [ ${#printed[@]} -eq ${#made[@]} ] && [ "$total" = "$captured" ]; then
        echo "ok: -G 1: ${#made[@]} files in 3.5 s, each printed, $total frames = the statistics' $captured"
    else
        fail "-G 1: ${#made[@]} files, ${#printed[@]} printed, $total frames in them, statistics say '$captured'"
    fi
else
    skip_part "-G 1 on lo needs root (CAP_NET_RAW)"
fi

# ---- strict values --------------------------------------------------------------------------------
"$nmcap" -Z >/dev/null 2>&1
usage_rc=$?
[ $usage_rc -ne 0 ] || fail "an unknown option exits 0"
while IFS='|' read -r opt args; do
    # shellcheck disable=SC2086
    "$nmcap" -r "$tmp/in.pcap" -c 1 $args >"$tmp/stdout" 2>"$tmp/stderr"
    rc=$?
    if [ $rc -eq $usage_rc ] && grep -q -- "^nmcap: $opt" "$tmp/stderr" && [ ! -s "$tmp/stdout" ]; then
        echo "ok: '$args' refused ($rc): $(head -1 "$tmp/stderr")"
    else
        fail "'$args': exit $rc (usage is $usage_rc), stderr: $(head -1 "$tmp/stderr")"
    fi
done <<'EOF'
-C|-C abc
-C|-C 1x
-C|-C 0
-C|-C 3k
-C|-C 1100000
-C|-C -1
-G|-G 0
-G|-G 31622401
-G|-G -1
-W|-W 0 -C 1
-W|-W 100001 -C 1
-W|-W 3
-R|-R -C 1
EOF
# (the stdout check: nothing started, no file name printed)

echo "tool_nmcap_rotate: $failures failed, $skipped parts skipped"
[ $failures -eq 0 ] || exit 1
[ $skipped -eq 0 ] || exit 77
exit 0
