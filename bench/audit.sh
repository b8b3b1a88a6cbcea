#!/bin/sh
# Audit throughput and findings of `rampart audit` against peers on the
# shared corpus of real manifests (../shared/corpus/manifests beside the
# repository, or /work/shared/corpus/manifests):
#   kube-score     go install github.com/zegl/kube-score/cmd/kube-score@latest
#   kyverno        the kubectl-kyverno CLI with one ClusterPolicy of two
#                  validate.podSecurity rules (baseline, restricted; latest),
#                  the built-in Pod Security subrule: no policy download.
#                  `go install ...@latest` refuses the module (its go.mod has
#                  a replace directive), so the module is fetched with
#                  `go mod download` and built inside it.
#   trivy          trivy config, offline (--skip-check-update, the checks
#                  embedded in the binary); built with GOEXPERIMENT=jsonv2,
#                  which its json package requires.
# PEERS (default "kube-score kubectl-kyverno trivy") picks the peers.
# Peers are built into a bench-local GOBIN (bin/bench-peers, ignored by git),
# each `go install` under a time limit (BUILD_TIMEOUT, default 600s); a peer
# that cannot be built or run is recorded in the report with the reason.
#
# The corpus: the files every tool can parse (kube-score aborts a whole run
# on one malformed document, so files it refuses are left out), copied into
# one directory. Throughput: hyperfine, RUNS runs each, objects per second,
# objects being what rampart counts (objects with a pod template).
# Findings, per container (kind/name/container): privileged, no seccomp
# profile (unset or Unconfined), capabilities not dropped (no drop ALL),
# capabilities added beyond the default set, NET_RAW kept, AppArmor
# unconfined.
#
# usage: bench/audit.sh [path/to/rampart]   (`make bench` does not run it yet)
# Results: bench/results/audit.md
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
RUNS=${RUNS:-5}
BUILD_TIMEOUT=${BUILD_TIMEOUT:-600}
GOBIN=${GOBIN:-$root/bin/bench-peers}
export GOBIN
CORPUS=${CORPUS:-}
for d in ../shared/corpus/manifests /work/shared/corpus/manifests; do
	[ -n "$CORPUS" ] || { [ -d "$d" ] && CORPUS=$(realpath "$d"); } || true
done
[ -n "$CORPUS" ] || { echo "audit.sh: no corpus" >&2; exit 1; }
out=bench/results
mkdir -p "$out" "$GOBIN"
work=$(mktemp -d /tmp/rampart-bench-audit.XXXXXX)
trap 'rm -rf "$work"' EXIT
notes=$work/notes.md
: >"$notes"
note() { echo "- $*" >>"$notes"; echo "audit.sh: $*" >&2; }

if [ $# -gt 0 ]; then
	RAMPART=$(realpath "$1")
else
	go build -o "$work/rampart" ./cmd/rampart
	RAMPART=$work/rampart
fi

# --- peers -----------------------------------------------------------------
PEERS=${PEERS:-kube-score kubectl-kyverno trivy}
build() { # name, shell command
	if [ -x "$GOBIN/$1" ]; then return 0; fi
	case " $PEERS " in *" $1 "*) ;; *) note "$1: not attempted (not in PEERS=$PEERS)"; return 1 ;; esac
	echo "audit.sh: building $1" >&2
	if timeout "$BUILD_TIMEOUT" sh -c "$2" >"$work/$1.log" 2>&1; then return 0; fi
	note "$1: build failed or timed out (${BUILD_TIMEOUT}s): \`$2\`: $(grep -v '^go: downloading' "$work/$1.log" | tail -n 3 | tr '\n' ' ')"
	return 1
}
have_ks=false have_ky=false have_tr=false
build kube-score 'go install github.com/zegl/kube-score/cmd/kube-score@latest' && have_ks=true
build kubectl-kyverno 'dir=$(go mod download -json github.com/kyverno/kyverno@latest | jq -r .Dir) && cd "$dir" && go build -o "$GOBIN/kubectl-kyverno" ./cmd/cli/kubectl-kyverno' && have_ky=true
build trivy 'GOEXPERIMENT=jsonv2 go install github.com/aquasecurity/trivy/cmd/trivy@latest' && have_tr=true
KS=$GOBIN/kube-score KY=$GOBIN/kubectl-kyverno TR=$GOBIN/trivy

# --- corpus ----------------------------------------------------------------
find "$CORPUS" -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) | sort >"$work/all.txt"
mkdir "$work/corpus"
skipped=0
while read -r f; do
	if $have_ks; then
		"$KS" score -o json "$f" >/dev/null 2>"$work/e.txt" || true
		if [ -s "$work/e.txt" ]; then skipped=$((skipped + 1)); continue; fi
	fi
	rel=${f#"$CORPUS"/}
	mkdir -p "$work/corpus/$(dirname "$rel")"
	cp "$f" "$work/corpus/$rel"
done <"$work/all.txt"
C=$work/corpus
find "$C" -type f | sort >"$work/files.txt"
"$RAMPART" audit -o json "$C" >"$work/rampart.json" 2>/dev/null || true
objects=$(jq .summary.objects "$work/rampart.json")
containers=$(jq .summary.containers "$work/rampart.json")
nfiles=$(wc -l <"$work/files.txt")
note "corpus: $nfiles of $(wc -l <"$work/all.txt") files ($skipped refused by kube-score's parser), $objects objects, $containers containers (rampart's count)"

# --- commands --------------------------------------------------------------
cat >"$work/kyverno-pss.yaml" <<'Y'
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: pod-security
spec:
  background: true
  validationFailureAction: Audit
  rules:
  - name: baseline
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate: {podSecurity: {level: baseline, version: latest}}
  - name: restricted
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate: {podSecurity: {level: restricted, version: latest}}
Y
cmd_rampart="$RAMPART audit -o json $C >/dev/null 2>&1 || true"
cmd_ks="xargs -d '\n' -a $work/files.txt $KS score --enable-optional-test container-seccomp-profile -o json >/dev/null 2>&1 || true"
cmd_ky="$KY apply $work/kyverno-pss.yaml --resource $C --policy-report -o $work/ky-out >/dev/null 2>&1 || true"
cmd_tr="$TR config --skip-check-update --cache-dir $work/trivy-cache -f json -q $C >/dev/null 2>&1 || true"

# Does each peer run offline? (An empty or failed output says no.)
if $have_ky; then
	"$KY" apply "$work/kyverno-pss.yaml" --resource "$C" --policy-report >"$work/kyverno.yaml" 2>"$work/ky.err" || true
	[ -s "$work/kyverno.yaml" ] || { note "kyverno: no output: $(tail -n 3 "$work/ky.err" | tr '\n' ' ')"; have_ky=false; }
fi
if $have_tr; then
	"$TR" config --skip-check-update --cache-dir "$work/trivy-cache" -f json -q "$C" >"$work/trivy.json" 2>"$work/tr.err" || true
	jq -e '.Results' "$work/trivy.json" >/dev/null 2>&1 || { note "trivy: no results offline: $(tail -n 3 "$work/tr.err" | tr '\n' ' ')"; have_tr=false; }
fi

set -- -n rampart "$cmd_rampart"
$have_ks && set -- "$@" -n kube-score "$cmd_ks"
$have_ky && set -- "$@" -n kyverno "$cmd_ky"
$have_tr && set -- "$@" -n trivy "$cmd_tr"
hyperfine --warmup 1 --runs "$RUNS" --export-json "$work/hf.json" "$@" >&2

# --- findings, per container: kind/name/container ---------------------------
F=$work/find
mkdir "$F"
jq -r '.workloads[] as $w | $w.containers[] | (($w.kind|ascii_downcase)+"/"+$w.name+"/"+.name) as $k |
	([.podSecurity.failures[].check] ) as $f |
	(if .privileged then "privileged " + $k else empty end),
	(if ($f|index("seccompProfile_restricted")) then "seccomp " + $k else empty end),
	(if ($f|index("capabilities_restricted")) then "caps-not-dropped " + $k else empty end),
	(if ($f|index("capabilities_baseline")) then "caps-added " + $k else empty end),
	(if (.capabilities.bounding|index("NET_RAW")) then "net-raw " + $k else empty end),
	(if ($f|index("appArmorProfile")) then "apparmor " + $k else empty end)' "$work/rampart.json" >"$F/rampart"
if $have_ks; then
	xargs -d '\n' -a "$work/files.txt" "$KS" score --enable-optional-test container-seccomp-profile -o json >"$work/ks.json" 2>/dev/null || true
	jq -r '.[] | (.type_meta.kind|ascii_downcase) as $kind | (.object_name|split("/")|last) as $n | .checks[] |
		select(.grade < 10 and .skipped != true) |
		(if .check.id=="container-security-context-privileged" then "privileged"
		 elif .check.id=="container-seccomp-profile" then "seccomp" else empty end) as $cat |
		.comments[]? | "\($cat) \($kind)/\($n)/\(.path)"' "$work/ks.json" >"$F/kube-score"
fi
if $have_ky; then
	# PolicyReport results name the resource; the message names the failing
	# checks and containers ("... container \"x\" must ...").
	yq -o json '.' "$work/kyverno.yaml" | jq -r --slurp '.[] | select(.kind|test("PolicyReport")) | .results[]? |
		select(.result=="fail") | .resources[0] as $r | .message as $m |
		($m | [scan("container[s]? ([^ ]+) must")] | map(.[0]|gsub("[\"]";"")|split(",")[]) | unique) as $cs |
		(if ($m|test("privileged")) then "privileged" else empty end,
		 if ($m|test("seccompProfile")) then "seccomp" else empty end,
		 if ($m|test("capabilities.drop")) then "caps-not-dropped" else empty end,
		 if ($m|test("non-default capabilities|capabilities.add")) then "caps-added" else empty end,
		 if ($m|test("AppArmor|appArmor")) then "apparmor" else empty end) as $cat |
		$cs[] | "\($cat) \($r.kind|ascii_downcase)/\($r.name)/\(.)"' | sort -u >"$F/kyverno" || true
fi
if $have_tr; then
	jq -r '.Results[]? | .Misconfigurations[]? | select(.Status=="FAIL") |
		({"KSV017":"privileged","KSV104":"seccomp","KSV030":"seccomp","KSV003":"caps-not-dropped",
		  "KSV022":"caps-added","KSV002":"apparmor"}[.ID] // empty) as $cat |
		(.Message | capture("[Cc]ontainer .(?<c>[^ ]+). of (?<k>[^ ]+) .(?<n>[^ ]+).")?) as $m |
		select($m != null) | "\($cat) \($m.k|ascii_downcase)/\($m.n)/\($m.c)"' "$work/trivy.json" | sort -u >"$F/trivy" || true
fi

# --- report ----------------------------------------------------------------
{
	echo "# rampart audit vs peers on the shared corpus"
	echo
	echo "Generated by \`bench/audit.sh\` on $(date -u +%Y-%m-%d) ($(nproc) CPUs, $(uname -r)); RUNS=$RUNS."
	echo
	cat "$notes"
	echo
	echo "## Throughput"
	echo
	echo "| tool | wall mean (s) | ± (s) | user+sys (s) | objects/s (wall) | objects/s (CPU) |"
	echo "|---|---:|---:|---:|---:|---:|"
	jq -r --argjson o "$objects" '.results[] | (.user+.system) as $cpu | "| \(.command) | \(.mean*1000|round/1000) | \(.stddev*1000|round/1000) | \($cpu*1000|round/1000) | \($o/.mean|round) | \($o/$cpu|round) |"' "$work/hf.json"
	echo
	echo "Commands (\$C is the corpus copy, \$F its file list):"
	echo
	echo '```'
	printf '%s\n' "$cmd_rampart" | sed "s#$work/corpus#\$C#g; s#$RAMPART#rampart#"
	$have_ks && printf '%s\n' "$cmd_ks" | sed "s#$work/files.txt#\$F#g; s#$KS#kube-score#"
	$have_ky && printf '%s\n' "$cmd_ky" | sed "s#$work/corpus#\$C#g; s#$work/#./#g; s#$KY#kubectl-kyverno#"
	$have_tr && printf '%s\n' "$cmd_tr" | sed "s#$work/corpus#\$C#g; s#$work/#./#g; s#$TR#trivy#"
	echo '```'
	echo
	echo "## Findings (containers flagged; in parentheses: also flagged by rampart)"
	echo
	printf '| finding |'; for t in "$F"/*; do printf ' %s |' "$(basename "$t")"; done; echo
	printf '|---|'; for t in "$F"/*; do printf -- '---:|'; done; echo
	for cat in privileged seccomp caps-not-dropped caps-added net-raw apparmor; do
		grep "^$cat " "$F/rampart" | sort -u >"$work/r.$cat"
		printf '| %s |' "$cat"
		for t in "$F"/*; do
			grep "^$cat " "$t" | sort -u >"$work/t.$cat"
			n=$(wc -l <"$work/t.$cat")
			if [ "$(basename "$t")" = rampart ]; then printf ' %s |' "$n"
			elif [ "$n" -eq 0 ]; then printf ' – |'
			else printf ' %s (%s) |' "$n" "$(comm -12 "$work/r.$cat" "$work/t.$cat" | wc -l)"; fi
		done
		echo
	done
	echo
	echo "rampart's columns: privileged = securityContext.privileged; seccomp = PSS seccompProfile_restricted"
	echo "fails (unset or Unconfined); caps-not-dropped = capabilities_restricted fails; caps-added ="
	echo "capabilities_baseline fails; net-raw = NET_RAW in the resolved bounding set (containerd"
	echo "defaults); apparmor = appArmorProfile fails (Unconfined). \"–\": the tool has no such check"
	echo "(kube-score checks only privileged and, optionally, seccomp) or flagged none."
} >"$out/audit.md"
cat "$out/audit.md"
