#!/usr/bin/env bash
# 10 MB each way between l4kit's TCP and the kernel's, byte-exact, through a
# TUN device in a network namespace this test makes and deletes:
#
#   kernel side (in the namespace)         l4kit side (examples/tcp_bulk)
#   192.0.2.1, 2001:db8::1 on l4tun0  <->  192.0.2.2, 2001:db8::2 behind l4tun0
#   tests/tcp_bulk.py (plain sockets)
#
#   1. IPv4, l4kit connects to the kernel's listener; IPv6, the kernel
#      connects to l4kit's. Both directions at once, each byte checked.
#   2. The same again with the kernel dropping 3 % of the packets it receives
#      from us (an nftables `numgen random` rule in the namespace) while a
#      link::fault on our side drops 3 % of the frames we send and of those
#      we receive: both sides' retransmission paths run. Our minimum RTO is
#      200 ms there, Linux's own (RFC 6298's 1 s makes the run last minutes).
#      Each run takes 30 to 50 s, most of it our retransmission timeouts.
#
# Every run is recorded by l4kit's pcap_tap, and tshark judges each capture
# (tests/interop/tshark_check.sh): no malformed frame, no bad checksum, and
# on the runs without loss no TCP analysis flag but flow control's.
# The kernel's TCP checksum-error counter must stay 0. Every command is
# bounded by `timeout`; the whole test takes about two minutes.
# Exits 77 (skipped) without root or /dev/net/tun; a missing tool fails.
#
# Usage: tcp_bulk.sh <tcp_bulk binary> <tests dir (tcp_bulk.py)>
set -u
bulk=$1
tests=$2
here=$(dirname "${BASH_SOURCE[0]}")

if [[ $EUID -ne 0 || ! -c /dev/net/tun ]]; then
    echo "SKIPPED: needs root and /dev/net/tun"
    exit 77
fi
missing=()
for tool in ip nft python3 tshark timeout; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
    echo "FAIL: missing tools: ${missing[*]} (Debian: iproute2, nftables, python3, tshark, coreutils)"
    exit 1
fi
# shellcheck source=SCRIPTDIR/tshark_check.sh
source "$here/tshark_check.sh"

ns=l4bulk-$$
dev=l4tun0
size=10000000
failures=0
tmp=$(mktemp -d)
trap 'ip netns delete "$ns" 2>/dev/null; rm -rf "$tmp"' EXIT

in_ns() {
    local secs=$1
    shift
    timeout "$secs" ip netns exec "$ns" "$@"
}
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}
# The namespace's net.ipv4.tcp_early_retrans (0: no tail loss probe; 3: Linux's default).
early_retrans() { in_ns 10 sh -c "echo $1 > /proc/sys/net/ipv4/tcp_early_retrans"; }

ip netns add "$ns" || exit 1
in_ns 10 ip link set lo up
in_ns 10 ip tuntap add dev "$dev" mode tun || exit 1
in_ns 10 ip addr add 192.0.2.1/24 dev "$dev"
in_ns 10 ip addr add 2001:db8::1/64 dev "$dev" nodad
in_ns 10 ip link set "$dev" up

# Waits (bounded) until a log holds a line starting with "ready".
wait_ready() {
    for _ in $(seq 100); do
        grep -q "^ready" "$1" 2>/dev/null && return 0
        timeout 0.1 tail -f /dev/null 2>/dev/null
    done
    return 1
}

# One exchange: run NAME FAMILY(4|6) PORT LOSS(0|0.03) SECONDS
run() {
    local name=$1 family=$2 port=$3 loss=$4 secs=$5
    local kernel=192.0.2.1 ours=192.0.2.2
    [[ $family == 6 ]] && kernel=2001:db8::1 ours=2001:db8::2
    local pcap=$tmp/$name.pcap ours_log=$tmp/$name.l4.log kernel_log=$tmp/$name.kernel.log
    local args=(--tun "$dev" --address "$ours" --size "$size" --timeout "$secs" --pcap "$pcap" --seed "$port")
    [[ $loss != 0 ]] && args+=(--drop "$loss" --min-rto 200)
    local ours_pid kernel_pid ours_rc=0 kernel_rc=0
    if [[ $family == 4 ]]; then
        # l4kit connects to the kernel's listener.
        in_ns $((secs + 20)) python3 "$tests/tcp_bulk.py" listen "$kernel" "$port" --size "$size" --timeout "$secs" \
            >"$kernel_log" 2>&1 &
        kernel_pid=$!
        wait_ready "$kernel_log" || fail "$name: tcp_bulk.py did not start: $(cat "$kernel_log")"
        in_ns $((secs + 10)) "$bulk" "${args[@]}" --connect "$kernel" "$port" >"$ours_log" 2>&1 || ours_rc=$?
    else
        # The kernel connects to l4kit's listener.
        in_ns $((secs + 10)) "$bulk" "${args[@]}" --accept "$port" >"$ours_log" 2>&1 &
        ours_pid=$!
        wait_ready "$ours_log" || fail "$name: tcp_bulk did not start: $(cat "$ours_log")"
        in_ns $((secs + 20)) python3 "$tests/tcp_bulk.py" connect "$ours" "$port" --size "$size" --timeout "$secs" \
            >"$kernel_log" 2>&1 &
        kernel_pid=$!
        wait "$ours_pid" || ours_rc=$?
    fi
    wait "$kernel_pid" || kernel_rc=$?
    if ((ours_rc == 0 && kernel_rc == 0)); then
        echo "ok  $name: l4kit $(grep -v '^ready' "$ours_log" | tail -n 1)"
        echo "    $(tail -n 1 "$kernel_log")"
    else
        fail "$name: l4kit (exit $ours_rc): $(tr '\n' ' ' <"$ours_log")"$'\n'"    kernel (exit $kernel_rc): $(cat "$kernel_log")"
    fi
    local verdict mode=clean
    [[ $loss != 0 ]] && mode=lossy
    if verdict=$(tshark_check "$pcap" "$mode" "$port"); then
        echo "ok  $name: tshark: $verdict"
    else
        fail "$name: tshark: $verdict"
    fi
}

echo "== 1. 10 MB each way, no loss"
# Without loss the kernel's tail loss probe (RFC 8985 section 7) is noise:
# over TUN its timeout is a few milliseconds (2 SRTT of microseconds, plus
# two jiffies), less than a loaded machine may take to schedule our program,
# and each probe shows as a (spurious) retransmission of the kernel's. It
# only runs with SACK, so it appeared when l4kit began to offer SACK.
early_retrans 0 || fail "cannot turn the kernel's TLP off (net.ipv4.tcp_early_retrans)"
run ipv4 4 50001 0 30
run ipv6 6 50002 0 30

echo "== 2. 10 MB each way, 3 % loss on each side"
early_retrans 3 || fail "cannot turn the kernel's TLP back on (net.ipv4.tcp_early_retrans)"
if ! in_ns 10 nft -f - <<EOF; then
table inet l4loss {
    chain prerouting {
        type filter hook prerouting priority -300; policy accept;
        iifname "$dev" numgen random mod 100 < 3 counter drop
    }
}
EOF
    fail "nft: cannot add the loss rule"
fi
run ipv4-loss 4 50003 0.03 90
run ipv6-loss 6 50004 0.03 90
dropped=$(in_ns 10 nft list chain inet l4loss prerouting | grep -o 'packets [0-9]*' | grep -o '[0-9]*')
if [[ ${dropped:-0} -gt 0 ]]; then
    echo "ok  the kernel dropped $dropped of the packets we sent"
else
    fail "the kernel's loss rule dropped nothing (${dropped:-no counter})"
fi

# The kernel's TCP checksum errors, looked up by column name; "count read".
csum=$(in_ns 10 cat /proc/net/snmp | awk '
    /^Tcp: [A-Z]/ {for (i = 2; i <= NF; ++i) name[i] = $i; next}
    /^Tcp: [0-9]/ {for (i = 2; i <= NF; ++i) if (name[i] == "InCsumErrors") {n += $i; ++found}}
    END {print n + 0, found + 0}')
if [[ $csum == "0 1" ]]; then
    echo "ok  kernel TCP checksum errors: 0"
else
    fail "kernel TCP checksum errors (count, counters read of 1): $csum"
fi
echo "$((failures == 0 ? 1 : 0)) passed, $((failures > 0 ? 1 : 0)) failed"
((failures == 0))
