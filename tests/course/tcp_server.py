#!/usr/bin/env python3
"""The course's TCP server, ported to Python 3: accept a connection on port
50007, read a sentence, send it back upper-cased, close.

Kept faithful to the slides, with the additions the tests need: SO_REUSEADDR, the
address family (IPv6 with -6), a bound on the number of connections served
(--count), and a timeout so it can never hang a test run (--timeout). It
reads until the client's sentence is complete (--size bytes, or one recv)."""
import argparse
from socket import socket, AF_INET, AF_INET6, SOCK_STREAM, SOL_SOCKET, SO_REUSEADDR

parser = argparse.ArgumentParser()
parser.add_argument("-6", dest="v6", action="store_true")
parser.add_argument("--address", default="")
parser.add_argument("--port", type=int, default=50007)
parser.add_argument("--count", type=int, default=1)
parser.add_argument("--size", type=int, default=-1)
parser.add_argument("--timeout", type=float, default=10.0)
args = parser.parse_args()

serverPort = args.port
serverSocket = socket(AF_INET6 if args.v6 else AF_INET, SOCK_STREAM)
# The tests run one server after another on the same port, and the server
# closes first, so the last connection sits in TIME-WAIT.
serverSocket.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
serverSocket.bind((args.address, serverPort))
serverSocket.listen(1)
serverSocket.settimeout(args.timeout)
print("The server is ready to receive", flush=True)
for _ in range(args.count):
    connectionSocket, addr = serverSocket.accept()
    connectionSocket.settimeout(args.timeout)
    sentence = connectionSocket.recv(1024)
    while 0 <= len(sentence) < args.size:
        more = connectionSocket.recv(65536)
        if not more:
            break
        sentence += more
    capitalizedSentence = sentence.upper()
    connectionSocket.sendall(capitalizedSentence)
    connectionSocket.close()
    print(f"served {len(sentence)} bytes from {addr[0]}", flush=True)
serverSocket.close()
