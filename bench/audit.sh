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
# The corpus: one flat copy that every tool reads whole. The shared corpus
# keeps one subdirectory per source repository, and objects with the same
# kind, namespace and name occur in different files. The Kyverno CLI
# neither descends into subdirectories nor accepts such duplicates (it
# loads all resources into one fake cluster and panics: "pods \"x\" already
# exists"), so `benchprep flatten` writes every file as fNNN.yaml into one
# directory and sets metadata.namespace to fNNN in every object: identities
# become unique, and nothing Pod Security evaluates changes. Files that
# kube-score refuses are then left out (kube-score aborts a whole run on one
# malformed document). All four tools get this same directory, so
# throughput and findings compare like with like.
# Throughput: hyperfine, RUNS runs each, objects per second, objects being
# what rampart counts (objects with a pod template).
# Findings, per container, keyed file/kind/name/container (the namespace
# names the file, so equal names in different files stay apart):
# privileged, no seccomp profile (unset or Unconfined), capabilities not
# dropped (no drop ALL), capabilities added beyond the default set, NET_RAW
# kept, AppArmor unconfined. How each tool's output maps to these is
# written beside its parser below and in the report.
#
# usage: bench/audit.sh [path/to/rampart]   (`make bench-audit` runs it)
# Results: bench/results/audit.md
set -eu
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
BUILD_TIMEOUT=${BUILD_TIMEOUT:-600}
bench=audit.sh . bench/corpus.sh
out=bench/results
mkdir -p "$out"
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
go build -o "$work/benchprep" ./bench/benchprep
"$work/benchprep" flatten "$CORPUS" "$work/flat" >"$work/map.txt" 2>"$work/flatten.txt"
nall=$(find "$CORPUS" -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) | wc -l)
C=$work/corpus
mkdir "$C"
: >"$work/refused.txt"
for f in "$work"/flat/*.yaml; do
	if $have_ks; then
		"$KS" score -o json "$f" >/dev/null 2>"$work/e.txt" || true
		if [ -s "$work/e.txt" ]; then
			# the source file and kube-score's reason, its detail cut short
			printf '%s: %s\n' "$(grep "^$(basename "$f")	" "$work/map.txt" | cut -f2)" \
				"$(head -n 1 "$work/e.txt" | sed 's/^Failed to score files: failed to parse files: //' | cut -c1-90)" >>"$work/refused.txt"
			continue
		fi
	fi
	cp "$f" "$C/"
done
find "$C" -type f | sort >"$work/files.txt"
nfiles=$(wc -l <"$work/files.txt")
# The objects as JSON lines: the Kyverno report names a resource by kind,
# namespace and name and a container only by its index (containers[0]).
"$work/benchprep" objects "$C" >"$work/objects.jsonl"
"$RAMPART" audit -o json "$C" >"$work/rampart.json" 2>/dev/null || true
objects=$(jq .summary.objects "$work/rampart.json")
containers=$(jq .summary.containers "$work/rampart.json")
note "corpus: $nfiles of $nall files, flattened by \`benchprep flatten\` ($(sed 's/^benchprep flatten: //' "$work/flatten.txt")); $(wc -l <"$work/refused.txt") refused by kube-score's parser and left out; $objects objects, $containers containers (rampart's count)"
if [ -s "$work/refused.txt" ]; then
	note "refused by kube-score (source file: reason): $(sed 's/|/\\|/g' "$work/refused.txt" | paste -sd';' - | sed 's/;/; /g')"
fi

# --- commands --------------------------------------------------------------
# Two rules on kind Pod; for podSecurity rules Kyverno generates the rules
# for the controllers itself (autogen-* for DaemonSet, Deployment, Job,
# ReplicaSet, ReplicationController, StatefulSet; autogen-cronjob-* for
# CronJob), which the report below counts by kind.
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
# Each tool writes its full JSON report to /dev/null. A nonzero exit is the
# normal "found violations" for kube-score and Kyverno, hence `|| true`.
cmd_rampart="$RAMPART audit -o json $C >/dev/null 2>&1 || true"
cmd_ks="xargs -d '\n' -a $work/files.txt $KS score --enable-optional-test container-seccomp-profile -o json >/dev/null 2>&1 || true"
cmd_ky="$KY apply $work/kyverno-pss.yaml --resource $C --policy-report --output-format json >/dev/null 2>&1 || true"
cmd_tr="$TR config --skip-check-update --cache-dir $work/trivy-cache -f json -q $C >/dev/null 2>&1 || true"

# Does each peer run offline, and on what? (An empty or failed output says
# it does not.) The reports kept here are the ones the findings come from.
if $have_ky; then
	"$KY" apply "$work/kyverno-pss.yaml" --resource "$C" --policy-report --output-format json >"$work/ky.out" 2>"$work/ky.err" || true
	# stdout starts with a deprecation warning line; the report follows
	sed -n '/^{/,$p' "$work/ky.out" >"$work/kyverno.json"
	if ! jq -e '.results | length > 0' "$work/kyverno.json" >/dev/null 2>&1; then
		note "kyverno: no results: $(tail -n 3 "$work/ky.err" "$work/ky.out" | tr '\n' ' ' | cut -c1-300)"
		have_ky=false
	else
		note "kyverno: $(jq -r '"one \(.kind) (\(.apiVersion)) with \(.results|length) results (pass \(.summary.pass), fail \(.summary.fail), error \(.summary.error), skip \(.summary.skip)) for \([.results[].resources[0] | "\(.namespace)/\(.kind)/\(.name)"] | unique | length) resources; by kind: \([.results[].resources[0] | "\(.namespace)/\(.kind)/\(.name)" as $id | {kind, $id}] | unique | group_by(.kind) | map("\(.[0].kind) \(length)") | join(", ")); rules: \([.results[].rule] | unique | join(", "))"' "$work/kyverno.json")"
		# rampart's objects that Kyverno gives no result for, by apiVersion
		jq -r '.workloads[] | "\(.file | split("/") | last | rtrimstr(".yaml"))/\(.kind)/\(.name)"' "$work/rampart.json" | sort -u >"$work/r.objs"
		jq -r '.results[].resources[0] | "\(.namespace | sub("-d[0-9]+$"; ""))/\(.kind)/\(.name)"' "$work/kyverno.json" | sort -u >"$work/ky.objs"
		comm -23 "$work/r.objs" "$work/ky.objs" >"$work/ky.missing"
		if [ -s "$work/ky.missing" ]; then
			note "kyverno: no result for $(wc -l <"$work/ky.missing") of rampart's $(wc -l <"$work/r.objs") objects: $(jq -rn --rawfile m "$work/ky.missing" '
				($m | split("\n") | map(select(. != "")) | map({key: ., value: true}) | from_entries) as $want |
				[inputs | "\(.file | rtrimstr(".yaml"))/\(.object.kind)/\(.object.metadata.name)" as $id | select($want[$id]) | "\(.object.apiVersion) \(.object.kind)"] |
				group_by(.) | map("\(length) \(.[0])") | join(", ")' "$work/objects.jsonl") (its CLI evaluates only API versions it knows)"
		fi
	fi
fi
if $have_tr; then
	# without -q, so that files trivy cannot parse are logged
	"$TR" config --skip-check-update --cache-dir "$work/trivy-cache" -f json "$C" >"$work/trivy.json" 2>"$work/tr.err" || true
	if ! jq -e '.Results' "$work/trivy.json" >/dev/null 2>&1; then
		note "trivy: no results offline: $(tail -n 3 "$work/tr.err" | tr '\n' ' ')"
		have_tr=false
	else
		note "trivy: $(jq '[.Results[]? | select(.Class == "config")] | length' "$work/trivy.json") files with Kubernetes results; files it could not parse: $(grep -c 'Failed to parse file' "$work/tr.err" || true)$(grep 'Failed to parse file' "$work/tr.err" | sed -n 's/.*file_path="\([^"]*\)".*err="\(.*\)"$/\1 \2/p' | while read -r f e; do printf '; %s (%s)' "$(grep "^$f	" "$work/map.txt" | cut -f2)" "$(printf '%s' "$e" | cut -c1-80)"; done)"
	fi
fi

# --- throughput ------------------------------------------------------------
set -- -n rampart "$cmd_rampart"
$have_ks && set -- "$@" -n kube-score "$cmd_ks"
$have_ky && set -- "$@" -n kyverno "$cmd_ky"
$have_tr && set -- "$@" -n trivy "$cmd_tr"
# The load average says whether anything else competed for the CPUs.
load0=$(cut -d' ' -f1-3 /proc/loadavg)
hyperfine --warmup 1 --runs "$RUNS" --export-json "$work/hf.json" "$@" >&2
load1=$(cut -d' ' -f1-3 /proc/loadavg)
note "load average (1, 5, 15 min) on $(nproc) CPUs: $load0 before the timed runs, $load1 after; the timed tools run one at a time, so a load well above 1 means other processes competed with them"

# --- findings, per container: file/kind/name/container ----------------------
F=$work/find
mkdir "$F"
# rampart: its Pod Security failures per container and the resolved
# capability set. caps-not-dropped counts only the drop=["ALL"] part of
# capabilities_restricted (which also fails for adding anything but
# NET_BIND_SERVICE), as the peers' checks do.
jq -r '.workloads[] as $w | ($w.file | split("/") | last | rtrimstr(".yaml")) as $f |
	$w.containers[] | "\($f)/\($w.kind | ascii_downcase)/\($w.name)/\(.name)" as $k |
	[.podSecurity.failures[]?.check] as $c |
	[.podSecurity.failures[]? | select(.check == "capabilities_restricted") | .detail] as $capr |
	(if .privileged then "privileged \($k)" else empty end),
	(if ($c | index("seccompProfile_restricted")) then "seccomp \($k)" else empty end),
	(if ($capr | map(test("capabilities\\.drop")) | any) then "caps-not-dropped \($k)" else empty end),
	(if ($c | index("capabilities_baseline")) then "caps-added \($k)" else empty end),
	(if (.capabilities.bounding // [] | index("NET_RAW")) then "net-raw \($k)" else empty end),
	(if ($c | index("appArmorProfile")) then "apparmor \($k)" else empty end)' "$work/rampart.json" | sort -u >"$F/rampart"
if $have_ks; then
	# kube-score: the comments of failed checks name the container (path).
	# Its file_name follows "# Source:" comments, so the file is taken from
	# the namespace.
	xargs -d '\n' -a "$work/files.txt" "$KS" score --enable-optional-test container-seccomp-profile -o json >"$work/ks.json" 2>/dev/null || true
	jq -r '.[] | ((.object_meta.namespace // "") | sub("-d[0-9]+$"; "")) as $f |
		(.type_meta.kind | ascii_downcase) as $kind | .object_meta.name as $n | .checks[] |
		select(.grade < 10 and .skipped != true) |
		(if .check.id == "container-security-context-privileged" then "privileged"
		 elif .check.id == "container-seccomp-profile" then "seccomp" else empty end) as $cat |
		.comments[]? | "\($cat) \($f)/\($kind)/\($n)/\(.path)"' "$work/ks.json" | sort -u >"$F/kube-score"
fi
if $have_ky; then
	# Kyverno: each failed result's message is a series of "(Forbidden
	# reason: R, field error list: [PATH is forbidden, forbidden values
	# found: V, PATH: Required value, ...])". A container is named by its
	# path (spec.template.spec.containers[0]), resolved here against the
	# object; a pod-level seccompProfile/appArmorProfile applies to every
	# container of that pod spec that sets none itself; the AppArmor
	# annotation names the container. NET_RAW: only where Kyverno reports it
	# among the added capabilities (baseline forbids adding it).
	jq -r --slurpfile objs "$work/objects.jsonl" '
		(reduce $objs[] as $o ({}; .["\($o.object.metadata.namespace // "")/\($o.object.kind)/\($o.object.metadata.name)"] = $o.object)) as $idx |
		def jpath($p): $p | rtrimstr(".") | if . == "" then [] else split(".") end;
		.results[]? | select(.result == "fail") | .resources[0] as $r |
		$idx["\($r.namespace // "")/\($r.kind)/\($r.name)"] as $o |
		"\(($r.namespace // "") | sub("-d[0-9]+$"; ""))/\($r.kind | ascii_downcase)/\($r.name)" as $key |
		.message | split("(Forbidden reason: ")[1:][] |
		(split(", field error list: ") | .[0]) as $reason |
		(split(", field error list: ")[1:] | join(", ")) as $fields |
		(
			($fields | scan("(?:^|[ \\[])((?:[A-Za-z]+\\.)*)(initContainers|containers|ephemeralContainers)\\[([0-9]+)\\]\\.securityContext\\.([A-Za-z.]+)(?: is forbidden, forbidden values found: (\\[[^\\]]*\\]|[A-Za-z/]+))?")) as [$pre, $list, $i, $field, $vals] |
			($o | getpath(jpath($pre) + [$list, ($i | tonumber), "name"])) as $c |
			select($c != null) |
			(if $reason == "privileged" and $field == "privileged" then "privileged"
			 elif $reason == "seccompProfile" and ($field | startswith("seccompProfile")) then "seccomp"
			 elif $reason == "unrestricted capabilities" and $field == "capabilities.drop" then "caps-not-dropped"
			 elif $reason == "non-default capabilities" and $field == "capabilities.add" then
				"caps-added", (if ($vals // "" | test("\\bNET_RAW\\b")) then "net-raw" else empty end)
			 elif $reason == "forbidden AppArmor profile" and ($field | startswith("appArmorProfile")) then "apparmor"
			 else empty end) as $cat |
			"\($cat) \($key)/\($c)"
		),
		(
			($fields | scan("(?:^|[ \\[])((?:[A-Za-z]+\\.)*)securityContext\\.(seccompProfile|appArmorProfile)\\.type")) as [$pre, $field] |
			select(($reason == "seccompProfile" and $field == "seccompProfile") or ($reason == "forbidden AppArmor profile" and $field == "appArmorProfile")) |
			($o | getpath(jpath($pre))) as $spec |
			(($spec.initContainers // []) + ($spec.containers // []) + ($spec.ephemeralContainers // []))[] |
			select(.securityContext[$field].type? == null) |
			"\(if $field == "seccompProfile" then "seccomp" else "apparmor" end) \($key)/\(.name)"
		),
		(
			select($reason == "forbidden AppArmor profile") |
			$fields | scan("annotations\\[container\\.apparmor\\.security\\.beta\\.kubernetes\\.io/([^\\]]+)\\]") |
			"apparmor \($key)/\(.[0])"
		)' "$work/kyverno.json" | sort -u >"$F/kyverno"
fi
if $have_tr; then
	# trivy: per-container checks, their messages "Container 'c' of Kind 'n'
	# should ..." or "container \"c\" of kind \"n\" in \"ns\" namespace
	# should ...": KSV-0017 privileged; KSV-0104 seccomp unset or Unconfined
	# (KSV-0030, RuntimeDefault not set, names no container); KSV-0003 no
	# drop ALL; KSV-0022 any capability added; KSV-0119 NET_RAW added;
	# KSV-0002 an AppArmor annotation other than runtime/default.
	jq -r 'def uq: ltrimstr("'"'"'") | rtrimstr("'"'"'") | ltrimstr("\"") | rtrimstr("\"");
		.Results[]? | (.Target | split("/") | last | rtrimstr(".yaml")) as $f | .Misconfigurations[]? |
		select(.Status == "FAIL") |
		({"KSV-0017": "privileged", "KSV-0104": "seccomp", "KSV-0003": "caps-not-dropped",
		  "KSV-0022": "caps-added", "KSV-0119": "net-raw", "KSV-0002": "apparmor"}[.ID] // empty) as $cat |
		(.Message | capture("^[Cc]ontainer (?<c>'"'"'[^'"'"']*'"'"'|\"[^\"]*\"|[^ ]+) of (?<k>'"'"'[^'"'"']*'"'"'|\"[^\"]*\"|[^ ]+) (?<n>'"'"'[^'"'"']*'"'"'|\"[^\"]*\"|[^ ]+)")?) as $m |
		select($m != null) |
		"\($cat) \($f)/\($m.k | uq | ascii_downcase)/\($m.n | uq)/\($m.c | uq)"' "$work/trivy.json" | sort -u >"$F/trivy"
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
	jq -r --argjson o "$objects" '.results[] | (.user+.system) as $cpu | "| \(.command) | \(.mean*1000|round/1000) | \((.stddev // 0)*1000|round/1000) | \($cpu*1000|round/1000) | \($o/.mean|round) | \($o/$cpu|round) |"' "$work/hf.json"
	echo
	echo "Commands (\$C is the flat corpus copy, \$F its file list, \$P the policy above):"
	echo
	echo '```'
	printf '%s\n' "$cmd_rampart" | sed "s#$C#\$C#g; s#$RAMPART#rampart#"
	$have_ks && printf '%s\n' "$cmd_ks" | sed "s#$work/files.txt#\$F#g; s#$KS#kube-score#"
	$have_ky && printf '%s\n' "$cmd_ky" | sed "s#$C#\$C#g; s#$work/kyverno-pss.yaml#\$P#g; s#$KY#kubectl-kyverno#"
	$have_tr && printf '%s\n' "$cmd_tr" | sed "s#$C#\$C#g; s#$work/#./#g; s#$TR#trivy#"
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
	echo "A container is file/kind/name/container. \"–\": the tool has no such check or flagged none."
	echo
	echo "- rampart: privileged = securityContext.privileged; seccomp = Pod Security seccompProfile_restricted"
	echo "  fails (unset or Unconfined); caps-not-dropped = capabilities_restricted fails for want of"
	echo "  drop [\"ALL\"]; caps-added = capabilities_baseline fails; net-raw = NET_RAW in the resolved"
	echo "  bounding set (containerd's defaults unless dropped); apparmor = appArmorProfile fails."
	echo "- kube-score: container-security-context-privileged and the optional container-seccomp-profile,"
	echo "  which asks only that a profile be set (Unconfined passes) and looks at containers, not init"
	echo "  containers. It scores no ReplicaSet."
	echo "- kyverno: the same Pod Security checks (baseline and restricted, latest); caps-not-dropped ="
	echo "  the capabilities.drop errors of \"unrestricted capabilities\"; net-raw only where NET_RAW is"
	echo "  among the capabilities added."
	echo "- trivy: KSV-0017, KSV-0104 (seccomp unset or Unconfined; also accepts the legacy per-container"
	echo "  annotation), KSV-0003 (drop ALL, matched in any case: drop [all] passes), KSV-0022 (any"
	echo "  capability added, even a default one), KSV-0119 (NET_RAW added), KSV-0002 (an AppArmor"
	echo "  annotation other than runtime/default, localhost/* included)."
} >"$out/audit.md"
cat "$out/audit.md"
