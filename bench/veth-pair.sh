# Sourced by bench/run-live.sh, bench/run-rtc.sh and bench/run-control.sh (LIVE=1): two network
# namespaces joined by a veth pair, for trafgen to send raw Ethernet frames (EtherType 0x88B5,
# local experimental) from nb-tx-$$ to the veth end in nb-rx-$$; nothing leaves the pair.
# veth_up creates them; veth_down (call it from the EXIT trap) removes them; trafgen_cfg SIZE
# prints a trafgen configuration for SIZE-byte frames; veth_tx_packets reads the sender's counter;
# veth_offer runs one capture tool while trafgen sends.
NS_TX=nb-tx-$$
NS_RX=nb-rx-$$
V_TX=nbt$$
V_RX=nbr$$

veth_up() {
    ip netns add "$NS_TX"
    ip netns add "$NS_RX"
    ip link add "$V_TX" type veth peer name "$V_RX"
    ip link set "$V_TX" netns "$NS_TX"
    ip link set "$V_RX" netns "$NS_RX"
    local ns
    for ns in "$NS_TX" "$NS_RX"; do
        ip netns exec "$ns" ip link set lo up
        # No IPv6 autoconf chatter on the pair: only our frames should be counted.
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 || true
    done
    ip netns exec "$NS_TX" ip link set "$V_TX" up
    ip netns exec "$NS_RX" ip link set "$V_RX" up
    MAC_TX=$(ip netns exec "$NS_TX" cat /sys/class/net/$V_TX/address)
    MAC_RX=$(ip netns exec "$NS_RX" cat /sys/class/net/$V_RX/address)
    sleep 0.5
}

veth_down() {
    ip netns del "$NS_TX" 2>/dev/null
    ip netns del "$NS_RX" 2>/dev/null
    return 0
}

trafgen_cfg() { # size
    local hex_rx hex_tx
    hex_rx=$(echo "$MAC_RX" | sed 's/^/0x/; s/:/, 0x/g')
    hex_tx=$(echo "$MAC_TX" | sed 's/^/0x/; s/:/, 0x/g')
    echo "{ $hex_rx, $hex_tx, 0x88, 0xb5, fill(0xa5, $(($1 - 14))) }"
}

veth_tx_packets() { ip netns exec "$NS_TX" cat /sys/class/net/$V_TX/statistics/tx_packets; }

# veth_send CFG N: sends N frames from CPU $TX_CPU: trafgen configuration CFG at full rate, or,
# with TX_RATE set and not 0, $TX_SIZE-byte frames of the same content at TX_RATE frames/s
# (bench/tx_paced.c, built into $TMP on first use: trafgen's own rate limit does not hold above
# about 100,000 frames/s).
veth_send() {
    local cfg=$1 n=$2
    if [ "${TX_RATE:-0}" = 0 ]; then
        ip netns exec "$NS_TX" taskset -c "$TX_CPU" trafgen -o "$V_TX" -i "$cfg" -n "$n" -P 1 --no-sock-mem -Q -C >/dev/null 2>&1
        return
    fi
    [ -x "$TMP/tx_paced" ] || gcc -O2 -std=c99 -Wall -o "$TMP/tx_paced" "$(dirname "${BASH_SOURCE[0]}")/tx_paced.c"
    ip netns exec "$NS_TX" taskset -c "$TX_CPU" "$TMP/tx_paced" "$V_TX" "$MAC_RX" "$MAC_TX" "$n" "$TX_SIZE" "$TX_RATE"
}

# veth_offer LOG TIMES CFG N CMD...: starts the capture tool CMD in the receiving namespace on CPU
# $RX_CPU under bench/cputime.py (its CPU times into TIMES, its output into LOG; $CAP_PID is the
# wrapper, for the caller's trap), waits $SETTLE s, sends N frames of trafgen configuration CFG
# from CPU $TX_CPU (veth_send), waits a second and stops the tool with SIGINT. Sets OFFERED (the
# frames the sender's counter says left) and RATE (frames/s, whole). 1 when the tool did not
# start (CAP_PID then still names it).
veth_offer() {
    local log=$1 tm=$2 cfg=$3 n=$4
    shift 4
    ip netns exec "$NS_RX" taskset -c "$RX_CPU" python3 "$HERE/cputime.py" "$tm" "$@" >"$log" 2>&1 &
    CAP_PID=$!
    sleep "$SETTLE"
    local child; child=$(pgrep -P "$CAP_PID" || true)
    [ -n "$child" ] || return 1
    local tx0 tx1 t0 t1
    tx0=$(veth_tx_packets); t0=$(date +%s.%N)
    veth_send "$cfg" "$n"
    t1=$(date +%s.%N); tx1=$(veth_tx_packets)
    sleep 1
    kill -INT "$child" 2>/dev/null || true
    wait "$CAP_PID" || true
    CAP_PID=
    OFFERED=$((tx1 - tx0))
    RATE=$(awk -v o="$OFFERED" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", o / (b - a)}')
}
