#!/usr/bin/env python3
"""The kernel's side of tests/interop/syn_flood.sh: COUNT connections to an
echo server, started one every SPREAD/COUNT seconds, each in a thread of its
own: connect, send SIZE bytes (a pattern of the connection's own), read
their echo, half-close, read until the server's FIN, compare. Each connection, handshake included, has
TIMEOUT seconds. Prints one line per kind of failure and a summary line:

    connections 100, succeeded 100, failed 0 in 12.3 s

Exits 0 when every connection succeeded, 1 otherwise.
"""
import argparse
import socket
import sys
import threading
import time


def pattern(i, size):
    # Each connection's bytes differ from every other's, so a crossed stream shows.
    seed = (i * 2654435761) & 0xFFFFFFFF
    return bytes(((seed >> (8 * (k % 4))) + k // 4) & 0xFF for k in range(size))


def one(i, host, port, size, timeout, results):
    deadline = time.monotonic() + timeout
    want = pattern(i, size)
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.settimeout(max(0.1, deadline - time.monotonic()))
            s.sendall(want)
            # The FIN only after the echo, as a request-response client
            # would: a cookie is checked on the segment that carries ISN + 1
            # (RFC 4987 §3.6), so if our ACK and data were both lost on the
            # way, what we resend must be the data, not a FIN beyond it.
            got = bytearray()
            while len(got) < size:
                s.settimeout(max(0.1, deadline - time.monotonic()))
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
            s.shutdown(socket.SHUT_WR)
            while True:
                s.settimeout(max(0.1, deadline - time.monotonic()))
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
        if got == want:
            results[i] = "ok"
        else:
            results[i] = f"echo differs ({len(got)} of {size} bytes back)"
    except socket.timeout:
        results[i] = "timed out"
    except OSError as e:
        results[i] = f"{e.strerror or e}"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--count", type=int, default=100)
    p.add_argument("--spread", type=float, default=10.0, help="seconds over which the connections start")
    p.add_argument("--size", type=int, default=1000)
    p.add_argument("--timeout", type=float, default=8.0)
    a = p.parse_args()

    results = [None] * a.count
    threads = []
    start = time.monotonic()
    for i in range(a.count):
        at = start + i * a.spread / a.count
        time.sleep(max(0.0, at - time.monotonic()))
        t = threading.Thread(target=one, args=(i, a.host, a.port, a.size, a.timeout, results), daemon=True)
        t.start()
        threads.append(t)
    for t in threads:
        t.join(a.timeout + 5)
    took = time.monotonic() - start

    kinds = {}
    for r in results:
        r = r or "never finished"
        if r != "ok":
            kinds[r] = kinds.get(r, 0) + 1
    for why, n in sorted(kinds.items(), key=lambda kv: -kv[1]):
        print(f"  {n} failed: {why}")
    ok = sum(1 for r in results if r == "ok")
    print(f"connections {a.count}, succeeded {ok}, failed {a.count - ok} in {took:.1f} s")
    return 0 if ok == a.count else 1


if __name__ == "__main__":
    sys.exit(main())
