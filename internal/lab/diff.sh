#!/bin/sh
# diff.sh MANIFEST — the guest side of lab.Differential.
#
# MANIFEST has one line per case: ID<TAB>PROFILE-FILE<TAB>NAME<TAB>ACCESS.
# For each line, diff.sh loads PROFILE-FILE with `apparmor_parser -r`
# (unless the previous line loaded the same file), takes NAME, or the
# file's first profile name (`apparmor_parser -N`) when NAME is "-", and
# runs `aaccess ACCESS` confined by that profile from its execve on: the shell that execs aaccess first writes
# "exec NAME" to its own /proc/self/attr/apparmor/exec, the transition
# runc and rampart use. It prints, per case,
#   @@diff<TAB>ID<TAB>VERDICT<TAB>ERRNO<TAB>DETAIL<TAB>LABEL
# VERDICT: allow, deny (EACCES/EPERM), error (anything else; ERRNO "load"
# when the profile did not load, "harness" when the transition failed).
set -u
manifest=$1
aaccess=${AACCESS:-/usr/bin/aaccess}
tab=$(printf '\t')
oneline() { tr '\n\t' '  '; }
loaded='' name='' loaderr=''
while IFS="$tab" read -r id prof want access; do
	case $id in '' | \#*) continue ;; esac
	if [ "$prof" != "$loaded" ]; then
		loaded=$prof name='' loaderr=''
		if out=$(apparmor_parser -r -K "$prof" 2>&1); then
			name=$(apparmor_parser -N -K "$prof" 2>/dev/null | head -n 1)
			[ -n "$name" ] || loaderr="apparmor_parser -N $prof named no profile"
		else
			loaderr="apparmor_parser -r $prof: $(echo "$out" | oneline)"
		fi
	fi
	if [ -n "$loaderr" ]; then
		printf '@@diff\t%s\terror\tload\t%s\t-\n' "$id" "$loaderr"
		continue
	fi
	run=$name
	[ "$want" = - ] || run=$want
	res=$(sh -c 'printf "exec %s" "$1" > /proc/self/attr/apparmor/exec || exit 97; exec "$2" "$3"' \
		sh "$run" "$aaccess" "$access" 2>/tmp/diff.err)
	rc=$?
	# a link the access made must not be there for the next case
	case $access in link\ *) rm -f "${access##* }" ;; esac
	case $rc in
	0 | 1 | 3) printf '@@diff\t%s\t%s\n' "$id" "$res" ;;
	*) printf '@@diff\t%s\terror\tharness\texit %s: %s\t-\n' "$id" "$rc" "$(cat /tmp/diff.err | oneline)" ;;
	esac
done <"$manifest"
echo "@@diff-done"
