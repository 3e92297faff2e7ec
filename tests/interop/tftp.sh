#!/usr/bin/env bash
# TFTP (RFC 1350) between l4kit and Debian's tftp-hpa, through a TUN device,
# in a network namespace this test makes and deletes:
#
#   kernel side (in the namespace)            l4kit side (the example programs)
#   192.0.2.1 on l4tun0: tftp, in.tftpd  <->  192.0.2.2 behind l4tun0: tftp_server, tftp_client
#
#   1. no loss: Debian's `tftp` fetches a 1 MB file from tftp_server and puts
#      one to it; our tftp_client fetches from and puts to Debian's in.tftpd
#      (started here with -s on a temporary directory, killed at the end);
#      the same with a 1024-byte file (two full blocks, then an empty one) and
#      an empty file; an unknown file gives ERROR 1, reported by both clients;
#   2. 5 % loss each way (nftables on the kernel side of the device): the
#      1 MB fetches and our put again; Debian's put with 64 KB, because its
#      client waits a whole second (its smallest `rexmt`) for each DATA lost.
#
# Every file is compared byte for byte (cmp). Every command is bounded by
# `timeout`. Exits 77 (skipped) without root or /dev/net/tun; fails when a
# tool is missing (Debian: tftp-hpa, tftpd-hpa, nftables, iproute2).
#
# Usage: tftp.sh <dir with tftp_server and tftp_client>
set -u
bin=$1

if [[ $EUID -ne 0 || ! -c /dev/net/tun ]] || ! command -v ip >/dev/null; then
    echo "SKIPPED: needs root, /dev/net/tun and iproute2"
    exit 77
fi
missing=()
for tool in tftp in.tftpd nft cmp timeout; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
    echo "FAIL: missing tools: ${missing[*]} (Debian: tftp-hpa, tftpd-hpa, nftables, diffutils, coreutils)"
    exit 1
fi

ns=l4tftp-$$
dev=l4tun0
failures=0
work=$(mktemp -d)
tftpd_pid=
cleanup() {
    if [[ -n $tftpd_pid ]]; then
        kill "$tftpd_pid" 2>/dev/null
        for _ in $(seq 20); do
            kill -0 "$tftpd_pid" 2>/dev/null || break
            timeout 0.1 tail -f /dev/null 2>/dev/null
        done
        kill -9 "$tftpd_pid" 2>/dev/null
        wait "$tftpd_pid" 2>/dev/null
    fi
    ip netns delete "$ns" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

in_ns() { local t=$1; shift; timeout "$t" ip netns exec "$ns" "$@"; }
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

ip netns add "$ns" || exit 1
in_ns 10 ip link set lo up
in_ns 10 ip tuntap add dev "$dev" mode tun || exit 1
in_ns 10 ip addr add 192.0.2.1/24 dev "$dev"
in_ns 10 ip link set "$dev" up

# in.tftpd drops root for the user tftp: its directory must be open to it.
chmod 755 "$work"
mkdir -p "$work/ours" "$work/hpa" "$work/cli" "$work/files"
chmod 777 "$work/hpa"
head -c 1048576 /dev/urandom >"$work/files/big.bin"
head -c 65536 /dev/urandom >"$work/files/small.bin"
head -c 1024 /dev/urandom >"$work/files/exact.bin"
: >"$work/files/empty.bin"
cp "$work"/files/* "$work/ours/"
cp "$work"/files/* "$work/hpa/"
chmod 644 "$work"/hpa/*

in.tftpd --version 2>&1 | head -n 1
# `ip netns exec` execs in.tftpd: $! is the daemon itself, killed on exit.
ip netns exec "$ns" in.tftpd --foreground --listen --address 192.0.2.1:69 --secure --create -T 20000 "$work/hpa" &
tftpd_pid=$!

# Debian's client, in octet mode, retransmitting after 1 s (its least).
hpa() {
    printf 'mode octet\nrexmt 1\ntimeout 60\n%s\nquit\n' "$1" | (cd "$work/cli" && in_ns 90 tftp 192.0.2.2) 2>&1 | sed "s/tftp> //g"
}
# Our server for `n` requests, in the background; its figures go to $work/server.log.
start_server() {
    : >"$work/server.log"
    in_ns 200 "$bin/tftp_server" --tun "$dev" --address 192.0.2.2 --root "$work/ours" --count "$1" \
        --timeout 180 --rto-min 20 >>"$work/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 100); do
        grep -q "ready to receive" "$work/server.log" && return 0
        timeout 0.1 tail -f /dev/null 2>/dev/null
    done
    fail "tftp_server did not start: $(cat "$work/server.log")"
}
ours() { in_ns 90 "$bin/tftp_client" --tun "$dev" --address 192.0.2.2 --server 192.0.2.1 --rto-min 20 "$@" 2>&1; }
same() {
    if cmp -s "$1" "$2"; then echo "ok  $3 ($(stat -c %s "$1") bytes, byte-exact)"; else fail "$3: $1 and $2 differ"; fi
}
timed() {
    local start=$EPOCHREALTIME
    "$@"
    echo "    ($(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.2f s", b - a}'))" >&2
}

# Debian's client against tftp_server: get, put, and ERROR 1 for an unknown file.
debian_against_ours() {
    local get=$1 put=$2 tag=$3
    rm -f "$work/cli/got.bin" "$work/ours/up_$put"
    cp "$work/files/$put" "$work/cli/$put"
    out=$(timed hpa "get $get got.bin")
    [[ -n $out ]] && echo "    tftp: $out"
    same "$work/files/$get" "$work/cli/got.bin" "$tag: tftp get $get from tftp_server"
    out=$(timed hpa "put $put up_$put")
    [[ -n $out ]] && echo "    tftp: $out"
    same "$work/files/$put" "$work/ours/up_$put" "$tag: tftp put $put to tftp_server"
}
# Our client against in.tftpd.
ours_against_debian() {
    local get=$1 put=$2 tag=$3
    rm -f "$work/cli/from_hpa.bin" "$work/hpa/up_$put"
    ours get "$get" "$work/cli/from_hpa.bin" | sed 's/^/    /'
    same "$work/files/$get" "$work/cli/from_hpa.bin" "$tag: tftp_client get $get from in.tftpd"
    ours put "$work/files/$put" "up_$put" | sed 's/^/    /'
    same "$work/files/$put" "$work/hpa/up_$put" "$tag: tftp_client put $put to in.tftpd"
}

echo "== 1. no loss"
start_server 7
for f in big.bin exact.bin empty.bin; do debian_against_ours "$f" "$f" "no loss"; done
out=$(hpa "get nothere.bin nothere.bin")
if grep -q "Error code 1" <<<"$out"; then echo "ok  tftp reports: $(grep -o 'Error code 1.*' <<<"$out")"
else fail "tftp get of an unknown file from tftp_server: $out"; fi
wait "$server_pid" || fail "tftp_server exited with $?"
sed 's/^/    server: /' "$work/server.log"
for f in big.bin exact.bin empty.bin; do ours_against_debian "$f" "$f" "no loss"; done
out=$(ours get nothere.bin "$work/cli/nothere.bin") && fail "tftp_client: an unknown file succeeded: $out"
if grep -q "ERROR 1:" <<<"$out"; then echo "ok  tftp_client reports: $(grep 'ERROR 1' <<<"$out")"
else fail "tftp_client get of an unknown file from in.tftpd: $out"; fi

echo "== 2. 5 % loss each way"
# On the device's own hooks: a drop at the kernel's output hooks would fail
# the kernel programs' sendto with EPERM, which tftp and in.tftpd take as fatal.
if ! in_ns 10 nft -f - <<EOF; then
table netdev l4loss {
    chain ingress {
        type filter hook ingress device "$dev" priority 0; policy accept;
        meta l4proto udp numgen random mod 100 < 5 counter drop
    }
    chain egress {
        type filter hook egress device "$dev" priority 0; policy accept;
        meta l4proto udp numgen random mod 100 < 5 counter drop
    }
}
EOF
    fail "nft: cannot add the loss rules"
fi
start_server 2
debian_against_ours big.bin small.bin "5 % loss"
wait "$server_pid" || fail "tftp_server exited with $?"
sed 's/^/    server: /' "$work/server.log"
ours_against_debian big.bin big.bin "5 % loss"
dropped=$(in_ns 10 nft list table netdev l4loss | grep -o 'packets [0-9]*' | grep -o '[0-9]*' | paste -sd' ')
read -r to_kernel from_kernel <<<"$dropped"
if [[ ${to_kernel:-0} -gt 0 && ${from_kernel:-0} -gt 0 ]]; then
    echo "ok  nftables dropped $to_kernel datagrams on their way to the kernel, $from_kernel from it"
else
    fail "the loss rules dropped too little: ${dropped:-no counters}"
fi

echo "$((failures == 0 ? 1 : 0)) passed, $((failures > 0 ? 1 : 0)) failed"
((failures == 0))
