#!/bin/sh
# Packs make dist's binaries for krew, kubectl's plugin manager: an
# archive per platform holding the binary as kubectl-rampart, and the
# plugin manifest (rampart.krew.yaml) that names each archive with its
# sha256. The archives' URLs are RELEASE_URL/NAME (default: the GitHub
# release of the version), so the manifest is written per release, never
# kept with hashes no release has.
# usage: scripts/krew.sh DIR VERSION
set -eu
dir=$1 version=$2
base=${RELEASE_URL:-https://github.com/rampart-sec/rampart/releases/download/$version}
manifest="$dir/rampart.krew.yaml"
cat > "$manifest" <<YAML
apiVersion: krew.googlecontainertools.github.com/v1alpha2
kind: Plugin
metadata:
  name: rampart
spec:
  version: v${version#v}
  homepage: https://github.com/rampart-sec/rampart
  shortDescription: Capabilities, seccomp and AppArmor as one boundary, proven
  description: |
    rampart predicts each container's capabilities, seccomp filter and
    AppArmor profile and the attack paths they leave open (kubectl rampart
    audit --cluster -A), probes what a running Pod can really do (kubectl
    rampart probe --pod NAME), and writes admission policies that hold
    Pods to the layers (kubectl rampart harden --admission).
  platforms:
YAML
for t in linux-amd64 linux-arm64 darwin-amd64 darwin-arm64 windows-amd64 windows-arm64; do
	ext=
	case $t in windows-*) ext=.exe ;; esac
	bin="$dir/rampart-$version-$t$ext"
	[ -f "$bin" ] || { echo "krew: $bin missing" >&2; exit 1; }
	stage=$(mktemp -d)
	cp "$bin" "$stage/kubectl-rampart$ext"
	archive="kubectl-rampart-$version-$t.tar.gz"
	# Reproducible: fixed owner, order and time.
	tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$stage" -czf "$dir/$archive" "kubectl-rampart$ext"
	rm -rf "$stage"
	sum=$(sha256sum "$dir/$archive" | cut -d' ' -f1)
	cat >> "$manifest" <<YAML
  - selector:
      matchLabels:
        os: ${t%-*}
        arch: ${t#*-}
    uri: $base/$archive
    sha256: $sum
    bin: kubectl-rampart$ext
YAML
	echo "krew: $archive"
done
