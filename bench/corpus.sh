# Sourced by the audit benches: the peers' install directory and the
# shared corpus (../shared/corpus/manifests beside the repository, or
# /work/shared/corpus/manifests; CORPUS names another). Sets GOBIN (exported)
# and CORPUS, or exits naming the script ($bench) that found none.
GOBIN=${GOBIN:-$(pwd)/bin/bench-peers}
export GOBIN
CORPUS=${CORPUS:-}
for d in ../shared/corpus/manifests /work/shared/corpus/manifests; do
	[ -n "$CORPUS" ] || { [ -d "$d" ] && CORPUS=$(realpath "$d"); } || true
done
[ -n "$CORPUS" ] || { echo "$bench: no corpus" >&2; exit 1; }
mkdir -p "$GOBIN"
