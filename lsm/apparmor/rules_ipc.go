package apparmor

import (
	"strconv"
	"strings"
)

// The typed models of the rule classes rampart parses and validates as
// apparmor_parser 3.0.8 does but does not evaluate. A refusal here is
// what keeps rampart from vouching for a profile the kernel would never
// load: a rule the parser rejects makes the whole profile fail to load,
// so a profile rampart accepted and reasoned about would silently not be
// the one confining the workload.

// ClassRule is the model of a rule of one of these classes; Rule.Model
// holds it.
type ClassRule interface {
	// Class names the rule class: signal, ptrace, unix, dbus, mount,
	// pivot_root, change_profile, rlimit.
	Class() string
	// String writes the rule after its keyword, in normal form.
	String() string
	// patterns are the values in which variables are expanded.
	patterns() []string
}

// Access bits of signal rules.
const (
	SignalSend uint32 = 1 << iota
	SignalReceive
)

var signalAccess = &accessClass{class: "signal", names: []string{"send", "receive"},
	alias: map[string]uint32{"write": SignalSend, "read": SignalReceive}, r: SignalReceive, w: SignalSend}

// SignalRule is `signal [ACCESS] [set=SIGNALS] [peer=LABEL]`.
type SignalRule struct {
	Access  uint32   // SignalSend, SignalReceive; 0 is all
	Signals []string // names as apparmor_parser spells them (hup, rtmin+3); none is all
	Peer    string   // the peer's label, a pattern; "" is any
}

func (*SignalRule) Class() string { return "signal" }

func (s *SignalRule) String() string {
	out := signalAccess.format(s.Access)
	if len(s.Signals) > 0 {
		out += " " + condEq("set", s.Signals)
	}
	if s.Peer != "" {
		out += " peer=" + condSingle(s.Peer)
	}
	return out
}

func (s *SignalRule) patterns() []string { return nonEmpty(s.Peer) }

// signalNames are the signals apparmor_parser knows by name.
var signalNames = map[string]bool{"hup": true, "int": true, "quit": true, "ill": true, "trap": true, "abrt": true,
	"bus": true, "fpe": true, "kill": true, "usr1": true, "segv": true, "usr2": true, "pipe": true, "alrm": true,
	"term": true, "stkflt": true, "chld": true, "cont": true, "stop": true, "stp": true, "ttin": true, "ttou": true,
	"urg": true, "xcpu": true, "xfsz": true, "vtalrm": true, "prof": true, "winch": true, "io": true, "pwr": true,
	"sys": true, "emt": true, "exists": true}

// maxRTOffset is the highest N of rtmin+N apparmor_parser accepts.
const maxRTOffset = 32

// normalSignal validates a signal name and writes it in normal form.
// rtmin+N takes N as apparmor_parser reads it: a decimal number, leading
// white space and a sign allowed, the digits up to the first other byte,
// a negative number wrapping around as an unsigned long does.
func normalSignal(s string) (string, bool) {
	if signalNames[s] {
		return s, true
	}
	rest, ok := strings.CutPrefix(s, "rtmin+")
	if !ok {
		return "", false
	}
	rest = strings.TrimLeft(rest, " \t\n\v\f\r")
	neg := false
	if rest != "" && (rest[0] == '+' || rest[0] == '-') {
		neg, rest = rest[0] == '-', rest[1:]
	}
	var n uint64
	for i := 0; i < len(rest) && rest[i] >= '0' && rest[i] <= '9'; i++ {
		d := uint64(rest[i] - '0')
		if n > (^uint64(0)-d)/10 {
			return "", false // out of range: the largest unsigned long
		}
		n = n*10 + d
	}
	if neg {
		n = -n
	}
	if n > maxRTOffset {
		return "", false
	}
	return "rtmin+" + strconv.FormatUint(n, 10), true
}

func parseSignal(kw word, ws []word) (ClassRule, error) {
	c := newRScan(kw, ws)
	s := &SignalRule{}
	var err error
	if s.Access, err = c.access(signalAccess); err != nil {
		return nil, err
	}
	peer := false
	for c.condAhead() {
		cd, err := c.cond(false)
		if err != nil {
			return nil, err
		}
		if cd.in {
			return nil, c.errf(cd.at, "keyword \"in\" is not allowed in signal rules")
		}
		switch cd.name {
		case "set":
			if cd.empty {
				return nil, c.errf(cd.at, "set=() names no signal")
			}
			for _, v := range cd.vals {
				n, ok := normalSignal(v)
				if !ok {
					return nil, c.errf(cd.at, "unknown signal %q (hup, int, ..., exists, rtmin+0 to rtmin+%d)", v, maxRTOffset)
				}
				s.Signals = append(s.Signals, n)
			}
		case "peer":
			if peer {
				return nil, c.errf(cd.at, "signal conditional \"peer\" can only be specified once")
			}
			if cd.list {
				return nil, c.errf(cd.at, "signal peer= takes one label, not a list")
			}
			if s.Peer, err = peerLabel(c, cd); err != nil {
				return nil, err
			}
			peer = true
		default:
			return nil, c.errf(cd.at, "invalid signal rule conditional %q (set, peer)", cd.name)
		}
	}
	return s, c.rest("signal")
}

// peerLabel is a peer= label: one pattern, never empty.
func peerLabel(c *rscan, cd *cond) (string, error) {
	v := cd.vals[0]
	if v == "" {
		return "", c.errf(cd.at, "%s= needs a value", cd.name)
	}
	return v, c.checkGlob(v, cd.at)
}

// rest refuses anything left after the rule's conditionals.
func (c *rscan) rest(class string) error {
	if c.eof() {
		return nil
	}
	at := c.i
	t := c.peekRaw("")
	if t == "" {
		t = c.s[at : at+1]
	}
	return c.errf(at, "unexpected %q in a %s rule (conditionals are written NAME=VALUE)", t, class)
}

// Access bits of ptrace rules.
const (
	PtraceRead uint32 = 1 << iota
	PtraceTrace
	PtraceReadBy
	PtraceTracedBy
)

var ptraceAccess = &accessClass{class: "ptrace", names: []string{"read", "trace", "readby", "tracedby"},
	alias: map[string]uint32{"write": PtraceTrace}, r: PtraceRead, w: PtraceTrace}

// PtraceRule is `ptrace [ACCESS] [peer=LABEL]`.
type PtraceRule struct {
	Access uint32 // PtraceRead, PtraceTrace, PtraceReadBy, PtraceTracedBy; 0 is all
	Peer   string
}

func (*PtraceRule) Class() string { return "ptrace" }

func (p *PtraceRule) String() string {
	out := ptraceAccess.format(p.Access)
	if p.Peer != "" {
		out += " peer=" + condSingle(p.Peer)
	}
	return out
}

func (p *PtraceRule) patterns() []string { return nonEmpty(p.Peer) }

func parsePtrace(kw word, ws []word) (ClassRule, error) {
	c := newRScan(kw, ws)
	p := &PtraceRule{}
	var err error
	if p.Access, err = c.access(ptraceAccess); err != nil {
		return nil, err
	}
	peer := false
	for c.condAhead() {
		cd, err := c.cond(false)
		if err != nil {
			return nil, err
		}
		if cd.in {
			return nil, c.errf(cd.at, "keyword \"in\" is not allowed in ptrace rules")
		}
		if cd.name != "peer" {
			return nil, c.errf(cd.at, "invalid ptrace rule conditional %q (peer)", cd.name)
		}
		if peer {
			return nil, c.errf(cd.at, "ptrace conditional \"peer\" can only be specified once")
		}
		if cd.list {
			return nil, c.errf(cd.at, "ptrace peer= takes one label, not a list")
		}
		if p.Peer, err = peerLabel(c, cd); err != nil {
			return nil, err
		}
		peer = true
	}
	return p, c.rest("ptrace")
}

func nonEmpty(vs ...string) []string {
	var out []string
	for _, v := range vs {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}
