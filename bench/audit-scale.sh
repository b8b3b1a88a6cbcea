#!/bin/sh
# How `rampart audit` scales with the number of objects, and its
# throughput per CPU-second beside kube-score's, on the shared corpus
# (../shared/corpus/manifests beside the repository, or
# /work/shared/corpus/manifests), flattened by `benchprep flatten` as in
# bench/audit.sh:
#   - side by side in one hyperfine run at 1x: rampart -o json, rampart
#     --summary, and kube-score (go install
#     github.com/zegl/kube-score/cmd/kube-score@latest) on the files
#     kube-score parses (it aborts a whole run on one malformed document);
#   - the scaling table: N copies of the corpus (SCALES, default "1 10 50"),
#     as many files (N copies of the directory) and as one multi-document
#     stream on standard input, each audited RUNS times with -o json:
#     wall, CPU (user+sys) and peak RSS (/usr/bin/time), objects per second;
#   - peak RSS of every output format at the largest scale, on the stream.
# Memory must not grow with N (documents are decoded, audited, written
# out and forgotten one at a time); time should grow linearly.
#
# usage: bench/audit-scale.sh [path/to/rampart]
# Results: bench/results/audit-scale.md
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
RUNS=${RUNS:-3}
SCALES=${SCALES:-1 10 50}
GOBIN=${GOBIN:-$root/bin/bench-peers}
export GOBIN
CORPUS=${CORPUS:-}
for d in ../shared/corpus/manifests /work/shared/corpus/manifests; do
	[ -n "$CORPUS" ] || { [ -d "$d" ] && CORPUS=$(realpath "$d"); } || true
done
[ -n "$CORPUS" ] || { echo "audit-scale.sh: no corpus" >&2; exit 1; }
out=bench/results
mkdir -p "$out" "$GOBIN"
work=$(mktemp -d /tmp/rampart-bench-scale.XXXXXX)
trap 'rm -rf "$work"' EXIT
if [ $# -gt 0 ]; then
	RAMPART=$(realpath "$1")
else
	go build -tags seccomp -o "$work/rampart" ./cmd/rampart
	RAMPART=$work/rampart
fi
KS=$GOBIN/kube-score
[ -x "$KS" ] || timeout 600 go install github.com/zegl/kube-score/cmd/kube-score@latest || true
load() { cut -d' ' -f1-3 /proc/loadavg; }

# --- inputs ----------------------------------------------------------------
go build -o "$work/benchprep" ./bench/benchprep
"$work/benchprep" flatten "$CORPUS" "$work/flat" >/dev/null 2>"$work/flatten.txt"
# One stream of the corpus, a document separator before each file.
for f in "$work"/flat/*.yaml; do printf -- '---\n'; cat "$f"; printf '\n'; done >"$work/corpus.yaml"
objects1=$("$RAMPART" audit --summary -o json "$work/flat" 2>/dev/null | jq .summary.objects) || true
note_corpus="$(ls "$work/flat" | wc -l) files, $objects1 objects (rampart's count); $(sed 's/^benchprep flatten: //' "$work/flatten.txt")"

# --- 1x beside kube-score --------------------------------------------------
K=$work/ks
mkdir "$K"
if [ -x "$KS" ]; then
	for f in "$work"/flat/*.yaml; do
		# kube-score exits 1 for a critical finding; a file it cannot parse
		# is one it says so of on standard error.
		"$KS" score -o json "$f" >/dev/null 2>"$work/e.txt" || true
		[ -s "$work/e.txt" ] || cp "$f" "$K/"
	done
fi
find "$K" -type f | sort >"$work/ks-files.txt"
objectsK=$("$RAMPART" audit --summary -o json "$K" 2>/dev/null | jq .summary.objects) || true
load_before=$(load)
set -- "$RAMPART audit -o json $K"
set -- "$@" "$RAMPART audit --summary -o json $K"
[ -s "$work/ks-files.txt" ] && set -- "$@" "xargs -d '\\n' -a $work/ks-files.txt $KS score --enable-optional-test container-seccomp-profile -o json"
hyperfine -w 1 -r "$((RUNS * 3))" -i --export-json "$work/hf.json" "$@" >&2
load_hf=$(load)

# --- the scaling table -----------------------------------------------------
measure() { # label, command...; appends "label wall cpu rss objects" RUNS times
	label=$1
	shift
	for _ in $(seq "$RUNS"); do
		/usr/bin/time -f '%e %U %S %M' -o "$work/t" "$@" >"$work/o.json" 2>/dev/null || true
		objs=$(jq .summary.objects "$work/o.json" 2>/dev/null || echo 0)
		# the last line: time writes "Command exited with non-zero status"
		# before it when the audit fails
		read -r wall user sys rss <<-EOF
			$(tail -n 1 "$work/t")
		EOF
		echo "$label $wall $(echo "$user + $sys" | bc) $rss $objs" >>"$work/scale.txt"
	done
}
: >"$work/scale.txt"
for n in $SCALES; do
	mkdir "$work/files$n"
	for i in $(seq "$n"); do cp -r "$work/flat" "$work/files$n/c$i"; done
	for i in $(seq "$n"); do cat "$work/corpus.yaml"; done >"$work/stream$n.yaml"
	measure "${n}x-files" "$RAMPART" audit -o json "$work/files$n"
	measure "${n}x-stream" sh -c "exec \"$RAMPART\" audit -o json - <\"$work/stream$n.yaml\""
	rm -rf "$work/files$n"
	[ -z "${last:-}" ] || rm -f "$work/stream$last.yaml"
	last=$n
done
: >"$work/formats.txt"
for fmt in table json sarif junit "json --summary"; do
	/usr/bin/time -f '%e %U %S %M' -o "$work/t" sh -c "exec \"$RAMPART\" audit -o $fmt - <\"$work/stream$last.yaml\" >/dev/null 2>&1" || true
	read -r wall user sys rss <<-EOF
		$(tail -n 1 "$work/t")
	EOF
	echo "$fmt|$wall|$(echo "$user + $sys" | bc)|$rss" >>"$work/formats.txt"
done
load_after=$(load)

# --- report ----------------------------------------------------------------
{
	echo "# rampart audit at scale, and beside kube-score"
	echo
	echo "Generated by \`bench/audit-scale.sh\` on $(date -u +%Y-%m-%d) ($(nproc) CPUs, $(uname -r)); RUNS=$RUNS."
	echo
	echo "- corpus: $note_corpus"
	echo "- load average (1, 5, 15 min) on $(nproc) CPUs: $load_before before the hyperfine run, $load_hf after it, $load_after at the end; a load well above 1 means other processes competed with the runs, which inflates wall and CPU time alike"
	echo
	echo "## Beside kube-score (1x, one hyperfine run)"
	echo
	echo "kube-score gets the $(wc -l <"$work/ks-files.txt") files it parses, $objectsK objects (rampart's count); rampart the same directory."
	echo
	echo "| command | wall mean (s) | ± (s) | user+sys (s) | objects/s (wall) | objects/s (CPU) |"
	echo "|---|---:|---:|---:|---:|---:|"
	jq -r --argjson o "$objectsK" '.results[] | (.user+.system) as $cpu | "| `\(.command)` | \(.mean*1000|round/1000) | \((.stddev // 0)*1000|round/1000) | \($cpu*1000|round/1000) | \($o/.mean|round) | \($o/$cpu|round) |"' "$work/hf.json" |
		sed "s#$work/ks-files.txt#\$F#g; s#$K#\$C#g; s#$KS#kube-score#g; s#$RAMPART#rampart#g"
	echo
	echo "## Scaling (-o json; N copies of the corpus as N directories, or as one stream on standard input)"
	echo
	echo "| input | objects | wall mean (s) | user+sys mean (s) | peak RSS max (MB) | objects/s (wall) | objects/s (CPU) |"
	echo "|---|---:|---:|---:|---:|---:|---:|"
	awk '{n[$1]++; w[$1]+=$2; c[$1]+=$3; if ($4>r[$1]) r[$1]=$4; o[$1]=$5; if (!($1 in seen)) {seen[$1]=1; order[++k]=$1}}
		END {for (i=1;i<=k;i++) {l=order[i]; printf "| %s | %d | %.2f | %.2f | %.0f | %.0f | %.0f |\n", l, o[l], w[l]/n[l], c[l]/n[l], r[l]/1024, o[l]/(w[l]/n[l]), o[l]/(c[l]/n[l])}}' "$work/scale.txt"
	echo
	echo "## Peak RSS per format (${last}x, one stream on standard input, one run each)"
	echo
	echo "| -o | wall (s) | user+sys (s) | peak RSS (MB) |"
	echo "|---|---:|---:|---:|"
	awk -F'|' '{printf "| %s | %s | %s | %.0f |\n", $1, $2, $3, $4/1024}' "$work/formats.txt"
	echo
	echo "What each format holds while it writes: counts (files, objects, containers, open paths by catalog path, Pod Security levels; per namespace with --summary) and the unreadable documents' messages. json writes its head at the start and its errors and summary after the workloads; sarif its rules (the catalog's and the Pod Security checks', fixed) before the results; junit spools its suites to a temporary file, since its root element carries the totals; table writes each workload as it comes."
} >"$out/audit-scale.md"
cat "$out/audit-scale.md"
