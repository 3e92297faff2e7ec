#!/usr/bin/env python3
"""The course's UDP client, ported to Python 3: send a message to the
server on port 50000 and print the upper-cased reply.

Additions for the tests: the address family follows the server address,
the payload can be given as a size (--size N sends N bytes of lowercase
letters, 0 included), and a timeout bounds the wait."""
import argparse
import sys
from socket import socket, AF_INET, AF_INET6, SOCK_DGRAM

parser = argparse.ArgumentParser()
parser.add_argument("server")
parser.add_argument("--port", type=int, default=50000)
parser.add_argument("--message", default="Hello World")
parser.add_argument("--size", type=int, default=None)
parser.add_argument("--timeout", type=float, default=10.0)
args = parser.parse_args()

serverName, serverPort = args.server, args.port
message = args.message.encode() if args.size is None else bytes(97 + i % 26 for i in range(args.size))
clientSocket = socket(AF_INET6 if ":" in serverName else AF_INET, SOCK_DGRAM)
clientSocket.settimeout(args.timeout)
clientSocket.sendto(message, (serverName, serverPort))
modifiedMessage, serverAddress = clientSocket.recvfrom(2048)
clientSocket.close()
if modifiedMessage != message.upper():
    print(f"reply differs: sent {len(message)} bytes, got {len(modifiedMessage)}", file=sys.stderr)
    sys.exit(1)
print(modifiedMessage.decode() if args.size is None else f"{len(modifiedMessage)} bytes echoed upper-cased")
