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
exit $fail
