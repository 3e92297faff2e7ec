#!/usr/bin/env bash
# A SYN flood (RFC 4987) against an l4kit listener, through a TUN device in a
# network namespace this test makes and deletes:
#
#   kernel side (in the namespace)          l4kit side (syn_flood/echo_server.cpp)
#   192.0.2.1 on l4tun0                <->  192.0.2.2:50007 behind l4tun0, echoes
#   hping3: SYNs from 198.51.100.0/24 and 203.0.113.0/24 (spoofed)
#   syn_flood/echo_clients.py: 100 connections, each echo checked
#
# Twice, once with SYN cookies (endpoint_config::syn_cookies, the default)
# and once without (--no-syn-cookies): hping3 sends 200,000 SYNs at the
# listener, from spoofed sources of the documentation ranges only (one
# source per run, `-a ADDR -c COUNT`, several runs at once), while a kernel
# client connects 100 times and checks that each connection echoes its
# bytes. With cookies, every connection must succeed while the flood goes
# on; without, the test prints how many failed. The server prints its
# counters after each run (syn_cookies_sent and _accepted, rx_syn_queue_full,
# half_open_evicted, ...).
#
# What the listener answers the spoofed sources must stay in the namespace:
# its only devices are lo and the TUN device, 198.51.100.0/24 and
# 203.0.113.0/24 are routed to a blackhole, forwarding is off, and the
# namespace's IP counters must show nothing forwarded.
#
# Every command is bounded by `timeout`, every loop by its count. Exits 77
# (skipped) without root or /dev/net/tun; a missing tool (hping3 above all)
# fails.
#
# Usage: syn_flood.sh <syn_flood_echo_server binary> <dir of echo_clients.py>
set -u
server=$1
dir=$2

if [[ $EUID -ne 0 || ! -c /dev/net/tun ]]; then
    echo "SKIPPED: needs root and /dev/net/tun"
    exit 77
fi
missing=()
for tool in ip hping3 python3 timeout mkfifo; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
    echo "FAIL: missing tools: ${missing[*]} (Debian: iproute2, hping3, python3, coreutils;" \
        "scripts/lib/deps.sh installs them)"
    exit 1
fi

ns=l4synflood-$$
dev=l4tun0
ours=192.0.2.2
port=50007
connections=100
# The flood: 40 sources (20 of each range) x 5,000 SYNs = 200,000, eight
# hping3 runs at a time (hping3 waits 1 s for answers after its last SYN, so
# more runs at once make a denser flood), each waiting `interval_us`
# microseconds or more between SYNs. So the flood lasts at least
# 5 runs x (5,000 x 150 us + 1 s) = 8.75 s (8-17 s on a loaded 2-core
# machine), and the client's connections start within its first 5 s.
sources=()
for i in $(seq 1 20); do sources+=("198.51.100.$i" "203.0.113.$i"); done
syns_per_source=5000
workers=8
interval_us=150
syns_total=$((${#sources[@]} * syns_per_source))

failures=0
tmp=$(mktemp -d)
server_pid=
flood_pids=()
cleanup() {
    exec 3>&- 2>/dev/null
    [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null
    for p in "${flood_pids[@]}"; do kill "$p" 2>/dev/null; done
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
in_ns ip tuntap add dev "$dev" mode tun || exit 1
in_ns ip addr add 192.0.2.1/24 dev "$dev"
in_ns ip link set "$dev" up
in_ns sysctl -qw net.ipv4.ip_forward=0
in_ns ip route add blackhole 198.51.100.0/24 || exit 1
in_ns ip route add blackhole 203.0.113.0/24 || exit 1

# Nothing can leave: the namespace has lo and the TUN device only, and the
# spoofed ranges go to the blackhole.
devices=$(in_ns ip -o link show | awk -F': ' '{print $2}' | sort | tr '\n' ' ')
[[ $devices == "$dev lo " ]] || fail "the namespace has devices other than lo and $dev: $devices"
blackholes=$(in_ns ip route show type blackhole | awk '{print $2}' | sort | tr '\n' ' ')
[[ $blackholes == "198.51.100.0/24 203.0.113.0/24 " ]] || fail "blackhole routes: $blackholes"

# The namespace's IP counter named $1 (from /proc/net/snmp).
ip_counter() {
    in_ns cat /proc/net/snmp | awk -v want="$1" '
        /^Ip: [A-Z]/ {for (i = 2; i <= NF; ++i) name[i] = $i; next}
        /^Ip: [0-9]/ {for (i = 2; i <= NF; ++i) if (name[i] == want) print $i}'
}
# The TUN device's TX packets and drops: what the kernel handed l4kit, and
# what it dropped because l4kit had not read the queue yet.
tun_tx() { in_ns ip -s -o link show "$dev" | awk '{for (i = 1; i <= NF; ++i) if ($i == "TX:") {print $(i + 9), $(i + 11)}}'; }

# One flood worker: the sources k, k + workers, ...; writes the SYNs hping3
# says it sent. hping3 stops once it has counted COUNT answers, and it knows
# an answer by its ports alone, so an answer to another run's SYN may count:
# a run that sent fewer than asked is followed by one for the rest (twice at
# most).
flood_worker() {
    local k=$1 out=$2 sent=0 left n log tries
    for ((; k < ${#sources[@]}; k += workers)); do
        left=$syns_per_source
        for ((tries = 0; left > 0 && tries < 3; ++tries)); do
            log=$(timeout 30 ip netns exec "$ns" hping3 -q -S -p "$port" -a "${sources[k]}" -c "$left" \
                -i "u$interval_us" "$ours" 2>&1)
            n=$(sed -n 's/^\([0-9][0-9]*\) packets transmitted.*/\1/p' <<<"$log")
            if [[ -z $n ]]; then
                echo "hping3 -a ${sources[k]} -c $left failed: $log" >&2
                n=0
            elif ((n < left)); then
                echo "hping3 -a ${sources[k]} -c $left sent $n; again for the rest" >&2
            fi
            sent=$((sent + n))
            left=$((left - n))
        done
    done
    echo "$sent" >"$out"
}

# run LABEL [server flags...]: the flood and the client against a fresh
# server; sets client_rc, client_line, server_log and flood_on_until_client_done.
run() {
    local label=$1
    shift
    echo "== $label"
    server_log=$tmp/server-$label.log
    rm -f "$tmp/stop"
    mkfifo "$tmp/stop"
    timeout 120 ip netns exec "$ns" "$server" --tun "$dev" --address "$ours" --port "$port" --timeout 100 "$@" \
        <"$tmp/stop" >"$server_log" 2>&1 &
    server_pid=$!
    exec 3>"$tmp/stop"
    local ready=0
    for _ in $(seq 100); do
        grep -q "^ready" "$server_log" 2>/dev/null && ready=1 && break
        kill -0 "$server_pid" 2>/dev/null || break
        timeout 0.1 tail -f /dev/null 2>/dev/null
    done
    if ((!ready)); then
        fail "$label: the server did not start: $(cat "$server_log")"
        exec 3>&-
        return
    fi
    local forwarded_before dropped_before tx_before
    forwarded_before=$(ip_counter ForwDatagrams)
    dropped_before=$(ip_counter InAddrErrors)
    tx_before=$(tun_tx)

    local start=$SECONDS w
    flood_pids=()
    for ((w = 0; w < workers; ++w)); do
        flood_worker "$w" "$tmp/sent-$w" 2>>"$tmp/flood-$label.log" &
        flood_pids+=($!)
    done
    # The client starts once the flood has: the server has seen a SYN from it.
    for _ in $(seq 100); do
        read -r tx _ <<<"$(tun_tx)"
        ((tx > ${tx_before% *} + 1000)) && break
        timeout 0.1 tail -f /dev/null 2>/dev/null
    done
    client_line=$(in_ns python3 "$dir/echo_clients.py" "$ours" "$port" --count "$connections" --spread 5 \
        --timeout 8 2>&1)
    client_rc=$?
    local client_secs=$((SECONDS - start)) flooding=0 p
    for p in "${flood_pids[@]}"; do kill -0 "$p" 2>/dev/null && flooding=1; done
    wait "${flood_pids[@]}"
    flood_pids=()
    local flood_secs=$((SECONDS - start))
    flood_sent=0
    for ((w = 0; w < workers; ++w)); do flood_sent=$((flood_sent + $(cat "$tmp/sent-$w" 2>/dev/null || echo 0))); done

    exec 3>&-
    wait "$server_pid"
    local server_rc=$?
    server_pid=
    local tx_after forwarded dropped
    tx_after=$(tun_tx)
    forwarded=$(($(ip_counter ForwDatagrams) - forwarded_before))
    dropped=$(($(ip_counter InAddrErrors) - dropped_before))

    echo "client: ${client_line//$'\n'/$'\n'client: }"
    echo "flood: $flood_sent SYNs sent in $flood_secs s (client done after $client_secs s, flood still on then: $flooding)"
    echo "tun: $((${tx_after% *} - ${tx_before% *})) frames handed to l4kit," \
        "$((${tx_after#* } - ${tx_before#* })) dropped by the device queue"
    echo "namespace: $forwarded datagrams forwarded, $dropped dropped as not ours (the answers to spoofed sources)"
    sed 's/^/server: /' "$server_log"
    [[ -s $tmp/flood-$label.log ]] && sed 's/^/flood: /' "$tmp/flood-$label.log"
    ((flood_sent == syns_total)) || fail "$label: hping3 sent $flood_sent SYNs, want $syns_total"
    flood_on_until_client_done=$flooding
    ((server_rc == 0)) || fail "$label: the server exited with $server_rc"
    ((forwarded == 0)) || fail "$label: the namespace forwarded $forwarded datagrams"
}

run cookies
if ((client_rc == 0)); then
    echo "ok  with SYN cookies: $(tail -n 1 <<<"$client_line")"
else
    fail "with SYN cookies, not every connection succeeded: $client_line"
fi
((flood_on_until_client_done)) || fail "with SYN cookies: the flood ended before the client's connections did"
grep -q "syn_cookies_sent [1-9]" "$server_log" || fail "with SYN cookies: no cookie was sent"
grep -q "syn_cookies_accepted [1-9]" "$server_log" || fail "with SYN cookies: no cookie came back"

run no-cookies --no-syn-cookies
failed=$(sed -n 's/.*, failed \([0-9]*\) in .*/\1/p' <<<"$client_line")
echo "ok  without SYN cookies: ${failed:-?} of $connections connections failed ($(tail -n 1 <<<"$client_line"))"
grep -q "syn_cookies_sent 0," "$server_log" || fail "without SYN cookies: the server sent cookies"

echo "$((failures == 0 ? 1 : 0)) passed, $((failures > 0 ? 1 : 0)) failed"
((failures == 0))
