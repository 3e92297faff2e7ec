#!/usr/bin/env bash
# Runs every Google Benchmark program of a build (default build/gcc, the `gcc`
# preset; build it first) with 3 repetitions, writes one JSON file per
# program, and prints the markdown table for benchmarks/README.md.
#
#   bash benchmarks/run.sh [build-dir] [extra benchmark flags, e.g. --benchmark_filter=checksum]
#
# Results go to <build-dir>/benchmark-results/ (<name>.json and table.md).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=build/gcc
if (($#)) && [[ $1 != -* ]]; then
    build=$1
    shift
fi
results=$build/benchmark-results

benches=()
# Written by benchmarks/CMakeLists.txt.
[[ -f $build/benchmarks/bench_targets.txt ]] && mapfile -t benches < <(grep . "$build/benchmarks/bench_targets.txt")
if ((${#benches[@]} == 0)); then
    echo "run.sh: no benchmark programs in $build; build them first:" >&2
    echo "  cmake --preset gcc && cmake --build --preset gcc" >&2
    exit 1
fi

rm -rf "$results"
mkdir -p "$results"
for bench in "${benches[@]}"; do
    name=${bench##*/}
    echo "== $name" >&2
    "$bench" --benchmark_out="$results/$name.json" --benchmark_out_format=json \
        --benchmark_repetitions=3 --benchmark_report_aggregates_only=true "$@" >&2
done

python3 benchmarks/table.py --build-dir "$build" "$results"/*.json | tee "$results/table.md"
echo "(also in $results/table.md)" >&2
