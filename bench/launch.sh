#!/bin/sh
# Launch overhead of `rampart run` with all three layers, side by side in
# one hyperfine run with: a plain exec of the same binary, bwrap with an
# equivalent setup (same capability drop, the very seccomp filter rampart
# loads read back from the kernel, /etc/shadow hidden), and `runc run` of a
# busybox container with the same capabilities and RuntimeDefault. Each
# layer alone is measured against bwrap's equivalent too: the capability
# drop, the seccomp filter (rampart's, read back from a launch with only
# that layer: RuntimeDefault depends on the bounding set), and
# /etc/shadow denied (rampart: Landlock; bwrap: /dev/null bound over it).
# rampart-run, the same launch in a program that links the launch path
# alone (built beside rampart by `make build`), is measured beside each.
#
# usage: bench/launch.sh [path/to/rampart]   (as root; `make bench` does it)
# Results: bench/results/launch.md and .json
set -eu
cd "$(dirname "$0")/.."
RAMPART=$(realpath "${1:-bin/rampart}")
RUN="$(dirname "$RAMPART")/rampart-run"
[ -x "$RUN" ] || { echo "bench/launch.sh: no $RUN (make build builds it beside rampart)" >&2; exit 1; }
RUNS=${RUNS:-300}
out=bench/results
mkdir -p "$out"
work=$(mktemp -d /tmp/rampart-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

CGO_ENABLED=1 go build -tags seccomp -o "$work/benchprep" ./bench/benchprep
# The floor of any Go launcher here: a static Go program that only exits.
mkdir -p "$work/emptygo"
printf 'package main\n\nfunc main() {}\n' > "$work/emptygo/main.go"
(cd "$work/emptygo" && printf 'module emptygo\n\ngo 1.22\n' > go.mod && CGO_ENABLED=0 go build -ldflags '-s -w' -o "$work/empty-go" .)
layers="--cap-drop NET_RAW,SYS_ADMIN --seccomp runtime-default --deny-read /etc/shadow"

# The filter rampart loads with $1, read back from a live workload into $2.
filter_of() {
	"$RAMPART" run $1 -- sleep 30 &
	pid=$!
	for _ in $(seq 100); do
		grep -q '^Seccomp:[[:space:]]*2' /proc/$pid/status 2>/dev/null && grep -q sleep /proc/$pid/comm && break
		sleep 0.05
	done
	"$work/benchprep" filter "$pid" "$2"
	kill "$pid"; wait "$pid" 2>/dev/null || true
}
filter_of "$layers" "$work/filter.bpf"
filter_of "--seccomp runtime-default" "$work/filter-alone.bpf"

# A busybox bundle for runc.
mkdir -p "$work/bundle/rootfs/bin"
cp /bin/busybox "$work/bundle/rootfs/bin/busybox"
for a in sh true; do ln -s busybox "$work/bundle/rootfs/bin/$a"; done
(cd "$work/bundle" && runc spec)
"$work/benchprep" runc "$work/bundle"

# Commands run through sh (bwrap needs a redirect for its filter fd);
# hyperfine subtracts the shell's own start-up.
hyperfine --warmup 20 --runs "$RUNS" \
	--export-markdown "$out/launch.md" --export-json "$out/launch.json" \
	-n 'plain exec' "/bin/true" \
	-n 'empty Go program' "$work/empty-go" \
	-n 'rampart run (caps+seccomp+landlock)' "$RAMPART run $layers -- /bin/true" \
	-n 'rampart-run (caps+seccomp+landlock)' "$RUN $layers -- /bin/true" \
	-n 'bwrap (caps+seccomp+bind)' "bwrap --dev-bind / / --ro-bind /dev/null /etc/shadow --cap-drop CAP_NET_RAW --cap-drop CAP_SYS_ADMIN --seccomp 9 /bin/true 9<$work/filter.bpf" \
	-n 'runc run (busybox)' "runc run --bundle $work/bundle rampart-bench-$$" \
	-n 'rampart run (caps)' "$RAMPART run --cap-drop NET_RAW,SYS_ADMIN -- /bin/true" \
	-n 'rampart-run (caps)' "$RUN --cap-drop NET_RAW,SYS_ADMIN -- /bin/true" \
	-n 'bwrap (caps)' "bwrap --dev-bind / / --cap-drop CAP_NET_RAW --cap-drop CAP_SYS_ADMIN /bin/true" \
	-n 'rampart run (seccomp)' "$RAMPART run --seccomp runtime-default -- /bin/true" \
	-n 'rampart-run (seccomp)' "$RUN --seccomp runtime-default -- /bin/true" \
	-n 'bwrap (seccomp)' "bwrap --dev-bind / / --seccomp 9 /bin/true 9<$work/filter-alone.bpf" \
	-n 'rampart run (deny-read: landlock)' "$RAMPART run --deny-read /etc/shadow -- /bin/true" \
	-n 'rampart-run (deny-read: landlock)' "$RUN --deny-read /etc/shadow -- /bin/true" \
	-n 'bwrap (deny-read: bind)' "bwrap --dev-bind / / --ro-bind /dev/null /etc/shadow /bin/true"
cat "$out/launch.md"
