package apparmor

import (
	"strconv"
	"strings"
)

// ChangeProfileRule is `change_profile [safe|unsafe] [EXEC] [-> PROFILE]`:
// the task may change to PROFILE (a pattern, possibly :ns: or &stacked),
// right away or, with EXEC, when it next executes EXEC.
type ChangeProfileRule struct {
	// Mode is "safe" (the environment is scrubbed on exec, the default
	// meaning) or "unsafe", as written; "" when not written.
	Mode      string
	Exec      string
	HasTarget bool // -> was written (its profile may be "")
	Target    string
}

func (*ChangeProfileRule) Class() string { return "change_profile" }

func (p *ChangeProfileRule) String() string {
	out := ""
	if p.Mode != "" {
		out += " " + p.Mode
	}
	if p.Exec != "" {
		out += " " + condSingle(p.Exec)
	}
	if p.HasTarget {
		out += " -> " + condSingle(p.Target)
	}
	return out
}

func (p *ChangeProfileRule) patterns() []string { return nonEmpty(p.Exec, p.Target) }

// Unsafe reports whether an exec under the rule keeps the environment.
func (p *ChangeProfileRule) Unsafe() bool { return p.Mode == "unsafe" }

func parseChangeProfile(kw word, ws []word) (ClassRule, error) {
	c := newRScan(kw, ws)
	p := &ChangeProfileRule{}
	if t := c.peekRaw(""); t == "safe" || t == "unsafe" {
		p.Mode = t
		c.raw("")
	}
	if !c.eof() && !c.arrowAhead() {
		at := c.i
		raw := c.raw("")
		v, err := c.value(raw, at)
		if err != nil {
			return nil, err
		}
		// The exec condition is the path of the program whose exec
		// triggers the change: a relative one would never match.
		if !strings.HasPrefix(v, "/") && !strings.HasPrefix(v, "@{") {
			return nil, c.errf(at, "change_profile: the exec condition %q must begin with '/'", raw)
		}
		if err := c.checkGlob(v, at); err != nil {
			return nil, err
		}
		p.Exec = v
	}
	if p.Mode != "" && p.Exec == "" {
		return nil, c.ruleErrf("change_profile: an exec condition is required with %s", p.Mode)
	}
	if c.arrowAhead() {
		c.raw("")
		if c.eof() {
			return nil, c.errf(c.i, "-> needs a profile name")
		}
		at := c.i
		raw := c.raw("")
		v, err := c.value(raw, at)
		if err != nil {
			return nil, err
		}
		if err := c.checkGlob(v, at); err != nil {
			return nil, err
		}
		p.HasTarget, p.Target = true, v
	}
	return p, c.rest("change_profile")
}

// RlimitRule is `set rlimit NAME <= VALUE`: the limit the profile sets
// on the task.
type RlimitRule struct {
	Name  string
	Value string // "infinity" or a decimal number as written
	Unit  string // as written: KB, MB, s, min, ...; "" for none
}

func (*RlimitRule) Class() string { return "rlimit" }

func (r *RlimitRule) String() string {
	out := " rlimit " + r.Name + " <= " + r.Value
	if r.Unit != "" {
		out += " " + r.Unit
	}
	return out
}

func (*RlimitRule) patterns() []string { return nil }

// The limits, by what their values measure.
var (
	rlimitSizes  = []string{"fsize", "data", "stack", "core", "rss", "as", "memlock", "msgqueue"}
	rlimitCounts = []string{"nofile", "ofile", "nproc", "locks", "sigpending", "rtprio"}
	sizeUnits    = []string{"K", "KB", "M", "MB", "G", "GB"}
	timeUnits    = []string{"s", "sec", "second", "seconds", "min", "minute", "minutes", "h", "hour", "hours",
		"d", "day", "days", "week", "weeks"}
	rttimeUnits = []string{"us", "microsecond", "microseconds", "ms", "millisecond", "milliseconds"}
)

func parseRlimit(kw word, ws []word) (ClassRule, error) {
	c := newRScan(kw, ws[1:]) // after "rlimit"
	r := &RlimitRule{}
	c.skip()
	start := c.i
	for c.i < c.end && (isAlpha(c.s[c.i]) || c.s[c.i] >= '0' && c.s[c.i] <= '9' || c.s[c.i] == '_') {
		c.i++
	}
	r.Name = c.s[start:c.i]
	if r.Name == "" {
		return nil, c.errf(start, "set rlimit needs a limit's name")
	}
	known := r.Name == "cpu" || r.Name == "rttime" || r.Name == "nice" || contains(rlimitSizes, r.Name) || contains(rlimitCounts, r.Name)
	if !known {
		return nil, c.errf(start, "unknown rlimit %q", r.Name)
	}
	c.skip()
	if !strings.HasPrefix(c.s[c.i:c.end], "<=") {
		return nil, c.errf(c.i, "set rlimit %s: expected <=", r.Name)
	}
	c.i += 2
	c.skip()
	at := c.i
	switch {
	case strings.HasPrefix(c.s[c.i:c.end], "infinity"):
		c.i += len("infinity")
		r.Value = "infinity"
	default:
		j := c.i
		if j < c.end && c.s[j] == '-' {
			j++
		}
		k := j
		for k < c.end && c.s[k] >= '0' && c.s[k] <= '9' {
			k++
		}
		if k == j {
			return nil, c.errf(at, "set rlimit %s: expected a number or infinity", r.Name)
		}
		r.Value, c.i = c.s[at:k], k
	}
	c.skip()
	us := c.i
	for c.i < c.end && isAlpha(c.s[c.i]) {
		c.i++
	}
	r.Unit = c.s[us:c.i]
	if !c.eof() {
		return nil, c.errf(c.i, "unexpected %q after the rlimit's value", c.s[c.i:c.end])
	}
	if r.Value == "infinity" {
		return r, nil
	}
	return r, r.check(c, at)
}

// check validates a number and its unit for the limit.
func (r *RlimitRule) check(c *rscan, at int) error {
	n, err := strconv.ParseInt(r.Value, 10, 64)
	overflow := err != nil
	bad := func() error {
		return c.errf(at, "rlimit %s: invalid value %s%s", r.Name, r.Value, map[bool]string{true: " " + r.Unit}[r.Unit != ""])
	}
	switch {
	case r.Name == "nice":
		if overflow || n < -20 || n > 19 {
			return c.errf(at, "rlimit nice: %s is out of range (-20 to 19)", r.Value)
		}
		if r.Unit != "" {
			return bad()
		}
		return nil
	case !overflow && n < 0:
		return bad()
	case contains(rlimitSizes, r.Name):
		if r.Unit != "" && !contains(sizeUnits, r.Unit) {
			return bad()
		}
	case r.Name == "cpu":
		if r.Unit != "" && !contains(timeUnits, r.Unit) {
			return bad()
		}
	case r.Name == "rttime":
		if r.Unit != "" && !contains(timeUnits, r.Unit) && !contains(rttimeUnits, r.Unit) {
			return bad()
		}
	default: // counts
		if r.Unit != "" {
			return bad()
		}
	}
	return nil
}
