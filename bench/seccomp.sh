#!/bin/sh
# Per-syscall cost of seccomp filters: tight loops of getppid,
# socket(AF_INET, SOCK_DGRAM)+close, clone+wait4, and socket(0xffff), which
# is refused at once (the filter's argument checks with almost nothing
# behind them) (bench/syscallcost), under no filter and three programs for the same profile:
#   rampart  the program rampart loads, read back from a live
#            `rampart run --seccomp runtime-default` (RuntimeDefault
#            resolved for its bounding set)
#   runc     the filter Debian's runc loads for that profile, read back
#            from a live container
#   linear   libseccomp's linear form of it (no binary tree, no ENOSYS stub)
# One helper binary, pinned to one CPU, loads each program with seccomp(2)
# before its loops; the filters take turns, ROUNDS times, each run printing
# REPS repetitions; the report gives the median. Next to the times: each
# program's length and path lengths (worst case, mean) in BPF instructions
# over bpf.Samples().
#
# Two profiles: rampart's bounding set as is (root: CAP_SYS_ADMIN, so clone
# is allowed outright), and with --cap-drop SYS_ADMIN, as a Kubernetes
# container gets it (clone's flags are checked).
#
# usage: bench/seccomp.sh [path/to/rampart]   (as root; `make bench` does it)
# Results: bench/results/seccomp.md
set -eu
cd "$(dirname "$0")/.."
RAMPART=$(realpath "${1:-bin/rampart}")
ROUNDS=${ROUNDS:-5}
REPS=${REPS:-3}
SCALE=${SCALE:-1}
CPU=${CPU:-$(($(nproc) - 1))}
out=bench/results
mkdir -p "$out"
work=$(mktemp -d /tmp/rampart-bench-seccomp.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT

. bench/filtered.sh
CGO_ENABLED=1 go build -tags seccomp -o "$work/benchprep" ./bench/benchprep
${CC:-cc} -O2 -Wall -o "$work/syscallcost" bench/syscallcost/syscallcost.c

n=0
for flags in "" "--cap-drop SYS_ADMIN"; do
	n=$((n + 1))
	dir="$work/$n"
	mkdir "$dir"
	echo "--seccomp runtime-default $flags" >"$dir/flags"

	# The program rampart loads, read back from a live workload; the peers
	# for the profile it was compiled from.
	start_filtered "$RAMPART" "--seccomp runtime-default $flags"
	"$work/benchprep" filter "$pid" "$dir/rampart.bpf"
	"$work/benchprep" seccomp-peers "$pid" "$dir"
	stop_filtered

	for round in $(seq "$ROUNDS"); do
		for f in none rampart runc linear; do
			prog=none
			[ "$f" = none ] || prog="$dir/$f.bpf"
			taskset -c "$CPU" "$work/syscallcost" -r "$REPS" -s "$SCALE" "$prog" >"$dir/run.txt"
			sed "s/^/$f /" "$dir/run.txt" >>"$dir/times.txt"
		done
		echo "seccomp.sh: profile $n, round $round/$ROUNDS" >&2
	done
done

"$work/benchprep" seccomp-report "$work"/1 "$work"/2 >"$out/seccomp.md"
cat "$out/seccomp.md"
