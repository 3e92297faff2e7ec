#!/usr/bin/env bash
# Compile cost of a typical l4kit translation unit (benchmarks/compile_cost/
# all_formats.cpp: every format and checksum strategy instantiated), with g++
# and clang++-14 at -std=c++20 -O2, and of the heavier every_combination.cpp
# for comparison. Prints a markdown table of wall time (best of
# L4_COMPILE_RUNS, default 3) and peak memory (largest of the runs).
# Exits non-zero when g++ exceeds the budget on all_formats.cpp: 2 s and
# 600 MB.
#
# Wall time on a shared machine drifts; with L4_COMPILE_INSTRUCTIONS=1 the
# script also counts the instructions g++'s compiler proper (cc1plus)
# executes on each TU under valgrind: the same count on every run, so two
# commits compare exactly (about 100 s per TU).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs=${L4_COMPILE_RUNS:-3}
budget_s=2
budget_mb=600

if [[ ! -x /usr/bin/time ]]; then
    if ((EUID == 0)); then
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends time >/dev/null
    else
        echo "compile_cost.sh: /usr/bin/time is missing: apt-get install time" >&2
        exit 1
    fi
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# measure <compiler> <source>: prints "<best wall s> <peak MB>", or fails if it does not compile.
measure() {
    local best="" peak=0 i wall kb
    for ((i = 0; i < runs; i++)); do
        if ! /usr/bin/time -f "%e %M" -o "$out/time" \
            "$1" -std=c++20 -O2 -Iinclude -c "$2" -o "$out/probe.o" 2>"$out/err"; then
            head -n 40 "$out/err" >&2
            return 1
        fi
        read -r wall kb <"$out/time"
        if [[ -z $best ]] || awk -v a="$wall" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$wall; fi
        ((kb / 1024 > peak)) && peak=$((kb / 1024))
    done
    echo "$best $peak"
}

# instructions <source>: millions of instructions cc1plus executes at -O2.
instructions() {
    valgrind --tool=callgrind --trace-children=yes --callgrind-out-file="$out/cg.%p" \
        g++ -std=c++20 -O2 -Iinclude -c "$1" -o "$out/probe.o" >/dev/null 2>&1 || return 1
    grep -hE '^(summary|totals):' "$out"/cg.* | awk '$2 > m { m = $2 } END { printf "%d\n", m / 1e6 }'
    rm -f "$out"/cg.*
}

status=0
echo "Compile cost (-std=c++20 -O2, best of $runs), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo
echo "| translation unit | compiler | wall (s) | peak memory (MB) | budget (${budget_s} s, ${budget_mb} MB) |"
echo "|---|---|---:|---:|---|"
for probe in all_formats every_combination; do
    src=benchmarks/compile_cost/$probe.cpp
    for cxx in g++ clang++-14; do
        if ! command -v "$cxx" >/dev/null; then
            echo "| $probe | $cxx | – | – | not installed |"
            continue
        fi
        version=$("$cxx" --version | head -n 1 | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n 1)
        if ! result=$(measure "$cxx" "$src"); then
            echo "| $probe | $cxx $version | – | – | does not compile |"
            status=1
            continue
        fi
        read -r wall mb <<<"$result"
        verdict="within"
        if awk -v w="$wall" -v b="$budget_s" 'BEGIN { exit !(w > b) }' || ((mb > budget_mb)); then verdict="over"; fi
        # The budget is g++'s on all_formats; the other rows are for comparison.
        if [[ $probe != all_formats || $cxx != g++ ]]; then
            verdict="($verdict)"
        elif [[ $verdict == over ]]; then
            status=1
        fi
        echo "| $probe | $cxx $version | $wall | $mb | $verdict |"
    done
done
if [[ ${L4_COMPILE_INSTRUCTIONS:-0} == 1 ]]; then
    if ! command -v valgrind >/dev/null; then
        echo "compile_cost.sh: L4_COMPILE_INSTRUCTIONS=1 needs valgrind" >&2
        exit 1
    fi
    echo
    echo "| translation unit | g++ -O2, cc1plus instructions (millions) |"
    echo "|---|---:|"
    for probe in all_formats every_combination; do
        echo "| $probe | $(instructions benchmarks/compile_cost/$probe.cpp) |"
    done
fi
exit $status
