#!/usr/bin/env bash
# ICMP as the kernel's own tools see an l4kit host (issue 9, section 3),
# through a TUN device, in a network namespace this test makes and deletes:
#
#   kernel side (in the namespace)         l4kit side (examples/udp_host)
#   192.0.2.1, 2001:db8::1 on l4tun0  <->  192.0.2.2, 2001:db8::2 behind l4tun0
#
#   udp_host binds UDP ports 53, 50000 and 50005 (it answers them upper-cased)
#   and sends port unreachable for every other port, at most 10000 per second
#   with a burst of 1000 (stack_config::icmp): far above what the scans below
#   need (under 60 errors in all), so no error is rate limited and a port can
#   only look closed or open, never open|filtered for want of an answer.
#
#   a. nmap -sU over ports 49990-50010, 53, 123 and 161, over IPv4 and IPv6:
#      53, 50000 and 50005 open (or open|filtered), every other port closed;
#   b. ping -c 3 and ping -6 -c 3: three replies each;
#   c. a kernel UDP socket (Python) connected to the closed port 50999 of the
#      host sends, then recv raises ECONNREFUSED, over IPv4 and IPv6;
#   d. the other way: an l4kit socket connected to the closed port 50999 of
#      the kernel gets connection_refused from the kernel's port unreachable,
#      over IPv4 and IPv6.
#
# Then udp_host's counters: nothing rate limited, no bad checksum, no frame
# dropped; and the kernel's: no UDP, ICMP or ICMPv6 checksum errors. Every
# command is bounded by `timeout`. Exits 77 (skipped) without root or
# /dev/net/tun; a missing tool (nmap, ping, python3, iproute2) is a failure.
#
# Usage: icmp.sh <udp_host binary>
set -u
host_bin=$1

if [[ $EUID -ne 0 || ! -c /dev/net/tun ]]; then
    echo "SKIPPED: needs root and /dev/net/tun"
    exit 77
fi
missing=()
for tool in ip nmap ping python3 timeout mkfifo; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
    echo "FAIL: missing tools: ${missing[*]} (Debian: iproute2, nmap, iputils-ping, python3, coreutils)"
    exit 1
fi

ns=l4icmp-$$
dev=l4tun0
bound=(53 50000 50005)
ports="49990-50010,53,123,161"
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

ip netns add "$ns" || exit 1
in_ns ip link set lo up
# A persistent device, so it is configured before udp_host attaches to it.
in_ns ip tuntap add dev "$dev" mode tun || exit 1
in_ns ip addr add 192.0.2.1/24 dev "$dev"
in_ns ip addr add 2001:db8::1/64 dev "$dev" nodad
in_ns ip link set "$dev" up

# The host runs until its standard input (a FIFO we hold open on fd 3) closes,
# or for 120 s at most.
mkfifo "$tmp/stop"
log=$tmp/host.log
timeout 150 ip netns exec "$ns" "$host_bin" --tun "$dev" --address 192.0.2.2 --address 2001:db8::2 \
    --ports "$(
        IFS=,
        echo "${bound[*]}"
    )" --icmp-rate 10000 --icmp-burst 1000 --stdin --seconds 120 <"$tmp/stop" >"$log" 2>&1 &
host_pid=$!
exec 3>"$tmp/stop"
ready=0
for _ in $(seq 100); do
    grep -q "ready on" "$log" 2>/dev/null && ready=1 && break
    kill -0 "$host_pid" 2>/dev/null || break
    timeout 0.1 tail -f /dev/null 2>/dev/null
done
if ((!ready)); then
    echo "FAIL: udp_host did not start: $(cat "$log")"
    exit 1
fi
cat "$log"

echo "== a. nmap -sU"
# Reads nmap's grepable output: every scanned port must be listed (or in an
# "Ignored State" that is closed), the bound ones open or open|filtered, the
# others closed. Prints a one-line summary; exits 1 on any difference.
check_nmap() {
    python3 - "$1" "$ports" "${bound[*]}" <<'EOF'
import re, sys
out, spec, bound = sys.argv[1], sys.argv[2], {int(p) for p in sys.argv[3].split()}
scanned = set()
for part in spec.split(","):
    lo, _, hi = part.partition("-")
    scanned.update(range(int(lo), int(hi or lo) + 1))
states, ignored = {}, None
for line in out.splitlines():
    m = re.search(r"Ports: ([^\t]*)", line)
    if m:
        for entry in m.group(1).split(", "):
            port, state = entry.split("/")[:2]
            states[int(port)] = state
    m = re.search(r"Ignored State: (\S+)", line)
    if m:
        ignored = m.group(1)
wrong = []
for port in sorted(scanned):
    state = states.get(port, ignored)
    want = ("open", "open|filtered") if port in bound else ("closed",)
    if state not in want:
        wrong.append(f"{port} {state} (want {' or '.join(want)})")
summary = ", ".join(f"{p}/{states.get(p, ignored)}" for p in sorted(bound))
closed = sum(1 for p in scanned - bound if states.get(p, ignored) == "closed")
print(f"{summary}; {closed} of {len(scanned - bound)} other ports closed")
if wrong:
    print("wrong: " + "; ".join(wrong))
    sys.exit(1)
EOF
}
for target in 192.0.2.2 2001:db8::2; do
    v6=()
    [[ $target == *:* ]] && v6=(-6)
    if out=$(in_ns nmap "${v6[@]}" -sU -n -Pn --max-retries 1 --host-timeout 60s -T4 -p "$ports" -oG - "$target" 2>&1); then
        if summary=$(check_nmap "$out"); then
            echo "ok  nmap ${v6[*]:+-6 }-sU $target: $summary"
        else
            fail "nmap ${v6[*]:+-6 }-sU $target: $summary"$'\n'"$out"
        fi
    else
        fail "nmap ${v6[*]:+-6 }-sU $target exited with an error: $out"
    fi
done

echo "== b. ping"
for target in 192.0.2.2 2001:db8::2; do
    v6=()
    [[ $target == *:* ]] && v6=(-6)
    if out=$(in_ns ping "${v6[@]}" -c 3 -i 0.2 -W 2 "$target" 2>&1) && grep -q " 3 received" <<<"$out"; then
        echo "ok  ping ${v6[*]:+-6 }-c 3 $target: $(grep -o '3 packets transmitted.*loss' <<<"$out")"
    else
        fail "ping ${v6[*]:+-6 }-c 3 $target: $out"
    fi
done

echo "== c. a kernel UDP socket to a closed l4kit port"
for target in 192.0.2.2 2001:db8::2; do
    if out=$(in_ns python3 - "$target" "$closed_port" 2>&1 <<'EOF'
import socket, sys
addr, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.connect((addr, port))
s.send(b"anyone there?")
try:
    data = s.recv(2048)
    print(f"{len(data)} bytes from a port that should be closed")
    sys.exit(1)
except ConnectionRefusedError as e:
    print(f"recv: ECONNREFUSED ({e})")
except socket.timeout:
    print("recv: no answer in 5 s")
    sys.exit(1)
EOF
    ); then
        echo "ok  python -> [$target]:$closed_port: $out"
    else
        fail "python -> [$target]:$closed_port: $out"
    fi
done

# Stops the host (closes its standard input) and reads its counters.
exec 3>&-
if wait "$host_pid"; then
    echo "ok  udp_host stopped: $(tail -n 2 "$log" | tr '\n' ' ')"
else
    fail "udp_host exited with $?: $(cat "$log")"
fi
host_pid=
counters=$(tail -n 1 "$log")
for want in "rate limited 0," "bad checksum 0;" "frames dropped 0"; do
    grep -qF "$want" <<<"$counters" || fail "udp_host counters: want \"$want\": $counters"
done

echo "== d. an l4kit socket to a closed kernel port"
for pair in "192.0.2.2 192.0.2.1" "2001:db8::2 2001:db8::1"; do
    ours=${pair% *} kernel=${pair#* }
    if out=$(in_ns "$host_bin" --tun "$dev" --address "$ours" --refused "$kernel" "$closed_port" --timeout 5 2>&1); then
        echo "ok  udp_host -> [$kernel]:$closed_port: $(head -n 1 <<<"$out")"
    else
        fail "udp_host -> [$kernel]:$closed_port: $out"
    fi
done

# The kernel verified every checksum of ours it saw: UDP, ICMP and ICMPv6.
# /proc/net/snmp: a line of names, then a line of values, per protocol.
csum=$(in_ns cat /proc/net/snmp /proc/net/snmp6 | awk '
    /^(Udp|Icmp): [A-Z]/ {for (i = 2; i <= NF; ++i) name[$1, i] = $i; next}
    /^(Udp|Icmp): [0-9]/ {for (i = 2; i <= NF; ++i) if (name[$1, i] == "InCsumErrors") {n += $i; ++found}}
    /^(Udp6InCsumErrors|Icmp6InCsumErrors)/ {n += $2; ++found}
    END {print n + 0, found + 0}')
if [[ $csum == "0 4" ]]; then
    echo "ok  kernel UDP, ICMP, UDPv6 and ICMPv6 checksum errors: 0"
else
    fail "kernel checksum errors (count, counters read of 4): $csum"
fi
echo "$((failures == 0 ? 1 : 0)) passed, $((failures > 0 ? 1 : 0)) failed"
((failures == 0))
