#!/usr/bin/env bash
# Open and closed TCP ports of an l4kit host as the kernel and nmap see them,
# through a TUN device in a network namespace this test makes and deletes:
#
#   kernel side (in the namespace)         l4kit side (examples/tcp_bulk)
#   192.0.2.1, 2001:db8::1 on l4tun0  <->  192.0.2.2, 2001:db8::2 behind l4tun0
#
#   a. an l4kit socket connecting to a closed kernel port gets
#      connection_refused (the kernel's RST), over IPv4 and IPv6;
#   b. tcp_bulk --serve listens on 22, 80, 443, 50007 and 50050; a kernel
#      socket connecting to its closed port 50999 gets ECONNREFUSED, over
#      IPv4 and IPv6;
#   c. nmap -sS over ports 1-1024 and 50000-50100 of the host, over IPv4 and
#      IPv6, reports exactly the listening ports open and every other port
#      closed (read from nmap's grepable output).
#
# Every exchange is recorded by l4kit's pcap_tap, and tshark judges each
# capture (tests/interop/tshark_check.sh): no malformed frame, no bad
# checksum, no TCP analysis flag but flow control's. The host's own counters
# must show no bad checksum or malformed segment. Every command is bounded
# by `timeout`. Exits 77 (skipped) without root or /dev/net/tun; a missing
# tool fails.
#
# Usage: tcp_ports.sh <tcp_bulk binary> <tests dir (tcp_bulk.py)>
set -u
bulk=$1
tests=$2
here=$(dirname "${BASH_SOURCE[0]}")

if [[ $EUID -ne 0 || ! -c /dev/net/tun ]]; then
    echo "SKIPPED: needs root and /dev/net/tun"
    exit 77
fi
missing=()
for tool in ip nmap python3 tshark timeout mkfifo; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
    echo "FAIL: missing tools: ${missing[*]} (Debian: iproute2, nmap, python3, tshark, coreutils)"
    exit 1
fi
# shellcheck source=SCRIPTDIR/tshark_check.sh
source "$here/tshark_check.sh"

ns=l4ports-$$
dev=l4tun0
listening=(22 80 443 50007 50050)
ports="1-1024,50000-50100"
closed_port=50999
failures=0
tmp=$(mktemp -d)
host_pid=
cleanup() {
    exec 3>&- 2>/dev/null
    [[ -n $host_pid ]] && kill "$host_pid" 2>/dev/null
    ip netns delete "$ns" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

in_ns() { timeout 60 ip netns exec "$ns" "$@"; }
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}
judge() {
    local verdict
    if verdict=$(tshark_check "$1" clean); then
        echo "ok  $2: tshark: $verdict"
    else
        fail "$2: tshark: $verdict"
    fi
}

ip netns add "$ns" || exit 1
in_ns ip link set lo up
in_ns ip tuntap add dev "$dev" mode tun || exit 1
in_ns ip addr add 192.0.2.1/24 dev "$dev"
in_ns ip addr add 2001:db8::1/64 dev "$dev" nodad
in_ns ip link set "$dev" up

echo "== a. an l4kit socket to a closed kernel port"
for pair in "192.0.2.2 192.0.2.1" "2001:db8::2 2001:db8::1"; do
    ours=${pair% *} kernel=${pair#* }
    pcap=$tmp/refused-${ours//:/_}.pcap
    if out=$(in_ns "$bulk" --tun "$dev" --address "$ours" --refused "$kernel" "$closed_port" --timeout 5 \
        --pcap "$pcap" 2>&1); then
        echo "ok  tcp_bulk -> [$kernel]:$closed_port: $out"
    else
        fail "tcp_bulk -> [$kernel]:$closed_port: $out"
    fi
    judge "$pcap" "refused by [$kernel]"
done

# The host listens until its standard input (a FIFO we hold open on fd 3)
# closes, or for 100 s at most.
mkfifo "$tmp/stop"
log=$tmp/host.log
host_pcap=$tmp/host.pcap
timeout 120 ip netns exec "$ns" "$bulk" --tun "$dev" --address 192.0.2.2 --address 2001:db8::2 \
    --serve "$(
        IFS=,
        echo "${listening[*]}"
    )" --timeout 100 --pcap "$host_pcap" <"$tmp/stop" >"$log" 2>&1 &
host_pid=$!
exec 3>"$tmp/stop"
ready=0
for _ in $(seq 100); do
    grep -q "^ready" "$log" 2>/dev/null && ready=1 && break
    kill -0 "$host_pid" 2>/dev/null || break
    timeout 0.1 tail -f /dev/null 2>/dev/null
done
if ((!ready)); then
    echo "FAIL: tcp_bulk --serve did not start: $(cat "$log")"
    exit 1
fi

echo "== b. a kernel socket to a closed l4kit port"
for target in 192.0.2.2 2001:db8::2; do
    if out=$(in_ns python3 "$tests/tcp_bulk.py" refused "$target" "$closed_port" --timeout 5 2>&1); then
        echo "ok  python -> [$target]:$closed_port: $out"
    else
        fail "python -> [$target]:$closed_port: $out"
    fi
done

echo "== c. nmap -sS"
# Reads nmap's grepable output: every scanned port must be listed (or in an
# "Ignored State" that is closed), the listening ones open, the others
# closed. Prints a one-line summary; exits 1 on any difference.
check_nmap() {
    python3 - "$1" "$ports" "${listening[*]}" <<'EOF'
import re, sys
out, spec, listening = sys.argv[1], sys.argv[2], {int(p) for p in sys.argv[3].split()}
scanned = set()
for part in spec.split(","):
    lo, _, hi = part.partition("-")
    scanned.update(range(int(lo), int(hi or lo) + 1))
states, ignored, hosts = {}, None, 0
for line in out.splitlines():
    m = re.search(r"Ports: ([^\t]*)", line)
    if m:
        hosts += 1
        for entry in m.group(1).split(", "):
            port, state, proto = entry.split("/")[:3]
            if proto == "tcp":
                states[int(port)] = state
    m = re.search(r"Ignored State: (\S+)", line)
    if m:
        ignored = m.group(1)
if hosts != 1:
    print(f"nmap reported {hosts} hosts with ports, want 1")
    sys.exit(1)
wrong = []
for port in sorted(scanned):
    state = states.get(port, ignored)
    want = "open" if port in listening else "closed"
    if state != want:
        wrong.append(f"{port} {state} (want {want})")
opened = sorted(p for p in scanned if states.get(p, ignored) == "open")
closed = sum(1 for p in scanned if states.get(p, ignored) == "closed")
print(f"open: {', '.join(map(str, opened)) or 'none'}; closed: {closed} of {len(scanned) - len(listening)} others")
if wrong:
    print("wrong: " + "; ".join(wrong[:20]) + (" ..." if len(wrong) > 20 else ""))
    sys.exit(1)
EOF
}
for target in 192.0.2.2 2001:db8::2; do
    v6=()
    [[ $target == *:* ]] && v6=(-6)
    if out=$(in_ns nmap "${v6[@]}" -sS -n -Pn --max-retries 2 --host-timeout 50s -T4 -p "$ports" -oG - "$target" 2>&1); then
        if summary=$(check_nmap "$out"); then
            echo "ok  nmap ${v6[*]:+-6 }-sS $target: $summary"
        else
            fail "nmap ${v6[*]:+-6 }-sS $target: $summary"$'\n'"$out"
        fi
    else
        fail "nmap ${v6[*]:+-6 }-sS $target exited with an error: $out"
    fi
done

# Stops the host (closes its standard input) and reads its counters.
exec 3>&-
if wait "$host_pid"; then
    echo "ok  tcp_bulk --serve: $(tail -n 1 "$log")"
else
    fail "tcp_bulk --serve exited with $?: $(cat "$log")"
fi
host_pid=
judge "$host_pcap" "the listening host (b and c)"

echo "$((failures == 0 ? 1 : 0)) passed, $((failures > 0 ? 1 : 0)) failed"
((failures == 0))
