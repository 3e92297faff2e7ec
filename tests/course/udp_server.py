#!/usr/bin/env python3
"""The course's UDP server, ported to Python 3: receive a datagram on port
50000 and send it back upper-cased to whoever sent it.

Kept faithful to the slides, with three additions the tests need: the
address family (IPv6 with -6), a bound on the number of datagrams served
(--count), and a timeout so it can never hang a test run (--timeout)."""
import argparse
from socket import socket, AF_INET, AF_INET6, SOCK_DGRAM

parser = argparse.ArgumentParser()
parser.add_argument("-6", dest="v6", action="store_true")
parser.add_argument("--address", default="")
parser.add_argument("--port", type=int, default=50000)
parser.add_argument("--count", type=int, default=1)
parser.add_argument("--timeout", type=float, default=10.0)
args = parser.parse_args()

serverPort = args.port
serverSocket = socket(AF_INET6 if args.v6 else AF_INET, SOCK_DGRAM)
serverSocket.bind((args.address, serverPort))
serverSocket.settimeout(args.timeout)
print("The server is ready to receive", flush=True)
for _ in range(args.count):
    message, clientAddress = serverSocket.recvfrom(2048)
    modifiedMessage = message.upper()
    serverSocket.sendto(modifiedMessage, clientAddress)
    print(f"served {len(message)} bytes from {clientAddress[0]}", flush=True)
serverSocket.close()
