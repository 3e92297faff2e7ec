#!/usr/bin/env python3
"""How much instruction cache a program's hot code takes, and what cold code sits in it.

    valgrind --tool=callgrind --dump-instr=yes --compress-pos=no --compress-strings=no \
        --callgrind-out-file=cg.out ./bench_ns3_compare --only l4kit --algo newreno
    python3 hot_lines.py cg.out ./bench_ns3_compare [--min 20000] [--top 30] [--by function|source]

A 64-byte line is hot when an instruction in it ran at least --min times.
Printed: the hot lines (their bytes: what the hot path asks of a 32 KiB
L1i), the bytes of hot instructions in them, the bytes of cold ones (run
fewer times, or never: error branches and rare cases laid out in line),
and where the cold bytes come from, by function or by source line. Then
how the hot lines fall into the cache's sets (--ways, --sets; 8 and 64
for the 32 KiB L1i of the Xeon and the EPYC): a set given more hot lines
than it has ways misses on every pass whatever the total, so the excess
over the ways, not the count of lines alone, tells what a layout costs.
"""
import argparse
import collections
import re
import subprocess


def executions(callgrind_out, binary_name):
    """Instruction address -> times it ran, for the binary's own object."""
    counts = collections.defaultdict(int)
    obj = None
    skip_next = False
    with open(callgrind_out) as f:
        for line in f:
            if skip_next:  # the line after calls= is the call's inclusive cost
                skip_next = False
                continue
            if line.startswith('ob='):
                obj = line[3:].strip()
            elif line.startswith('calls='):
                skip_next = True
            elif line.startswith('0x') and obj and obj.endswith(binary_name):
                fields = line.split()
                counts[int(fields[0], 16)] += int(fields[2]) if len(fields) > 2 else 0
    return counts


def instructions(binary):
    """(address, function, source line) of every instruction, from objdump."""
    out = subprocess.run(['objdump', '-d', '-l', '-C', '--no-show-raw-insn', binary],
                         capture_output=True, text=True, check=True).stdout
    result, function, source = [], '?', '?'
    for line in out.splitlines():
        if m := re.match(r'^[0-9a-f]+ <(.*)>:$', line):
            function = m.group(1)
        elif m := re.match(r'^(/\S+):(\d+)', line):
            source = f'{m.group(1)}:{m.group(2)}'
        elif m := re.match(r'^\s+([0-9a-f]+):\s', line):
            result.append((int(m.group(1), 16), function, source))
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('callgrind_out')
    ap.add_argument('binary')
    ap.add_argument('--min', type=int, default=20000, help='runs that make an instruction hot')
    ap.add_argument('--top', type=int, default=30)
    ap.add_argument('--by', choices=['function', 'source'], default='function')
    ap.add_argument('--sets', type=int, default=64)
    ap.add_argument('--ways', type=int, default=8)
    args = ap.parse_args()

    counts = executions(args.callgrind_out, args.binary.rsplit('/', 1)[-1])
    hot_lines = {a >> 6 for a, n in counts.items() if n >= args.min}
    insns = instructions(args.binary)
    hot_bytes = cold_bytes = 0
    cold_by = collections.Counter()
    for (addr, function, source), (next_addr, _, _) in zip(insns, insns[1:]):
        if addr >> 6 not in hot_lines:
            continue
        size = min(next_addr - addr, 15)  # the longest x86 instruction
        if counts.get(addr, 0) >= args.min:
            hot_bytes += size
        else:
            cold_bytes += size
            cold_by[function if args.by == 'function' else source] += size
    print(f'hot lines {len(hot_lines)} ({len(hot_lines) * 64} bytes): '
          f'hot instructions {hot_bytes} bytes, cold {cold_bytes} bytes')
    for key, size in cold_by.most_common(args.top):
        print(f'{size:6}  {key[:160]}')
    per_set = collections.Counter(line % args.sets for line in hot_lines)
    over = {s: n for s, n in per_set.items() if n > args.ways}
    print(f'sets: {args.sets} of {args.ways} ways; most hot lines in one set {max(per_set.values())}; '
          f'sets over their ways {len(over)}, hot lines beyond the ways {sum(n - args.ways for n in over.values())}')


if __name__ == '__main__':
    main()
