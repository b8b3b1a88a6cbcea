#!/bin/sh
# Installs the Debian packages a make target needs, only those missing.
# usage: scripts/deps.sh test|bench|demo|lab|lab-arm64|kube|dist|cross
set -eu

case "${1:-test}" in
demo)  pkgs="gcc libc6-dev libseccomp-dev pkg-config python3 util-linux" ;;
test)  pkgs="gcc libc6-dev gcc-multilib libseccomp-dev golang-github-containers-common systemd binutils pkg-config python3 util-linux runc busybox-static apparmor apparmor-profiles apparmor-profiles-extra chromium libxml2-utils npm" ;;
bench) pkgs="gcc libc6-dev libseccomp-dev pkg-config python3 util-linux bubblewrap runc busybox-static hyperfine strace jq bc time" ;;
lab)   pkgs="qemu-system-x86 busybox-static apparmor apparmor-profiles apparmor-profiles-extra gcc libc6-dev gcc-multilib" ;;
# The arm64 lab: qemu for the guest, and what a static linux/arm64 rampart
# with libseccomp is built with. Not gcc-aarch64-linux-gnu: it conflicts
# with gcc-multilib (lab, test); the lab downloads the cross compiler's
# own packages into its cache instead (internal/lab/crosscc.go).
lab-arm64) pkgs="qemu-system-arm binutils-aarch64-linux-gnu libgcc-12-dev-arm64-cross libc6-dev-arm64-cross libseccomp-dev:arm64 gcc libc6-dev libseccomp-dev pkg-config apparmor golang-github-containers-common" ;;
# make dist: linux/arm64 is built with cgo and arm64's libseccomp by the
# lab's cross compiler (lab-arm64's packages, for the same reason); file
# checks each binary's format.
dist)  pkgs="gcc libc6-dev libseccomp-dev pkg-config binutils-aarch64-linux-gnu libgcc-12-dev-arm64-cross libc6-dev-arm64-cross libseccomp-dev:arm64 file" ;;
# make cross: the pure packages' tests for linux/arm64 under qemu-user,
# and the linux/arm64 build as dist's (its packages, for the same reason).
cross) pkgs="qemu-user-static gcc libc6-dev libseccomp-dev pkg-config binutils-aarch64-linux-gnu libgcc-12-dev-arm64-cross libc6-dev-arm64-cross libseccomp-dev:arm64" ;;
# containerd and runc: the AppArmor node's (Debian's 1.6); the host node's
# containerd 2 and runc 1.5 are built from the module proxy, runc with cgo
# and libseccomp.
kube)  pkgs="etcd-server containerd runc containernetworking-plugins busybox-static iproute2 qemu-system-x86 apparmor gcc libc6-dev libseccomp-dev pkg-config" ;;
*) echo "usage: $0 demo|test|bench|lab|lab-arm64|kube|dist|cross" >&2; exit 2 ;;
esac

missing=""
for p in $pkgs; do
	# npm also comes inside other builds of nodejs (NodeSource's), which
	# conflict with Debian's npm package: the command is what the tests use.
	if [ "$p" = npm ] && command -v npm >/dev/null 2>&1; then continue; fi
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "missing Debian packages:$missing" >&2
	echo "install them as root: apt-get install$missing" >&2
	exit 1
fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# PKG:ARCH needs ARCH among dpkg's architectures (before apt-get update)
for p in $missing; do
	case "$p" in
	*:*)
		a=${p#*:}
		dpkg --print-foreign-architectures | grep -qx "$a" || dpkg --add-architecture "$a"
		;;
	esac
done
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
