#!/usr/bin/env python3
"""Writes the captures of tests/data/fidelity/ and, with tshark, their oracles.

Each capture holds packets that decoders get wrong in a particular way
(README.md says which). They are built here byte by byte, with checksums
computed as RFC 1071 says, so that the test does not trust l4kit to make
its own inputs; tshark's reading of them is the oracle (.expected.tsv).

    python3 tests/data/fidelity/make_captures.py   # rewrites the .pcap and .tsv files
"""
import os
import struct
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
LINKTYPE_RAW = 101


def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def a4(text):
    return bytes(int(x) for x in text.split("."))


def a6(text):
    import ipaddress
    return ipaddress.IPv6Address(text).packed


def ipv4(src, dst, proto, payload, ident=0x1234, snap_total=None):
    total = 20 + len(payload)
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, ident, 0x4000, 64, proto, 0, a4(src), a4(dst))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def ipv6(src, dst, next_header, payload):
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), next_header, 64, a6(src), a6(dst)) + payload


def pseudo4(src, dst, proto, length):
    return a4(src) + a4(dst) + struct.pack("!BBH", 0, proto, length)


def pseudo6(src, dst, proto, length):
    return a6(src) + a6(dst) + struct.pack("!IxxxB", length, proto)


def udp(sport, dport, data, pseudo):
    """pseudo(length) -> pseudo-header bytes for a UDP Length of `length`."""
    length = 8 + len(data)
    h = struct.pack("!HHHH", sport, dport, length, 0)
    c = csum(pseudo(length) + h + data) or 0xFFFF
    return struct.pack("!HHHH", sport, dport, length, c) + data


def tcp(sport, dport, seq, ack, flags, options, data, pseudo):
    assert len(options) % 4 == 0
    off = (20 + len(options)) // 4
    h = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, off << 4, flags, 64240, 0, 0) + options
    c = csum(pseudo(len(h) + len(data)) + h + data)
    return h[:16] + struct.pack("!H", c) + h[18:] + data


def write_pcap(name, packets, snaplen=65535):
    """packets: list of (bytes on the wire, bytes captured or None for all)."""
    with open(os.path.join(HERE, name + ".pcap"), "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, LINKTYPE_RAW))
        for i, (wire, captured) in enumerate(packets):
            cap = wire if captured is None else wire[:captured]
            f.write(struct.pack("<IIII", 1700000000 + i, 0, len(cap), len(wire)))
            f.write(cap)


FIELDS = [
    "frame.number", "frame.len", "frame.cap_len", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
    "tcp.srcport", "tcp.dstport", "tcp.seq_raw", "tcp.hdr_len", "tcp.len", "tcp.checksum", "tcp.checksum.status",
    "tcp.options.mss_val", "tcp.options.wscale.shift", "tcp.options.sack_perm",
    "tcp.options.timestamp.tsval", "tcp.options.timestamp.tsecr",
    "udp.srcport", "udp.dstport", "udp.length", "udp.checksum", "udp.checksum.status",
]


def oracle(name):
    cmd = ["tshark", "-r", os.path.join(HERE, name + ".pcap"), "-n",
           "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
           "-o", "tcp.relative_sequence_numbers:FALSE",
           "-T", "fields", "-E", "header=y", "-E", "separator=/t", "-E", "occurrence=f"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    with open(os.path.join(HERE, name + ".expected.tsv"), "w") as f:
        f.write(out)


def main():
    s4, d4 = "192.0.2.1", "192.0.2.2"
    s6, d6 = "2001:db8::1", "2001:db8::2"
    p4 = lambda proto: (lambda n: pseudo4(s4, d4, proto, n))

    # 1. UDP's pseudo-header holds UDP's Length, not the IP payload's
    #    (RFC 768; RFC 8200 §8.1): bytes trail each datagram inside IP.
    u4 = udp(5000, 53, b"trailing bytes follow", p4(17))
    u6 = udp(5000, 53, b"trailing bytes follow", lambda n: pseudo6(s6, d6, 17, n))
    write_pcap("udp_trailing_bytes", [
        (ipv4(s4, d4, 17, u4 + b"\xde\xad\xbe\xef"), None),
        (ipv6(s6, d6, 17, u6 + b"\xde\xad\xbe\xef\x01\x02\x03\x04"), None),
        (ipv4(s4, d4, 17, u4), None),  # and none: the same checksum
    ])

    # 2. IPv6 in transit through a Routing header with Segments Left > 0:
    #    the pseudo-header holds the final destination (RFC 8200 §8.1).
    final, hop = "2001:db8::99", "2001:db8::2"
    pf = lambda proto: (lambda n: pseudo6(s6, final, proto, n))
    rh0 = struct.pack("!BBBBI", 17, 4, 0, 2, 0) + a6("2001:db8::3") + a6(final)  # type 0, two addresses
    rh2 = struct.pack("!BBBBI", 6, 2, 2, 1, 0) + a6(final)  # type 2, the home address
    srh = struct.pack("!BBBBBBH", 17, 4, 4, 1, 1, 0, 0) + a6(final) + a6(hop)  # type 4, Segment List[0] is last
    done = struct.pack("!BBBBI", 17, 2, 0, 0, 0) + a6(hop)  # Segments Left 0: the destination is final
    t = tcp(40000, 80, 1000, 0, 0x02, b"\x02\x04\x05\xb4", b"", pf(6))
    write_pcap("ipv6_routing_in_transit", [
        (ipv6(s6, hop, 43, rh0 + udp(5001, 53, b"via type 0", pf(17))), None),
        (ipv6(s6, hop, 43, rh2 + t), None),
        (ipv6(s6, hop, 43, srh + udp(5002, 53, b"via SRv6", pf(17))), None),
        (ipv6(s6, final, 43, done + udp(5003, 53, b"arrived", lambda n: pseudo6(s6, final, 17, n))), None),
    ])

    # 3. Malformed TCP options among good ones.
    mss = b"\x02\x04\x05\xb4"
    ts = b"\x08\x0a\x00\x00\x00\x01\x00\x00\x00\x02"
    bad_ws = b"\x03\x04\x07\x00"  # window scale with length 4 (must be 3)
    sack_ok = b"\x04\x02"
    zero_len = b"\x22\x00"  # length 0: the walk cannot go on
    write_pcap("tcp_malformed_options", [
        # MSS, a bad window scale, SACK-permitted, timestamps: the walk goes on past it
        (ipv4(s4, d4, 6, tcp(40001, 80, 1, 0, 0x02, mss + bad_ws + sack_ok + ts, b"", p4(6))), None),
        # MSS, then a length of 0: what came before is kept
        (ipv4(s4, d4, 6, tcp(40002, 80, 2, 0, 0x02, mss + zero_len + b"\x01\x01", b"", p4(6))), None),
    ])

    # 4. A capture with snaplen 96: packets cut short, and one record longer than the snaplen.
    big = bytes(range(256)) * 4
    write_pcap("snaplen_cut", [
        (ipv4(s4, d4, 6, tcp(40003, 80, 7, 9, 0x18, b"", big, p4(6))), 96),
        (ipv4(s4, d4, 17, udp(5004, 53, big, p4(17))), 96),
        (ipv6(s6, d6, 6, tcp(40004, 80, 7, 9, 0x18, b"", big, lambda n: pseudo6(s6, d6, 6, n))), 96),
        (ipv4(s4, d4, 6, tcp(40005, 80, 7, 9, 0x18, b"", big[:40], p4(6))), 30),  # inside the TCP header
        (ipv4(s4, d4, 17, udp(5005, 53, big[:200], p4(17))), None),  # 228 bytes past a snaplen of 96
    ], snaplen=96)

    # 5. IPv4's Authentication Header before TCP and UDP (RFC 4302), and an
    #    IPv6 chain of repeated Destination Options longer than 8 headers.
    def ah(next_header, spi):
        return struct.pack("!BBHII", next_header, 4, 0, spi, 1) + bytes(12)  # 96-bit ICV: 24 bytes in all
    dopt = lambda nh: struct.pack("!BB", nh, 0) + b"\x01\x04\x00\x00\x00\x00"  # PadN
    chain = b"".join(dopt(60) for _ in range(11)) + dopt(17)
    write_pcap("extension_headers", [
        (ipv4(s4, d4, 51, ah(6, 0x100) + tcp(40006, 80, 5, 0, 0x02, mss, b"", p4(6))), None),
        (ipv4(s4, d4, 51, ah(17, 0x101) + udp(5006, 53, b"behind AH", p4(17))), None),
        (ipv6(s6, d6, 60, chain + udp(5007, 53, b"12 headers", lambda n: pseudo6(s6, d6, 17, n))), None),
    ])

    for name in ["udp_trailing_bytes", "ipv6_routing_in_transit", "tcp_malformed_options", "snaplen_cut",
                 "extension_headers"]:
        oracle(name)


if __name__ == "__main__":
    main()
