package apparmor

import "testing"

// Mount, ptrace and signal as the kernel decides them for a profile compiled
// with their mediation: what is not allowed is denied, deny rules win,
// ptrace asks both the tracer's and the tracee's profile, and a rule
// with conditionals rampart does not read leaves no decision.
func TestEvalMountAndPtrace(t *testing.T) {
	for _, c := range []struct {
		profile, access string
		want            string // allow, deny, or error
	}{
		// mount
		{"profile p {\n  file,\n}\n", "mount tmpfs /mnt", "deny"},
		{"profile p {\n  mount,\n}\n", "mount tmpfs /mnt", "allow"},
		{"profile p {\n  mount,\n  deny mount,\n}\n", "mount tmpfs /mnt", "deny"},
		{"profile p {\n  mount,\n}\n", "umount /mnt", "deny"},
		{"profile p {\n  umount,\n}\n", "umount /mnt", "allow"},
		{"profile p {\n  remount,\n}\n", "mount tmpfs /mnt", "deny"},
		{"profile p {\n  mount fstype=tmpfs,\n}\n", "mount tmpfs /mnt", "error"},
		{"profile p {\n  mount fstype=tmpfs,\n  deny mount,\n}\n", "mount tmpfs /mnt", "deny"},
		{"profile p {\n  mount -> /mnt/,\n}\n", "mount tmpfs /mnt", "error"},
		{"profile p {\n  mount,\n}\n", "pivot_root", "deny"},
		{"profile p {\n  pivot_root,\n}\n", "pivot_root", "allow"},
		{"profile p flags=(complain) {\n  file,\n}\n", "mount tmpfs /mnt", "allow"},
		// ptrace: mediated without a rule
		{"profile p {\n  file,\n}\n", "ptrace read unconfined", "deny"},
		{"profile p {\n  file,\n}\n", "ptrace trace p", "deny"},
		{"profile p {\n  ptrace,\n}\n", "ptrace trace unconfined", "allow"},
		{"profile p {\n  ptrace (read),\n}\n", "ptrace trace unconfined", "deny"},
		{"profile p {\n  ptrace,\n  deny ptrace (trace) peer=unconfined,\n}\n", "ptrace trace unconfined", "deny"},
		{"profile p {\n  ptrace,\n  deny ptrace (trace) peer=unconfined,\n}\n", "ptrace read unconfined", "allow"},
		// the tracee's side under the same profile
		{"profile p {\n  ptrace (trace) peer=@{profile_name},\n}\n", "ptrace trace p", "deny"},
		{"profile p {\n  ptrace (trace,tracedby) peer=@{profile_name},\n}\n", "ptrace trace p", "allow"},
		{"profile p {\n  ptrace (trace) peer=p,\n  ptrace (tracedby),\n}\n", "ptrace trace p", "allow"},
		{"profile p {\n  ptrace (read, readby) peer=p,\n}\n", "ptrace read p", "allow"},
		{"profile p {\n  ptrace (read, readby) peer=p,\n}\n", "ptrace trace p", "deny"},
		// peer patterns
		{"profile cri-x {\n  ptrace peer=cri-*,\n}\n", "ptrace trace cri-y", "error"}, // cri-y's own rules decide too
		{"profile cri-x {\n  ptrace peer=cri-*,\n}\n", "ptrace trace unconfined", "deny"},
		{"profile cri-x {\n  ptrace peer=cri-*,\n}\n", "ptrace trace cri-x", "allow"},
		// signal: mediated without a rule; the receiver's side under the
		// same profile; set= and exists (signal 0)
		{"profile p {\n  file,\n}\n", "signal send exists unconfined", "deny"},
		{"profile p {\n  signal,\n}\n", "signal send kill unconfined", "allow"},
		{"profile p {\n  signal (receive),\n}\n", "signal send kill unconfined", "deny"},
		{"profile p {\n  signal (send) set=(term),\n}\n", "signal send kill unconfined", "deny"},
		{"profile p {\n  signal (send) set=(term, exists),\n}\n", "signal send exists unconfined", "allow"},
		{"profile p {\n  signal,\n  deny signal (send) peer=unconfined,\n}\n", "signal send exists unconfined", "deny"},
		{"profile p {\n  signal (send) peer=p,\n}\n", "signal send kill p", "deny"},
		{"profile p {\n  signal (send, receive) peer=@{profile_name},\n}\n", "signal send kill p", "allow"},
		{"profile p {\n  signal (send, receive) peer=@{profile_name},\n}\n", "signal send kill unconfined", "deny"},
		{"profile p {\n  signal peer=q,\n}\n", "signal send kill q", "error"}, // q's own rules decide too
	} {
		comp, err := Compile(mustProfile(t, c.profile), Includes{NoBundled: true})
		if err != nil {
			t.Fatalf("%q: %v", c.profile, err)
		}
		a, err := ParseAccess(c.access)
		if err != nil {
			t.Fatal(err)
		}
		got := "error"
		d, err := comp.Eval(a)
		switch {
		case err != nil:
		case d.Allowed:
			got = "allow"
		default:
			got = "deny"
		}
		if got != c.want {
			t.Errorf("%q under %q: %s, want %s (%s %v)", c.access, c.profile, got, c.want, d.Reason, err)
		}
	}
}

func TestParseTaskAccess(t *testing.T) {
	for in, want := range map[string]string{
		"mount tmpfs /mnt":              "mount fstype=tmpfs -> /mnt",
		"umount /mnt":                   "umount /mnt",
		"pivot_root":                    "pivot_root",
		"ptrace trace unconfined":       "ptrace trace peer=unconfined",
		"ptrace read cri-x":             "ptrace read peer=cri-x",
		"signal send exists unconfined": "signal send set=exists peer=unconfined",
		"signal send kill p":            "signal send set=kill peer=p",
		"signal send sigkill p":         "error",
		"signal receive kill p":         "error",
		"signal send kill":              "error",
		"mount tmpfs":                   "error",
		"ptrace attach unconfined":      "error",
		"ptrace read":                   "error",
		"owner ptrace read x":           "error",
		"umount mnt":                    "error",
	} {
		got := "error"
		if a, err := ParseAccess(in); err == nil {
			got = a.String()
		}
		if got != want {
			t.Errorf("ParseAccess(%q) = %s, want %s", in, got, want)
		}
	}
}
