#!/usr/bin/env python3
"""The course's TCP client, ported to Python 3: connect to port 50007, send
a sentence, print what comes back, close.

Kept faithful to the slides, with the additions the tests need: the
server's address as an argument, a payload of --size bytes instead of a
typed sentence, and a timeout. Exits 1 unless the answer is the sentence
upper-cased."""
import argparse
import sys
from socket import socket, getaddrinfo, SOCK_STREAM

parser = argparse.ArgumentParser()
parser.add_argument("server")
parser.add_argument("--port", type=int, default=50007)
parser.add_argument("--size", type=int, default=-1)
parser.add_argument("--timeout", type=float, default=10.0)
args = parser.parse_args()

family, _, _, _, address = getaddrinfo(args.server, args.port, type=SOCK_STREAM)[0]
sentence = b"Hello World" if args.size < 0 else bytes(ord("a") + i % 26 for i in range(args.size))
clientSocket = socket(family, SOCK_STREAM)
clientSocket.settimeout(args.timeout)
clientSocket.connect(address)
clientSocket.sendall(sentence)
modifiedSentence = b""
while len(modifiedSentence) < len(sentence):
    more = clientSocket.recv(65536)
    if not more:
        break
    modifiedSentence += more
clientSocket.close()
print(f"From Server: {len(modifiedSentence)} bytes" if len(modifiedSentence) > 64 else f"From Server: {modifiedSentence.decode()}")
sys.exit(0 if modifiedSentence == sentence.upper() else 1)
