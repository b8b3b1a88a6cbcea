#!/bin/sh
# Recording overhead of `rampart record` (the eBPF recorder), side by side
# in one hyperfine run per workload with the plain run and with
# `strace -f -c -o /dev/null` (counting only, the cheapest strace):
#
#   scan      Python (the system's /usr/bin/python3) walks a tree (SCAN_DIR,
#             default /usr/share): stat of every file, then open and a 4 KiB
#             read of each regular one -- an indexer, a linter, a backup
#             tool's first pass. Tens of thousands of distinct paths: every
#             one is a ring-buffer event.
#   statread  a C loop of open+read+close of /etc/hostname and stat of
#             /usr/bin/env (N iterations, 4 syscalls each, no user-space work
#             at all): the worst case, the per-syscall cost laid bare.
#   serve     `python3 -m http.server`'s handler answering REQUESTS requests
#             on loopback from a client that is not recorded: a service at
#             work.
#   startup   `true`: what rampart adds before and after any workload
#             (loading the BPF programs, writing the recording).
#
# Each workload also runs under `benchprep floor`: programs that do
# nothing attached to sys_enter and sys_exit, the price of the mechanism
# itself; rampart's own cost is its distance to that column.
#
# And, from BenchmarkSyscallCost (go test, same kernel, same run of this
# script), one syscall's price with nothing attached, with no-op programs
# on the syscall tracepoints (the floor of any recorder built on them),
# and with rampart's programs for other processes and for the recorded one.
#
# rampart writes only the recording (--policy=false): generating the policy
# from it is a separate step with its own cost.
#
# usage: bench/record.sh [path/to/rampart]   (as root; `make bench-record`)
# RUNS, N, REQUESTS, SCAN_DIR, PYTHON tune it; KEEP_WORK=1 keeps the
# scratch directory (the programs, the recordings) for a look afterwards.
# Results: bench/results/record.md
set -eu
cd "$(dirname "$0")/.."
RAMPART=$(realpath "${1:-bin/rampart}")
RUNS=${RUNS:-5}
N=${N:-100000}
REQUESTS=${REQUESTS:-2000}
SCAN_DIR=${SCAN_DIR:-/usr/share}
PYTHON=${PYTHON:-/usr/bin/python3}
out=bench/results
mkdir -p "$out"
work=$(mktemp -d /tmp/rampart-bench-record.XXXXXX)
[ -n "${KEEP_WORK:-}" ] || trap 'rm -rf "$work"' EXIT

go build -o "$work/benchprep" ./bench/benchprep

cat >"$work/statread.c" <<'EOF'
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	char buf[64];
	struct stat st;
	for (long i = 0; i < n; i++) {
		int fd = open("/etc/hostname", O_RDONLY);
		if (fd >= 0) {
			read(fd, buf, sizeof buf);
			close(fd);
		}
		stat("/usr/bin/env", &st);
	}
	return 0;
}
EOF
${CC:-cc} -O2 -o "$work/statread" "$work/statread.c"

cat >"$work/scan.py" <<'EOF'
import os, sys, time
t0 = time.perf_counter()
for root, dirs, files in os.walk(sys.argv[1]):
    for f in files:
        p = os.path.join(root, f)
        try:
            st = os.stat(p)
        except OSError:
            continue
        if st.st_size and os.path.isfile(p):
            try:
                with open(p, "rb") as fh:
                    fh.read(4096)
            except OSError:
                pass
if os.environ.get("SCAN_TIMING"):
    print("elapsed", time.perf_counter() - t0, file=sys.stderr)
EOF

have_strace=yes
# serve: the server binds a free port, says which in a file, handles
# exactly REQUESTS requests and exits; the client, started first by
# serve.sh and never recorded, waits for the file, sends them one
# connection each and checks every reply.
cat >"$work/serve.py" <<'EOF'
import http.server, os, sys, time
n, portfile, root = int(sys.argv[1]), sys.argv[2], sys.argv[3]
handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=root)
http.server.SimpleHTTPRequestHandler.log_message = lambda *a: None
srv = http.server.HTTPServer(("127.0.0.1", 0), handler)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
t0 = time.perf_counter()
for _ in range(n):
    srv.handle_request()
if os.environ.get("SCAN_TIMING"):
    print("elapsed", time.perf_counter() - t0, file=sys.stderr)
EOF
cat >"$work/client.py" <<'EOF'
import os, sys, time, urllib.request
n, portfile = int(sys.argv[1]), sys.argv[2]
for _ in range(3000):  # the server, however slowed, says its port here
    if os.path.exists(portfile):
        break
    time.sleep(0.01)
url = "http://127.0.0.1:%s/index.html" % open(portfile).read()
for i in range(n):
    body = urllib.request.urlopen(url, timeout=30).read()
    assert body == b"hello\n", body
EOF
mkdir -p "$work/www"
echo hello >"$work/www/index.html"
# serve.sh WRAPPER...: the client in the background, the server under
# WRAPPER (nothing, rampart record, strace) in the foreground.
cat >"$work/serve.sh" <<EOF
#!/bin/sh
portfile=\$(mktemp -u "$work/port.XXXXXX")
"$PYTHON" "$work/client.py" "$REQUESTS" "\$portfile" & client=\$!
"\$@" "$PYTHON" "$work/serve.py" "$REQUESTS" "\$portfile" "$work/www"
wait \$client
status=\$?
rm -f "\$portfile"
exit \$status
EOF
chmod +x "$work/serve.sh"

command -v strace >/dev/null || have_strace=no

# How many calls a workload makes, and what the recorder reported, from a
# recording of it.
calls() {
	"$PYTHON" -c 'import json, sys
r = json.load(open(sys.argv[1]))
print(sum(sum(m.values()) for m in r["syscalls"].values()), len(r["files"]), len(r["limits"]), r["recorder"])' "$1"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
{
	echo "# rampart record: recording overhead"
	echo
	echo "Generated by \`bench/record.sh\` on $(date -u +%Y-%m-%d) ($(nproc) CPUs, kernel $(uname -r)); hyperfine, $RUNS runs after a warm-up, all commands of a workload in one run."
	echo
} >"$work/report.md"

bench() { # name, description, command...
	name=$1 desc=$2
	shift 2
	"$RAMPART" record --policy=false --recorder ebpf --out "$work/rec-$name" -- "$@" >/dev/null 2>"$work/rec-$name.log"
	set -- "$@"
	cmd=$*
	if [ "$have_strace" = yes ]; then
		hyperfine -N --warmup 1 --runs "$RUNS" --export-markdown "$work/$name.md" --export-json "$work/$name.json" \
			-n plain "$cmd" \
			-n "floor (no-op programs)" "$work/benchprep floor -- $cmd" \
			-n "rampart record (ebpf)" "$RAMPART record --policy=false --recorder ebpf --out $work/rec-$name -- $cmd" \
			-n "strace -f -c" "strace -f -c -o /dev/null $cmd" >&2
	else
		hyperfine -N --warmup 1 --runs "$RUNS" --export-markdown "$work/$name.md" --export-json "$work/$name.json" \
			-n plain "$cmd" \
			-n "floor (no-op programs)" "$work/benchprep floor -- $cmd" \
			-n "rampart record (ebpf)" "$RAMPART record --policy=false --recorder ebpf --out $work/rec-$name -- $cmd" >&2
	fi
	set -- $(calls "$work/rec-$name/recording.json")
	{
		echo "## $name"
		echo
		echo "$desc"
		echo
		echo "\`$cmd\` — the recording: $1 syscalls, $2 file paths, $3 limit(s), recorder $4."
		echo
		cat "$work/$name.md"
		echo
	} >>"$work/report.md"
}

bench scan "Python walks $SCAN_DIR: stat every file, open and read 4 KiB of each regular one." "$PYTHON" "$work/scan.py" "$SCAN_DIR"
# A workload's own clock, plain and recorded: the slowdown of the
# workload itself, without rampart's fixed start-up and its work after
# CMD exits (reading the maps, generalising and writing the paths).
# inner WHAT PLAIN-COMMAND FLOOR-COMMAND RECORDED-COMMAND (each prints
# "elapsed S").
inner() {
	what=$1 plain=$2 floor=$3 recorded=$4
	for _ in $(seq "$RUNS"); do
		SCAN_TIMING=1 sh -c "$plain" 2>&1 | sed -n 's/^elapsed/plain/p'
		SCAN_TIMING=1 sh -c "$floor" 2>&1 | sed -n 's/^elapsed/floor/p'
		SCAN_TIMING=1 sh -c "$recorded" 2>&1 | sed -n 's/^elapsed/recorded/p'
	done | "$PYTHON" -c 'import sys, statistics
t = {}
for line in sys.stdin:
    k, v = line.split()
    t.setdefault(k, []).append(float(v))
p, f, r = (statistics.median(t[k]) for k in ("plain", "floor", "recorded"))
print("%s timed by itself (median of %d): %.3f s plain, %.3f s under no-op programs (%.2f×), %.3f s recorded: **%.2f×** (%.2f× the floor)." % (sys.argv[1], len(t["plain"]), p, f, f / p, r, r / p, r / f))' "$what"
	echo
}
inner "The scan" "$PYTHON $work/scan.py $SCAN_DIR" "$work/benchprep floor -- $PYTHON $work/scan.py $SCAN_DIR" "$RAMPART record --policy=false --recorder ebpf --out $work/rec-inner -- $PYTHON $work/scan.py $SCAN_DIR" >>"$work/report.md"

# serve: the wrapper is what runs the server, so each column wraps it.
serve() {
	"$work/serve.sh" "$RAMPART" record --policy=false --recorder ebpf --out "$work/rec-serve" -- >/dev/null 2>"$work/rec-serve.log"
	if [ "$have_strace" = yes ]; then
		set -- -n "strace -f -c" "$work/serve.sh strace -f -c -o /dev/null"
	else
		set --
	fi
	hyperfine -N --warmup 1 --runs "$RUNS" --export-markdown "$work/serve.md" --export-json "$work/serve.json" \
		-n plain "$work/serve.sh" \
		-n "floor (no-op programs)" "$work/serve.sh $work/benchprep floor --" \
		-n "rampart record (ebpf)" "$work/serve.sh $RAMPART record --policy=false --recorder ebpf --out $work/rec-serve --" "$@" >&2
	set -- $(calls "$work/rec-serve/recording.json")
	{
		echo "## serve"
		echo
		echo "\`python3 -m http.server\`'s handler (SimpleHTTPRequestHandler under HTTPServer) answering $REQUESTS requests for a small file on loopback, one connection each, from a client that is not recorded; the time is the client's and the server's together, the same work in every column."
		echo
		echo "The recording: $1 syscalls, $2 file paths, $3 limit(s), recorder $4."
		echo
		cat "$work/serve.md"
		echo
	} >>"$work/report.md"
	inner "The server's request loop" "$work/serve.sh" "$work/serve.sh $work/benchprep floor --" "$work/serve.sh $RAMPART record --policy=false --recorder ebpf --out $work/rec-inner --" >>"$work/report.md"
}
serve

bench statread "C loop, $N × (open+read+close of /etc/hostname, stat of /usr/bin/env): nothing but syscalls." "$work/statread" "$N"
bench startup "\`true\`: rampart's fixed cost (load and attach the BPF programs, write the recording)." /bin/true

# The price of one syscall, from the Go benchmark: see the header.
{
	echo "## One syscall"
	echo
	echo "\`go test -tags seccomp ./record -bench SyscallCost\`: ns per loop iteration in the benchmark's own process, 1,000,000 iterations each."
	echo
	echo "| loop | plain | floor (no-op programs) | rampart, other process | rampart, recorded |"
	echo "|:---|---:|---:|---:|---:|"
	go test -tags seccomp ./record -run '^$' -bench SyscallCost -benchtime 1000000x 2>/dev/null | "$PYTHON" -c 'import re, sys
t = {}
for line in sys.stdin:
    m = re.match(r"BenchmarkSyscallCost/([^/]+)/(\w+)-\d+\s+\d+\s+([\d.]+) ns/op", line)
    if m:
        t.setdefault(m[1], {})[m[2]] = float(m[3])
for loop, v in t.items():
    p = v["plain"]
    print("| %s | %.0f | %.0f (%.2f×) | %.0f (%.2f×) | %.0f (%.2f×) |" % (loop, p, v["floor"], v["floor"] / p, v["other"], v["other"] / p, v["recorded"], v["recorded"] / p))'
	echo
} >>"$work/report.md"

# Where the time goes: rampart's fixed cost (the startup row) taken out,
# what is left is the workload's slowdown plus rampart's work after it
# (reading the maps, generalising and writing the paths), per syscall.
"$PYTHON" - "$work" >>"$work/report.md" <<'EOF'
import json, sys
w = sys.argv[1]
def means(name):
    return {r["command"]: r["mean"] for r in json.load(open(f"{w}/{name}.json"))["results"]}
fixed = means("startup")["rampart record (ebpf)"] - means("startup")["plain"]
# benchprep floor has a fixed cost of its own (load, attach, detach).
ffixed = means("startup")["floor (no-op programs)"] - means("startup")["plain"]
print("## Reading\n")
print(f"- rampart's fixed cost (startup row, record minus plain): {fixed * 1000:.0f} ms; benchprep floor's: {ffixed * 1000:.0f} ms.")
for name in ("scan", "serve", "statread"):
    m = means(name)
    rec = json.load(open(f"{w}/rec-{name}/recording.json"))
    calls = sum(sum(v.values()) for v in rec["syscalls"].values())
    plain, rec_t, floor = m["plain"], m["rampart record (ebpf)"], m["floor (no-op programs)"]
    paths = len(rec["files"])
    print(f"- {name}: {rec_t / plain:.2f}× as recorded; {(rec_t - fixed) / plain:.2f}× without the fixed cost, "
          f"that is {(rec_t - fixed - plain) / calls * 1e9:.0f} ns per syscall of the workload ({calls} syscalls; "
          f"with rampart's work on its {paths} paths after it exited). The floor alone (no-op programs, "
          f"without benchprep's own {ffixed * 1000:.0f} ms): {(floor - ffixed) / plain:.2f}×; rampart without "
          f"its fixed cost is {(rec_t - fixed) / (floor - ffixed):.2f}× the floor.")
print()
EOF

{
	[ "$have_strace" = yes ] || echo "strace is not installed here: its column is missing."
	echo "Load average (1, 5, 15 min) before: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg). Other processes on the machine share the CPUs and, while recording, pass through the programs' first check (one bitmap test per syscall)."
} >>"$work/report.md"

cp "$work/report.md" "$out/record.md"
cat "$out/record.md"
