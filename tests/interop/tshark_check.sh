# Sourced by the TCP interop tests (not a test itself): tshark as the judge
# of a capture l4kit's pcap_tap wrote.
# shellcheck shell=bash
#
#   tshark_check FILE MODE PORT...
#
# Reads FILE with tshark, every IPv4 and TCP checksum verified (tshark does
# not by default), the given TCP ports decoded as plain data (so that no
# heuristic dissector -- Thrift, say -- reads a pattern as its protocol and
# reports its own errors). Prints one line: frames, TCP segments, checksums,
# malformed frames, and the count of each TCP analysis flag. Fails when
#   - there is no TCP segment, or one whose checksum was not verified;
#   - any IPv4 or TCP checksum is bad, or any frame is malformed (a TCP
#     checksum of 0xffff where 0x0000 is computed is the same one's
#     complement zero, RFC 1624 section 3: tshark calls it bad, Linux writes
#     it about once in 65536 segments, and it is counted apart, by sender);
#   - MODE is "clean" and a segment carries an analysis flag other than
#     window_update, window_full or zero_window (those three are flow
#     control doing its work: a sender filling a 64 KB window faster than
#     the receiving program empties it). Retransmissions, duplicate ACKs,
#     out-of-order or lost segments, keep-alives (a zero-window probe the
#     receiver should have made unnecessary with a window update) and the
#     rest fail, listed by frame.
# MODE "lossy" allows every analysis flag (loss makes them) and counts them.

tshark_check() {
    local file=$1 mode=$2
    shift 2
    local decode=() port
    for port in "$@"; do
        decode+=(-d "tcp.port==$port,data")
    done
    local flags=(retransmission fast_retransmission spurious_retransmission out_of_order lost_segment
                 ack_lost_segment duplicate_ack keep_alive keep_alive_ack zero_window_probe zero_window_probe_ack
                 reused_ports window_update window_full zero_window)
    local fields=(-e frame.number -e ip.checksum.status -e tcp.checksum.status -e _ws.malformed -e tcp.checksum.ffff
                  -e ip.src -e ipv6.src) f
    for f in "${flags[@]}"; do
        fields+=(-e "tcp.analysis.$f")
    done
    local out err
    err=$(mktemp)
    if ! out=$(timeout 120 tshark -r "$file" -n -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE \
        "${decode[@]}" -T fields -E separator=/t "${fields[@]}" 2>"$err"); then
        echo "tshark -r $file failed: $(grep -v 'Running as user' "$err" | head -n 5)"
        rm -f "$err"
        return 1
    fi
    rm -f "$err"
    local script
    IFS= read -r -d '' script <<'EOF' || true
import sys
mode, flags = sys.argv[1], sys.argv[2].split()
allowed = {"window_update", "window_full", "zero_window"}
frames = tcp = good = bad_tcp = bad_ip = malformed = 0
negative_zero = {}  # sender -> count
counts = {f: 0 for f in flags}
unverified, wrong = [], []
for line in sys.stdin.read().splitlines():
    cols = line.split("\t")
    if len(cols) < 7 + len(flags) or not cols[0].isdigit():
        print(f"unexpected tshark output: {line!r}")
        sys.exit(1)
    frames += 1
    number, ip_status, tcp_status, bad, ffff = cols[:5]
    sender = cols[5] or cols[6]
    # tshark's checksum status: 0 bad, 1 good, 2 unverified.
    if ip_status == "0":
        bad_ip += 1
        wrong.append(f"frame {number}: bad IPv4 header checksum")
    if bad:
        malformed += 1
        wrong.append(f"frame {number}: malformed")
    if tcp_status:
        tcp += 1
        if tcp_status == "1":
            good += 1
        elif tcp_status == "0" and ffff:
            # 0xffff where a full computation gives 0x0000: the same one's
            # complement zero, which the sum at the receiver accepts (RFC 1624
            # section 3). Linux writes it (skb_checksum_help's CSUM_MANGLED_0);
            # tshark calls it bad.
            negative_zero[sender] = negative_zero.get(sender, 0) + 1
        elif tcp_status == "0":
            bad_tcp += 1
            wrong.append(f"frame {number}: bad TCP checksum")
        else:
            unverified.append(number)
    present = [f for f, v in zip(flags, cols[7:]) if v]
    for f in present:
        counts[f] += 1
    if mode == "clean" and set(present) - allowed:
        wrong.append(f"frame {number}: tcp.analysis." + ", tcp.analysis.".join(sorted(set(present) - allowed)))
if tcp == 0:
    wrong.append("no TCP segment in the capture")
if unverified:
    wrong.append(f"{len(unverified)} TCP checksums not verified (frames {', '.join(unverified[:10])})")
seen = ", ".join(f"{f} {n}" for f, n in counts.items() if n) or "none"
zeros = "".join(f", 0xffff for 0x0000 from {s} {n}" for s, n in sorted(negative_zero.items()))
print(f"{frames} frames, {tcp} TCP segments, checksums good {good} bad {bad_tcp}{zeros} (IPv4 headers bad {bad_ip}), "
      f"malformed {malformed}; analysis flags: {seen}")
if wrong:
    print(f"{len(wrong)} problems: " + "; ".join(wrong[:20]) + (" ..." if len(wrong) > 20 else ""))
    sys.exit(1)
EOF
    python3 -c "$script" "$mode" "${flags[*]}" <<<"$out"
}
