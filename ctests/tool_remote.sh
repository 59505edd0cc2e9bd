#!/bin/bash
# The tools on a remote host (issue 21), against a private sshd on 127.0.0.1 (scripts/test-sshd.sh)
# whose sessions find this build's nmcap first on their PATH:
#   - nmlist -M prints one "#NMBLOB 1" record per interface, each one UnMarshalBlob reads back
#     (nmlist -q counts them);
#   - nmlist --remote capturehost lists the same interfaces as nmlist here (it is this host), as
#     remote NIC BLOBs (NPP:Remote:RemoteComputer, NPP:Config:IsRemote);
#   - nmcap -i ssh://capturehost/VETH -c N captures exactly the N frames sent into a veth end
#     (from its peer in a network namespace made and removed here), read back by capinfos/tshark;
#   - an unknown host key: nmcap exits 4 (no permission) and says "Host key verification failed";
#   - nmcap --stream ends after 30 s without a heartbeat (exit 3, "end NMERR_TIMEOUT"), cleanly at
#     the end of its input;
#   - no remote nmcap is left afterwards.
# Needs root and openssh-server (exit 77 without them).
# Usage: tool_remote.sh NMCAP NMLIST SOURCE_DIR
set -u
nmcap=$1 nmlist=$2 src=$3
[ "$(id -u)" = 0 ] || { echo "SKIPPED: needs root"; exit 77; }
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
D=/tmp/ndisnpp-tool-remote-$$
NS=ndisnpp-tr-$$
VETH=npptr$(($$ % 100000))
PEER=npptp$(($$ % 100000))
cleanup() {
    ip link del "$VETH" 2>/dev/null
    ip netns del "$NS" 2>/dev/null
    bash "$src/scripts/test-sshd.sh" stop "$D"
}
trap cleanup EXIT
bash "$src/scripts/test-sshd.sh" start "$D" >/dev/null
rc=$?
[ $rc = 77 ] && { echo "SKIPPED: openssh-server is not installed"; exit 77; }
[ $rc = 0 ] || { echo "FAIL: the private sshd did not start"; exit 1; }
ln -s "$(readlink -f "$nmcap")" "$D/bin/nmcap"
export NDISNPP_SSH_CONFIG=$D/ssh_config

# nmlist -M: one record per interface, each a BLOB again.
"$nmlist" -M >"$D/list.txt" || fail "nmlist -M exited $?"
records=$(grep -c '^#NMBLOB 1$' "$D/list.txt")
names=$("$nmlist" -q | wc -l)
[ "$records" = "$names" ] && [ "$records" -gt 0 ] || fail "nmlist -M: $records records for $names interfaces"
grep -q '^NPP:Location:Name=lo$' "$D/list.txt" || fail "nmlist -M: lo missing"

# nmlist --remote: this same host's interfaces, as remote NIC BLOBs.
remote=$("$nmlist" --remote capturehost -q) || fail "nmlist --remote exited $?"
[ "$remote" = "$("$nmlist" -q)" ] || fail "nmlist --remote lists '$remote', here: '$("$nmlist" -q)'"
full=$("$nmlist" --remote capturehost -f NPP:Location:Name=lo)
grep -q '  NPP:Remote:RemoteComputer=capturehost$' <<<"$full" || fail "no NPP:Remote:RemoteComputer in: $full"
grep -q '  NPP:Config:IsRemote=TRUE$' <<<"$full" || fail "no NPP:Config:IsRemote in: $full"

# nmcap -i ssh://capturehost/VETH: the frames sent into the veth end, exactly.
N=25
ip netns add "$NS" && ip link add "$VETH" type veth peer name "$PEER" netns "$NS" &&
    sysctl -qw "net.ipv6.conf.$VETH.disable_ipv6=1" && ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 &&
    ip link set "$VETH" up && ip -n "$NS" link set "$PEER" up || fail "veth setup"
"$nmcap" -i "ssh://capturehost/$VETH" -F pcap -w "$D/remote.pcap" -c $N -d 60 -q >"$D/nmcap.out" 2>"$D/nmcap.err" &
pid=$!
sleep 3
ip netns exec "$NS" python3 -c "
import socket
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(('$PEER', 0))
for i in range($N):
    s.send(b'\xff' * 6 + b'\x02\0\0\0\0\x02' + b'\x88\xb5' + bytes([i]) * (46 + i))
"
wait $pid
rc=$?
[ $rc = 0 ] || fail "nmcap -i ssh://capturehost/$VETH exited $rc: $(cat "$D/nmcap.err")"
got=$(TZ=UTC capinfos -c -M "$D/remote.pcap" 2>/dev/null | sed -n 's/^Number of packets: *//p')
[ "$got" = "$N" ] || fail "the remote capture holds '$got' frames, $N sent"
lens=$(TZ=UTC tshark -r "$D/remote.pcap" -T fields -e frame.len 2>/dev/null | tr '\n' ' ')
want=$(for ((i = 0; i < N; i++)); do printf '%d ' $((60 + i)); done)
[ "$lens" = "$want" ] || fail "frame lengths '$lens', expected '$want'"

# An expression: the remote side applies it too (it is in the remote command line), and exactly
# the frames that pass it are kept.
"$nmcap" -i "ssh://capturehost/$VETH" -F pcap -w "$D/expr.pcap" -d 60 -q 'ether proto 0x88b6' >"$D/nmcap.out" 2>"$D/nmcap.err" &
pid=$!
sleep 3
pgrep -af -- "--stream -i $VETH" | grep -q -- "--bpf-hex" || fail "the remote nmcap was not given the expression: $(pgrep -af -- "--stream -i $VETH")"
ip netns exec "$NS" python3 -c "
import socket
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(('$PEER', 0))
for i in range($N):
    s.send(b'\xff' * 6 + b'\x02\0\0\0\0\x02' + (b'\x88\xb6' if i % 5 == 0 else b'\x88\xb5') + bytes([i]) * (46 + i))
"
sleep 2
kill -INT $pid
wait $pid
got=$(TZ=UTC capinfos -c -M "$D/expr.pcap" 2>/dev/null | sed -n 's/^Number of packets: *//p')
[ "$got" = "$(( (N + 4) / 5 ))" ] || fail "the expression kept '$got' frames, expected $(( (N + 4) / 5 ))"

# The ssh session itself is not captured: a remote capture of lo (where the session's TCP runs)
# holds no frame of the server's port.
port=$(sed -n 's/^Port //p' "$D/sshd_config")
"$nmcap" -i "ssh://capturehost/lo" -F pcap -w "$D/lo.pcap" -d 3 -q >/dev/null 2>&1
own=$(TZ=UTC tshark -r "$D/lo.pcap" -Y "tcp.port == $port" 2>/dev/null | wc -l)
[ "$own" = 0 ] || fail "$own frames of the ssh session ($port) in the remote capture of lo"

# An unknown host key: refused, exit 4, the reason printed.
sed 's|UserKnownHostsFile .*|UserKnownHostsFile /dev/null|' "$D/ssh_config" >"$D/ssh_config_unknown"
NDISNPP_SSH_CONFIG=$D/ssh_config_unknown "$nmcap" -i "ssh://capturehost/$VETH" -w "$D/x.cap" -d 1 -q >/dev/null 2>"$D/hk.err"
rc=$?
[ $rc = 4 ] || fail "unknown host key: exit $rc, expected 4: $(cat "$D/hk.err")"
grep -q "Host key verification failed" "$D/hk.err" || fail "unknown host key: $(cat "$D/hk.err")"

# The remote side alone: a heartbeat that stops (its input stays open, silent) ends the capture
# after 30 s with "end NMERR_TIMEOUT" and exit 3; the end of its input ends it cleanly (exit 0).
(sleep 40) | "$nmcap" --stream -i lo >/dev/null 2>"$D/silent.err"
rc=$?
[ $rc = 3 ] && grep -q '^@nmcap 1 end NMERR_TIMEOUT$' "$D/silent.err" || fail "no heartbeat: exit $rc, $(cat "$D/silent.err")"
(sleep 1) | "$nmcap" --stream -i lo >/dev/null 2>"$D/eof.err"
rc=$?
[ $rc = 0 ] && grep -q '^@nmcap 1 end NMERR_SUCCESS$' "$D/eof.err" || fail "end of input: exit $rc, $(cat "$D/eof.err")"

# Nothing left running on the "remote" side.
for _ in $(seq 100); do pgrep -f -- "--stream -i $VETH" >/dev/null || break; sleep 0.1; done
pgrep -af -- "--stream -i $VETH" && fail "a remote nmcap is still running"

[ $failures = 0 ] && echo "tool_remote: ok" || echo "tool_remote: $failures failure(s)"
exit $((failures > 0))
