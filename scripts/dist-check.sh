#!/bin/sh
# Checks make dist's output: every platform's binary is there, in its
# platform's format (file(1)), the linux ones static, and SHA256SUMS
# holds for each.
# usage: scripts/dist-check.sh DIR VERSION
set -eu
dir=$1 version=$2
fail=0
check() { # name pattern...
	f="$dir/rampart-$version-$1"
	shift
	if [ ! -f "$f" ]; then echo "dist: $f missing" >&2; fail=1; return; fi
	what=$(file -b "$f")
	for p in "$@"; do
		case "$what" in
		*"$p"*) ;;
		*) echo "dist: $f: \"$what\" lacks \"$p\"" >&2; fail=1 ;;
		esac
	done
	echo "dist: $(basename "$f"): $what"
}
check linux-amd64 "ELF 64-bit LSB" "x86-64" "statically linked"
check linux-arm64 "ELF 64-bit LSB" "ARM aarch64" "statically linked"
check darwin-amd64 "Mach-O 64-bit" "x86_64"
check darwin-arm64 "Mach-O 64-bit" "arm64"
check windows-amd64.exe "PE32+ executable" "x86-64"
check windows-arm64.exe "PE32+ executable" "Aarch64"
(cd "$dir" && sha256sum -c --quiet SHA256SUMS) || fail=1
# The krew manifest: each platform's archive with its sha256, and this
# platform's archive a kubectl plugin that says so in its help.
n=0
for sum in $(sed -n 's/^    sha256: //p' "$dir/rampart.krew.yaml"); do
	n=$((n + 1))
	grep -q "^$sum  kubectl-rampart-" "$dir/SHA256SUMS" || { echo "dist: rampart.krew.yaml: sha256 $sum is no archive's" >&2; fail=1; }
done
[ "$n" = 6 ] || { echo "dist: rampart.krew.yaml names $n archives, want 6" >&2; fail=1; }
t=$(mktemp -d)
tar -xzf "$dir/kubectl-rampart-$version-linux-amd64.tar.gz" -C "$t"
"$t/kubectl-rampart" --help | grep -q 'kubectl rampart \[command\]' || { echo "dist: the linux-amd64 archive's kubectl-rampart does not call itself kubectl rampart" >&2; fail=1; }
rm -rf "$t"
echo "dist: rampart.krew.yaml: $n archives"
exit $fail
