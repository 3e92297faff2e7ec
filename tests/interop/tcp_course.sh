#!/usr/bin/env bash
# The course's TCP echo programs against l4kit, through a TUN device, in a
# network namespace this test makes and deletes:
#
#   kernel side (in the namespace)         l4kit side (the example programs)
#   192.0.2.1, 2001:db8::1 on l4tun0  <->  192.0.2.2, 2001:db8::2 behind l4tun0
#
#   1. the course's Python server; our tcp_echo_client connects, sends the
#      sentence (and 100,000 bytes), and checks the upper-cased echo;
#   2. our tcp_echo_server; the course's Python client does the same.
#
# The kernel is the judge: its TCP must accept our handshake, data, ACKs and
# FINs, and its TCP checksum-error counters must stay 0. Every command is
# bounded by `timeout`. Exits 77 (skipped) without root or /dev/net/tun; a
# missing tool fails.
#
# Usage: tcp_course.sh <dir with tcp_echo_server and tcp_echo_client> <tests/course dir>
set -u
bin=$1
course=$2

if [[ $EUID -ne 0 || ! -c /dev/net/tun ]]; then
    echo "SKIPPED: needs root and /dev/net/tun"
    exit 77
fi
for tool in ip python3 timeout; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing"; exit 1; }
done

ns=l4tcp-$$
dev=l4tun0
failures=0
trap 'ip netns delete "$ns" 2>/dev/null' EXIT

in_ns() { timeout 30 ip netns exec "$ns" "$@"; }
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

ip netns add "$ns" || exit 1
in_ns ip link set lo up
in_ns ip tuntap add dev "$dev" mode tun || exit 1
in_ns ip addr add 192.0.2.1/24 dev "$dev"
in_ns ip addr add 2001:db8::1/64 dev "$dev" nodad
in_ns ip link set "$dev" up

# The kernel's TCP checksum errors, looked up by column name; prints "count read".
csum_errors() {
    in_ns cat /proc/net/snmp | awk '
        /^Tcp: [A-Z]/ {for (i = 2; i <= NF; ++i) name[i] = $i; next}
        /^Tcp: [0-9]/ {for (i = 2; i <= NF; ++i) if (name[i] == "InCsumErrors") {n += $i; ++found}}
        END {print n + 0, found + 0}'
}

wait_ready() {
    local log=$1
    for _ in $(seq 100); do
        grep -q "ready to receive" "$log" 2>/dev/null && return 0
        timeout 0.1 tail -f /dev/null 2>/dev/null
    done
    return 1
}

echo "== 1. the course's Python server, our client"
for case in "192.0.2.1 -1" "192.0.2.1 100000" "2001:db8::1 -1" "2001:db8::1 100000"; do
    set -- $case
    server=$1 size=$2
    ours=192.0.2.2
    v6=()
    [[ $server == *:* ]] && ours=2001:db8::2 v6=(-6)
    log=$(mktemp)
    in_ns python3 "$course/tcp_server.py" "${v6[@]}" --address "$server" --size="$size" --count 1 --timeout 10 \
        >"$log" 2>&1 &
    pid=$!
    wait_ready "$log" || fail "python server did not start: $(cat "$log")"
    args=(--tun "$dev" --address "$ours" --server "$server" --timeout 10)
    ((size >= 0)) && args+=(--size "$size")
    if out=$(in_ns "$bin/tcp_echo_client" "${args[@]}" 2>&1); then
        echo "ok  client -> $server, size $size: $(tail -n 1 <<<"$out")"
    else
        fail "client -> $server, size $size: $out"
    fi
    wait "$pid" || fail "python server exited with $?: $(cat "$log")"
    rm -f "$log"
done

echo "== 2. our server, the course's Python client"
for case in "192.0.2.2 -1" "192.0.2.2 100000" "2001:db8::2 -1" "2001:db8::2 100000"; do
    set -- $case
    ours=$1 size=$2
    log=$(mktemp)
    args=(--tun "$dev" --address "$ours" --count 1 --timeout 15)
    ((size >= 0)) && args+=(--size "$size")
    in_ns "$bin/tcp_echo_server" "${args[@]}" >"$log" 2>&1 &
    pid=$!
    wait_ready "$log" || fail "tcp_echo_server did not start: $(cat "$log")"
    out=$(in_ns python3 "$course/tcp_client.py" "$ours" --size="$size" --timeout 10 2>&1) &&
        echo "ok  python client -> $ours, size $size: $out" ||
        fail "python client -> $ours, size $size: $out"
    wait "$pid" || fail "tcp_echo_server exited with $?: $(cat "$log")"
    rm -f "$log"
done

errors=$(csum_errors)
[[ $errors == "0 1" ]] && echo "ok  kernel TCP checksum errors: 0" ||
    fail "kernel TCP checksum errors (count, counters read of 1): $errors"
echo "$((failures == 0 ? 1 : 0)) passed, $((failures > 0 ? 1 : 0)) failed"
((failures == 0))
