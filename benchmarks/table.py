#!/usr/bin/env python3
"""Turn Google Benchmark JSON files into the markdown table of benchmarks/README.md.

    python3 benchmarks/table.py [--build-dir build/gcc] results/*.json

Benchmark names follow `family/variant/size` (e.g. `checksum/internet_avx2/1500`);
each part becomes a column, rows sorted by family, variant and numeric size.
Times and rates are medians over repetitions (run with
--benchmark_repetitions=N --benchmark_report_aggregates_only=true); CV is the
coefficient of variation across them. A header block names the machine, the
compiler and the commit. Standard library only.
"""

import argparse
import json
import os
import re
import subprocess
import sys
from collections import defaultdict

# Suffixes Google Benchmark appends to a name for run options, not for the case.
OPTION_SUFFIX = re.compile(r"^(real_time|manual_time|process_time|iterations:\d+|repeats:\d+|"
                           r"min_time:[\d.]+s?|min_warmup_time:[\d.]+s?|threads:\d+)$")
NS_PER = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def run(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def compiler(build_dir):
    """The C++ compiler of a CMake build directory, with its version."""
    cxx = "c++"
    if build_dir:
        try:
            with open(os.path.join(build_dir, "CMakeCache.txt")) as f:
                for line in f:
                    if line.startswith("CMAKE_CXX_COMPILER:"):
                        cxx = line.split("=", 1)[1].strip()
        except OSError:
            pass
    version = run([cxx, "--version"])
    return version.splitlines()[0] if version else cxx


def split_name(name):
    parts = [p for p in name.split("/") if not OPTION_SUFFIX.match(p)]
    family = parts[0] if parts else name
    variant = parts[1] if len(parts) > 1 else ""
    size = "/".join(parts[2:])
    return family, variant, size


def size_key(size):
    try:
        return (0, float(size), "")
    except ValueError:
        return (1, 0.0, size)


def fmt_time(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def fmt_rate(row):
    parts = []
    if "bytes_per_second" in row:  # Google Benchmark's "G/s" is GiB/s
        parts.append(f"{row['bytes_per_second'] / 2**30:.3g} GiB/s")
    if "items_per_second" in row:  # base 1000
        rate = row["items_per_second"]
        prefix, scale = next(((p, s) for p, s in (("G", 1e9), ("M", 1e6), ("k", 1e3)) if rate >= s), ("", 1))
        parts.append(f"{rate / scale:.3g} {prefix}items/s")
    return ", ".join(parts)


STANDARD_KEYS = {
    "name", "run_name", "run_type", "family_index", "per_family_instance_index", "repetitions",
    "repetition_index", "threads", "iterations", "real_time", "cpu_time", "time_unit",
    "aggregate_name", "aggregate_unit", "bytes_per_second", "items_per_second", "label",
    "error_occurred", "error_message",
}


def fmt_counters(row):
    return ", ".join(f"{k}={row[k]:.4g}" for k in sorted(row)
                     if k not in STANDARD_KEYS and isinstance(row[k], (int, float)))


def collect(paths):
    """{run_name: {"median": row, "cv": row, "iterations": [rows]}} and the first context."""
    cases = defaultdict(lambda: {"iterations": []})
    context = {}
    for path in paths:
        with open(path) as f:
            data = json.load(f)
        context = context or data.get("context", {})
        for row in data.get("benchmarks", []):
            name = row.get("run_name", row["name"])
            if row.get("run_type") == "aggregate":
                cases[name][row["aggregate_name"]] = row
            else:
                cases[name]["iterations"].append(row)
    return cases, context


def summarise(case):
    """(median row, cv fraction or None, error or None) for one benchmark case."""
    iters = case["iterations"]
    errors = [r.get("error_message", "error") for r in iters if r.get("error_occurred")]
    if errors:
        return None, None, errors[0]
    if "median" in case:
        med = case["median"]
        cv = case["cv"]["real_time"] if "cv" in case else None
        if cv is None and "stddev" in case and "mean" in case and case["mean"]["real_time"]:
            cv = case["stddev"]["real_time"] / case["mean"]["real_time"]
        return med, cv, None
    if iters:
        return sorted(iters, key=lambda r: r["real_time"])[len(iters) // 2], None, None
    return None, None, "no results"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("json", nargs="+", help="files written with --benchmark_out=<file>")
    ap.add_argument("--build-dir", help="CMake build directory, to name the compiler")
    args = ap.parse_args()

    cases, ctx = collect(args.json)
    rev = run(["git", "rev-parse", "--short", "HEAD"]) or "?"
    if run(["git", "status", "--porcelain", "--untracked-files=no"]):
        rev += " (with uncommitted changes)"
    scaling = ctx.get("cpu_scaling_enabled")
    print(f"- machine: {cpu_model()}, {os.cpu_count()} cores"
          + (f", {ctx['mhz_per_cpu']} MHz" if "mhz_per_cpu" in ctx else "")
          + (", CPU frequency scaling on (expect noise)" if scaling else ""))
    print(f"- compiler: {compiler(args.build_dir)}"
          + (f"; Google Benchmark library built as {ctx['library_build_type']}" if "library_build_type" in ctx else ""))
    print(f"- commit: {rev}" + (f", run {ctx['date']}" if "date" in ctx else ""))
    if "load_avg" in ctx:
        print(f"- load average at start: {', '.join(f'{x:.2f}' for x in ctx['load_avg'])}")
    print()
    print("| family | variant | size | time (median) | CV | throughput | counters |")
    print("|---|---|---:|---:|---:|---:|---|")

    rows = []
    for name, case in cases.items():
        family, variant, size = split_name(name)
        med, cv, error = summarise(case)
        if error:
            cells = ["error: " + error, "", "", ""]
        else:
            ns = med["real_time"] * NS_PER.get(med.get("time_unit", "ns"), 1.0)
            cells = [fmt_time(ns), f"{100 * cv:.1f} %" if cv is not None else "",
                     fmt_rate(med), fmt_counters(med)]
        rows.append(((family, variant, size_key(size)), [family, variant, size] + cells))
    for _, cells in sorted(rows, key=lambda r: r[0]):
        print("| " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
