#!/bin/sh
# `rampart layers` with the embedded default (the seed's workload, local
# engine): the whole matrix, every step in its fresh process, timed with
# hyperfine.
#
# usage: bench/layers.sh [path/to/rampart]   (as root; `make bench` does it)
# Results: bench/results/layers.md and .json
set -eu
cd "$(dirname "$0")/.."
RAMPART=$(realpath "${1:-bin/rampart}")
RUNS=${RUNS:-30}
out=bench/results
mkdir -p "$out"
hyperfine --warmup 3 --runs "$RUNS" \
	--export-markdown "$out/layers.md" --export-json "$out/layers.json" \
	-n 'rampart layers (default matrix, local engine)' "$RAMPART layers -o json >/dev/null"
cat "$out/layers.md"
