#!/bin/sh
# The seed article, live: the attacker's three commands run under each of
# the four manifests in this directory, each through `rampart run --from`.
# On a kernel without AppArmor the profile's rule is enforced by Landlock
# (rampart says so). usage: examples/seed/demo.sh [path/to/rampart]
set -u
here=$(cd "$(dirname "$0")" && pwd)
rampart=${1:-rampart}
command -v "$rampart" >/dev/null 2>&1 || { echo "demo: $rampart not found (make build)" >&2; exit 1; }

raw='python3 -c "import socket; socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)"'
ns='unshare -r -n true'
shadow='head -c1 /etc/shadow'

printf '%-22s %-12s %-12s %-12s\n' "manifest" "raw socket" "unshare -rn" "/etc/shadow"
note=""
for m in 0-baseline 1-drop-net-raw 2-seccomp 3-apparmor; do
	row=$(printf '%-22s' "$m")
	for attack in "$raw" "$ns" "$shadow"; do
		err=$("$rampart" run --from "$here/$m.yaml" --apparmor-dir "$here" --lsm-fallback landlock \
			-- sh -c "$attack >/dev/null 2>&1" 2>&1)
		case $? in
		0) cell=open ;;
		125) echo "$err" >&2; exit 125 ;;
		*) cell=blocked ;;
		esac
		[ -n "$err" ] && note=$err
		row="$row $(printf '%-12s' "$cell")"
	done
	echo "$row"
done
[ -n "$note" ] && echo "$note"
exit 0
