# Sourced by the benches that read back the filter rampart loads:
#   start_filtered RAMPART "FLAGS"   runs `RAMPART run FLAGS -- sleep 30` in
#                                    the background and returns once the
#                                    kernel reports its filter (sets pid)
#   stop_filtered                    ends it (and clears pid)
# What the kernel holds is then read from /proc/$pid (benchprep filter).
start_filtered() {
	# shellcheck disable=SC2086
	"$1" run $2 -- sleep 30 &
	pid=$!
	for _ in $(seq 100); do
		grep -q '^Seccomp:[[:space:]]*2' /proc/$pid/status 2>/dev/null && grep -q sleep /proc/$pid/comm && return 0
		sleep 0.05
	done
	echo "bench: rampart run $2 never ran its workload under a filter" >&2
	return 1
}

stop_filtered() {
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
}
