#!/usr/bin/env python3
"""The kernel's side of examples/tcp_bulk: bulk TCP with plain sockets.

    tcp_bulk.py listen ADDRESS PORT [--size N] [--timeout S]   accept one connection
    tcp_bulk.py connect ADDRESS PORT [--size N] [--timeout S]  connect
    tcp_bulk.py refused ADDRESS PORT [--timeout S]             connect to a closed port: want ECONNREFUSED

On the connection both directions run at once: a thread sends N bytes of
the pattern (direction 1), then shuts the sending side down; the main
thread reads until the peer's FIN and checks every byte against direction
0 (both made before the connection, so Python never holds the transfer up). The pattern is examples/tcp_bulk.cpp's: 4-byte word k of direction d is
k * 2654435761 + d modulo 2**32, little-endian. Prints one line; exits 0
when both directions were exact.
"""
import argparse
import array
import socket
import sys
import threading
import time

MULTIPLIER = 2654435761


def pattern(direction, offset, length):
    """The pattern's bytes [offset, offset + length) of a direction."""
    first, last = offset // 4, (offset + length + 3) // 4
    words = array.array("I", ((k * MULTIPLIER + direction) & 0xFFFFFFFF for k in range(first, last)))
    if sys.byteorder == "big":
        words.byteswap()
    words = words.tobytes()
    start = offset - 4 * first
    return words[start:start + length]


def exchange(conn, size, deadline, outgoing, incoming):
    """Both directions at once; None when exact, else what went wrong."""
    conn.settimeout(max(deadline - time.monotonic(), 0.1))
    send_error = []

    def sender():
        try:
            conn.sendall(outgoing)
            conn.shutdown(socket.SHUT_WR)
        except OSError as e:
            send_error.append(e)

    t = threading.Thread(target=sender, daemon=True)
    t.start()
    # Reads straight into place, so that the kernel's receive window never
    # waits on Python: the bytes are compared once the stream has ended.
    got = bytearray(size + 1)
    view, received = memoryview(got), 0
    while True:
        n = conn.recv_into(view[received:])
        if n == 0:
            break
        received += n
        if received > size:
            return f"more than {size} bytes arrived"
    t.join(max(deadline - time.monotonic(), 0.1))
    if received != size:
        return f"the stream ended after {received} of {size} bytes"
    if view[:size] != incoming:
        bad = next(i for i in range(size) if got[i] != incoming[i])
        return f"byte {bad} differs from what l4kit sent"
    if t.is_alive():
        return "sending did not finish"
    if send_error:
        return f"send: {send_error[0]}"
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["listen", "connect", "refused"])
    ap.add_argument("address")
    ap.add_argument("port", type=int)
    ap.add_argument("--size", type=int, default=10_000_000)
    ap.add_argument("--timeout", type=float, default=60)
    a = ap.parse_args()
    family = socket.AF_INET6 if ":" in a.address else socket.AF_INET
    deadline = time.monotonic() + a.timeout

    if a.mode == "refused":
        s = socket.socket(family, socket.SOCK_STREAM)
        s.settimeout(a.timeout)
        try:
            s.connect((a.address, a.port))
        except ConnectionRefusedError as e:
            print(f"connect to {a.address} port {a.port}: ECONNREFUSED ({e})")
            return 0
        except OSError as e:
            print(f"connect to {a.address} port {a.port}: {e} (want ECONNREFUSED)")
            return 1
        print(f"connect to {a.address} port {a.port}: connected (want ECONNREFUSED)")
        return 1

    # Made before the connection, so that the transfer waits on neither.
    outgoing, incoming = pattern(1, 0, a.size), pattern(0, 0, a.size)
    if a.mode == "listen":
        server = socket.socket(family, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((a.address, a.port))
        server.listen(1)
        server.settimeout(a.timeout)
        print(f"ready on {a.address} port {a.port}", flush=True)
        conn, peer = server.accept()
        server.close()
    else:
        conn = socket.create_connection((a.address, a.port), timeout=a.timeout)
        peer = (a.address, a.port)
    start = time.monotonic()
    try:
        error = exchange(conn, a.size, deadline, outgoing, incoming)
    except OSError as e:
        error = str(e)
    secs = time.monotonic() - start
    conn.close()
    if error:
        print(f"kernel: {error} (peer {peer[0]}, after {secs:.2f} s)")
        return 1
    print(f"kernel: {a.size} bytes each way, exact, with {peer[0]} in {secs:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
