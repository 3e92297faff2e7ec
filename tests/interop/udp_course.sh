#!/usr/bin/env bash
# The course's UDP programs against l4kit, through a TUN device, in a network
# namespace this test makes and deletes:
#
#   kernel side (in the namespace)         l4kit side (the example programs)
#   192.0.2.1, 2001:db8::1 on l4tun0  <->  192.0.2.2, 2001:db8::2 behind l4tun0
#
#   1. the course's Python server; our udp_client sends 0, 1 and 1472 bytes
#      over IPv4 and 0, 1 and 1452 over IPv6, and checks the upper-cased echo;
#   2. our udp_server; the course's Python client does the same.
#
# Checksums are verified on both sides: our stack counts bad ones (and the
# examples fail on a wrong echo), and the kernel's Udp/Udp6 InCsumErrors must
# stay 0. Every command is bounded by `timeout`. Exits 77 (skipped) without
# root or /dev/net/tun.
#
# Usage: udp_course.sh <dir with udp_server and udp_client> <tests/course dir>
set -u
bin=$1
course=$2

if [[ $EUID -ne 0 || ! -c /dev/net/tun ]] || ! command -v ip >/dev/null || ! command -v python3 >/dev/null; then
    echo "SKIPPED: needs root, /dev/net/tun, iproute2 and python3"
    exit 77
fi

ns=l4course-$$
dev=l4tun0
failures=0
trap 'ip netns delete "$ns" 2>/dev/null' EXIT

in_ns() { timeout 20 ip netns exec "$ns" "$@"; }
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

ip netns add "$ns" || exit 1
in_ns ip link set lo up
# A persistent device, so it is configured before a program attaches to it.
in_ns ip tuntap add dev "$dev" mode tun || exit 1
in_ns ip addr add 192.0.2.1/24 dev "$dev"
in_ns ip addr add 2001:db8::1/64 dev "$dev" nodad
in_ns ip link set "$dev" up

# The kernel's count of UDP datagrams dropped for a bad checksum, IPv4 and IPv6.
# /proc/net/snmp has a line of names, then a line of values: look the column
# up by name (it is not the same column in every kernel). Prints "count read",
# where read counts the counters found (2 expected).
csum_errors() {
    in_ns cat /proc/net/snmp /proc/net/snmp6 | awk '
        /^Udp: [A-Z]/ {for (i = 2; i <= NF; ++i) name[i] = $i; next}
        /^Udp: [0-9]/ {for (i = 2; i <= NF; ++i) if (name[i] == "InCsumErrors") {n += $i; ++found}}
        /^Udp6InCsumErrors/ {n += $2; ++found}
        END {print n + 0, found + 0}'
}

# What the kernel dropped instead of sending through the device: for the
# failure messages. (The kernel's own router solicitations and MLD reports
# while no program holds the device land here too, so it need not be 0.) A
# reply lost this way once made this test flaky: the kernel turns a device's
# transmit queue on a moment after a program attaches to it, and drops what it
# sends before that; l4::link::tun::open now waits for it (IFF_RUNNING).
tx_dropped() {
    in_ns cat "/sys/class/net/$dev/statistics/tx_dropped" 2>/dev/null || echo "?"
}

# Waits (bounded) until a program prints the line that says it is ready.
wait_ready() {
    local log=$1
    for _ in $(seq 100); do
        grep -q "ready to receive" "$log" 2>/dev/null && return 0
        timeout 0.1 tail -f /dev/null 2>/dev/null
    done
    return 1
}

echo "== 1. the course's Python server, our client"
for case in "192.0.2.1 0" "192.0.2.1 1" "192.0.2.1 1472" "2001:db8::1 0" "2001:db8::1 1" "2001:db8::1 1452"; do
    set -- $case
    server=$1 size=$2
    ours=192.0.2.2
    v6=()
    [[ $server == *:* ]] && ours=2001:db8::2 v6=(-6)
    log=$(mktemp)
    in_ns python3 "$course/udp_server.py" "${v6[@]}" --address "$server" --count 1 --timeout 10 >"$log" 2>&1 &
    pid=$!
    wait_ready "$log" || fail "python server did not start: $(cat "$log")"
    if out=$(in_ns "$bin/udp_client" --tun "$dev" --address "$ours" --server "$server" --size "$size" --timeout 10 2>&1); then
        echo "ok  client -> $server, $size bytes: $(tail -n 1 <<<"$out")"
    else
        fail "client -> $server, $size bytes: $out (kernel TX dropped on $dev: $(tx_dropped))"
    fi
    wait "$pid" || fail "python server exited with $?: $(cat "$log")"
    rm -f "$log"
done

echo "== 2. our server, the course's Python client"
log=$(mktemp)
in_ns "$bin/udp_server" --tun "$dev" --address 192.0.2.2 --count 3 --timeout 15 >"$log" 2>&1 &
pid=$!
wait_ready "$log" || fail "udp_server did not start: $(cat "$log")"
for size in 0 1 1472; do
    out=$(in_ns python3 "$course/udp_client.py" 192.0.2.2 --size "$size" --timeout 5 2>&1) &&
        echo "ok  python client -> 192.0.2.2, $size bytes: $out" ||
        fail "python client, $size bytes: $out (kernel TX dropped on $dev: $(tx_dropped))"
done
wait "$pid" || fail "udp_server (IPv4) exited with $?: $(cat "$log")"
log6=$(mktemp)
in_ns "$bin/udp_server" --tun "$dev" --address 2001:db8::2 --count 3 --timeout 15 >"$log6" 2>&1 &
pid=$!
wait_ready "$log6" || fail "udp_server (IPv6) did not start: $(cat "$log6")"
for size in 0 1 1452; do
    out=$(in_ns python3 "$course/udp_client.py" 2001:db8::2 --size "$size" --timeout 5 2>&1) &&
        echo "ok  python client -> 2001:db8::2, $size bytes: $out" ||
        fail "python client (IPv6), $size bytes: $out (kernel TX dropped on $dev: $(tx_dropped))"
done
wait "$pid" || fail "udp_server (IPv6) exited with $?: $(cat "$log6")"
grep -h "checksum" "$log" "$log6"
rm -f "$log" "$log6"

errors=$(csum_errors)
[[ $errors == "0 2" ]] && echo "ok  kernel UDP checksum errors: 0" ||
    fail "kernel UDP checksum errors (count, counters read of 2): $errors"
echo "$((failures == 0 ? 1 : 0)) passed, $((failures > 0 ? 1 : 0)) failed"
((failures == 0))
