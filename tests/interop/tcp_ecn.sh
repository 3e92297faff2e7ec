#!/usr/bin/env bash
# ECN (RFC 3168) with the kernel's TCP: in a namespace this test makes and
# deletes, with net.ipv4.tcp_ecn = 1 there (the kernel asks for ECN on its
# SYNs), the kernel connects to l4kit's listener (examples/tcp_bulk, whose
# default is to accept ECN, as Linux's tcp_ecn = 2) and 1 MB goes each way.
# tshark reads the capture l4kit's pcap_tap wrote and must find
#   - the kernel's SYN an ECN-setup SYN (ECE and CWR);
#   - our SYN-ACK an ECN-setup SYN-ACK (ECE, not CWR), itself not-ECT;
#   - every data segment we sent ECT(0) (ip.dsfield.ecn == 2: no loss here,
#     so no retransmission), and every segment of ours without data not-ECT;
#   - the kernel's data ECT(0) too: it took our answer.
# And tshark's own checks (tests/interop/tshark_check.sh). About 5 s.
# Exits 77 (skipped) without root or /dev/net/tun; a missing tool fails.
#
# Usage: tcp_ecn.sh <tcp_bulk binary> <tests dir (tcp_bulk.py)>
set -u
bulk=$1
tests=$2
here=$(dirname "${BASH_SOURCE[0]}")

if [[ $EUID -ne 0 || ! -c /dev/net/tun ]]; then
    echo "SKIPPED: needs root and /dev/net/tun"
    exit 77
fi
missing=()
for tool in ip python3 tshark timeout; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
    echo "FAIL: missing tools: ${missing[*]} (Debian: iproute2, python3, tshark, coreutils)"
    exit 1
fi
# shellcheck source=SCRIPTDIR/tshark_check.sh
source "$here/tshark_check.sh"

ns=l4ecn-$$
dev=l4tun0
kernel=192.0.2.1
ours=192.0.2.2
port=50011
size=1000000
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

ip netns add "$ns" || exit 1
in_ns 10 ip link set lo up
in_ns 10 ip tuntap add dev "$dev" mode tun || exit 1
in_ns 10 ip addr add "$kernel/24" dev "$dev"
in_ns 10 ip link set "$dev" up
in_ns 10 sh -c 'echo 1 > /proc/sys/net/ipv4/tcp_ecn' || { echo "FAIL: cannot set net.ipv4.tcp_ecn"; exit 1; }
in_ns 10 sh -c 'echo 0 > /proc/sys/net/ipv4/tcp_early_retrans'  # no tail loss probes: no retransmission at all

pcap=$tmp/ecn.pcap
in_ns 30 "$bulk" --tun "$dev" --address "$ours" --size "$size" --timeout 20 --pcap "$pcap" --accept "$port" \
    >"$tmp/l4.log" 2>&1 &
ours_pid=$!
for _ in $(seq 100); do
    grep -q "^ready" "$tmp/l4.log" 2>/dev/null && break
    timeout 0.1 tail -f /dev/null 2>/dev/null
done
grep -q "^ready" "$tmp/l4.log" || fail "tcp_bulk did not start: $(cat "$tmp/l4.log")"
in_ns 30 python3 "$tests/tcp_bulk.py" connect "$ours" "$port" --size "$size" --timeout 20 >"$tmp/kernel.log" 2>&1 \
    || fail "kernel side: $(cat "$tmp/kernel.log")"
wait "$ours_pid" || fail "tcp_bulk: $(tr '\n' ' ' <"$tmp/l4.log")"
echo "ok  1 MB each way: l4kit $(grep -v '^ready' "$tmp/l4.log" | tail -n 1)"

if verdict=$(tshark_check "$pcap" clean "$port"); then
    echo "ok  tshark: $verdict"
else
    fail "tshark: $verdict"
fi

# One line per segment: source, SYN, ACK, ECE, CWR, ECN codepoint, TCP payload length.
if ! fields=$(timeout 60 tshark -r "$pcap" -n -d "tcp.port==$port,data" -Y tcp -T fields -E separator=/s \
        -e ip.src -e tcp.flags.syn -e tcp.flags.ack -e tcp.flags.ece -e tcp.flags.cwr -e ip.dsfield.ecn \
        -e tcp.len 2>/dev/null); then
    fail "tshark could not read $pcap"
fi
# tshark prints flags as 1/0 or True/False depending on its version.
verdict=$(awk -v ours="$ours" -v kernel="$kernel" '
    function b(x) { return x == "1" || x == "True" }
    {
        src = $1; syn = b($2); ack = b($3); ece = b($4); cwr = b($5); ecn = $6 + 0; len = $7 + 0
        if (syn && !ack && src == kernel) { ksyn++; if (ece && cwr) ksyn_ecn++ }
        if (syn && ack && src == ours) { synack++; if (ece && !cwr) synack_ecn++; if (ecn == 0) synack_not_ect++ }
        if (!syn && src == ours) { if (len > 0) { data++; if (ecn == 2) data_ect0++ } else { bare++; if (ecn == 0) bare_not_ect++ } }
        if (!syn && src == kernel && len > 0) { kdata++; if (ecn == 2) kdata_ect0++ }
    }
    END {
        ok = ksyn >= 1 && ksyn_ecn == ksyn && synack >= 1 && synack_ecn == synack && synack_not_ect == synack &&
             data > 100 && data_ect0 == data && bare_not_ect == bare && kdata > 100 && kdata_ect0 == kdata
        printf "%s kernel SYNs %d (ECN-setup %d), our SYN-ACKs %d (ECE only %d, not-ECT %d), our data %d (ECT(0) %d), our segments without data %d (not-ECT %d), the kernel'"'"'s data %d (ECT(0) %d)\n",
               ok ? "ok" : "bad", ksyn, ksyn_ecn, synack, synack_ecn, synack_not_ect, data, data_ect0, bare, bare_not_ect, kdata, kdata_ect0
    }' <<<"$fields")
if [[ $verdict == ok* ]]; then
    echo "ok  ${verdict#ok }"
else
    fail "${verdict#bad }"
fi
echo "$((failures == 0 ? 1 : 0)) passed, $((failures > 0 ? 1 : 0)) failed"
((failures == 0))
