package apparmor

import "strings"

// Access bits of unix rules.
const (
	UnixSend uint32 = 1 << iota
	UnixReceive
	UnixBind
	UnixCreate
	UnixAccept
	UnixConnect
	UnixListen
	UnixShutdown
	UnixGetattr
	UnixSetattr
	UnixGetopt
	UnixSetopt
)

var unixAccess = &accessClass{class: "unix", names: []string{"send", "receive", "bind", "create", "accept",
	"connect", "listen", "shutdown", "getattr", "setattr", "getopt", "setopt"},
	alias: map[string]uint32{"write": UnixSend, "read": UnixReceive}, r: UnixReceive, w: UnixSend}

// unixLocalOnly are the accesses on the task's own socket, which no
// peer conditional can narrow.
const unixLocalOnly = UnixCreate | UnixShutdown | UnixSetattr | UnixGetattr | UnixBind | UnixListen | UnixSetopt | UnixGetopt

// UnixRule is `unix [ACCESS] [type=TYPE] [addr=ADDR] [peer=(label=LABEL addr=ADDR)]`.
type UnixRule struct {
	Access uint32 // Unix*; 0 is all
	Type   string // socket type; "" is any
	Addr   string // none, auto, or @abstract (a pattern); "" is any
	// Peer says peer=(...) was written; PeerLabel and PeerAddr narrow it.
	Peer                bool
	PeerLabel, PeerAddr string
}

func (*UnixRule) Class() string { return "unix" }

func (u *UnixRule) String() string {
	out := unixAccess.format(u.Access)
	if u.Type != "" {
		out += " type=" + u.Type
	}
	if u.Addr != "" {
		out += " addr=" + condSingle(u.Addr)
	}
	if u.Peer {
		var in []string
		if u.PeerLabel != "" {
			in = append(in, "label="+condValue(u.PeerLabel))
		}
		if u.PeerAddr != "" {
			in = append(in, "addr="+condValue(u.PeerAddr))
		}
		out += " peer=(" + strings.Join(in, " ") + ")"
	}
	return out
}

func (u *UnixRule) patterns() []string { return nonEmpty(u.Addr, u.PeerLabel, u.PeerAddr) }

// unixAddr validates an addr= value: none, auto, or an abstract socket
// name (@...), a pattern.
func unixAddr(c *rscan, v string, at int) error {
	if v == "none" || v == "auto" {
		return nil
	}
	if !strings.HasPrefix(v, "@") {
		return c.errf(at, "unix rule: invalid value for addr=%q (none, auto, or an abstract name @...)", v)
	}
	return c.checkGlob(v, at)
}

func parseUnix(kw word, ws []word) (ClassRule, error) {
	c := newRScan(kw, ws)
	u := &UnixRule{}
	var err error
	if u.Access, err = c.access(unixAccess); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for c.condAhead() {
		cd, err := c.cond(false)
		if err != nil {
			return nil, err
		}
		if cd.name == "peer" {
			if !cd.list {
				return nil, c.errf(cd.at, "unix rule: peer takes a list of conditionals: peer=(label=... addr=...)")
			}
			if err := u.parsePeer(c.sub(cd.from, cd.to)); err != nil {
				return nil, err
			}
			u.Peer = true
			if !c.eof() {
				return nil, c.errf(c.i, "unix rule: peer=(...) comes last")
			}
			break
		}
		switch cd.name {
		case "type", "addr":
		case "protocol":
			return nil, c.errf(cd.at, "unix rule: the protocol conditional is not supported by apparmor_parser")
		case "label":
			return nil, c.errf(cd.at, "unix rule: label is only valid inside peer=(...)")
		default:
			return nil, c.errf(cd.at, "unix rule: invalid conditional %q (type, addr, peer)", cd.name)
		}
		if cd.in {
			return nil, c.errf(cd.at, "unix rule: keyword \"in\" is not allowed in the %s conditional", cd.name)
		}
		if seen[cd.name] {
			return nil, c.errf(cd.at, "unix conditional %q can only be specified once", cd.name)
		}
		seen[cd.name] = true
		if len(cd.vals) != 1 {
			return nil, c.errf(cd.at, "unix rule: conditional %q takes one value", cd.name)
		}
		v := cd.vals[0]
		if cd.name == "type" {
			if !isType(v) {
				return nil, c.errf(cd.at, "unix rule: invalid socket type %q (%s)", v, strings.Join(netTypes, ", "))
			}
			u.Type = v
			continue
		}
		if err := unixAddr(c, v, cd.at); err != nil {
			return nil, err
		}
		u.Addr = v
	}
	if err := c.rest("unix"); err != nil {
		return nil, err
	}
	// A peer conditional on an access that involves no peer would
	// never match: apparmor_parser refuses the rule.
	if (u.PeerLabel != "" || u.PeerAddr != "") && u.Access&unixLocalOnly != 0 {
		return nil, c.ruleErrf("unix rule: the create, shutdown, setattr, getattr, bind, listen, setopt and getopt accesses cannot be used with peer conditionals")
	}
	return u, nil
}

func (u *UnixRule) parsePeer(c *rscan) error {
	for !c.eof() {
		if c.s[c.i] == ',' {
			c.i++
			continue
		}
		if !c.condAhead() {
			return c.errf(c.i, "unix rule: expected a peer conditional (label=, addr=), found %q", c.peerRaw())
		}
		cd, err := c.cond(true)
		if err != nil {
			return err
		}
		var dst *string
		switch cd.name {
		case "label":
			dst = &u.PeerLabel
		case "addr":
			dst = &u.PeerAddr
		case "type":
			return c.errf(cd.at, "unix rule: type is not allowed inside peer=(...)")
		default:
			return c.errf(cd.at, "unix rule: invalid peer conditional %q (label, addr)", cd.name)
		}
		if cd.in {
			return c.errf(cd.at, "unix rule: keyword \"in\" is not allowed in the %s conditional", cd.name)
		}
		if *dst != "" {
			return c.errf(cd.at, "unix conditional %q can only be specified once", cd.name)
		}
		if len(cd.vals) != 1 || cd.vals[0] == "" {
			return c.errf(cd.at, "unix rule: conditional %q takes one value", cd.name)
		}
		v := cd.vals[0]
		if cd.name == "addr" {
			err = unixAddr(c, v, cd.at)
		} else {
			err = c.checkGlob(v, cd.at)
		}
		if err != nil {
			return err
		}
		*dst = v
	}
	return nil
}

func (c *rscan) peerRaw() string {
	t := c.peekRaw(",)")
	if t == "" && c.i < c.end {
		t = c.s[c.i : c.i+1]
	}
	return t
}

// Access bits of dbus rules.
const (
	DBusSend uint32 = 1 << iota
	DBusReceive
	DBusBind
	DBusEavesdrop
)

var dbusAccess = &accessClass{class: "dbus", names: []string{"send", "receive", "bind", "eavesdrop"},
	alias: map[string]uint32{"write": DBusSend, "read": DBusReceive}, r: DBusReceive, w: DBusSend}

// DBusRule is `dbus [ACCESS] [bus=BUS] [path=PATH] [interface=IFACE]
// [member=MEMBER] [name=NAME] [peer=(name=NAME label=LABEL)]`. Every
// value is a pattern.
type DBusRule struct {
	Access uint32 // DBus*; 0 is all
	Bus    string
	// Message conditionals: what a message is sent to or received from.
	Path, Interface, Member string
	// Name is the service name a bind rule owns.
	Name string
	// Peer says peer=(...) was written; PeerName and PeerLabel narrow it.
	Peer                bool
	PeerName, PeerLabel string
}

func (*DBusRule) Class() string { return "dbus" }

func (d *DBusRule) String() string {
	out := dbusAccess.format(d.Access)
	for _, kv := range []struct{ k, v string }{{"bus", d.Bus}, {"path", d.Path}, {"interface", d.Interface},
		{"member", d.Member}, {"name", d.Name}} {
		if kv.v != "" {
			out += " " + kv.k + "=" + condSingle(kv.v)
		}
	}
	if d.Peer {
		var in []string
		if d.PeerName != "" {
			in = append(in, "name="+condValue(d.PeerName))
		}
		if d.PeerLabel != "" {
			in = append(in, "label="+condValue(d.PeerLabel))
		}
		out += " peer=(" + strings.Join(in, " ") + ")"
	}
	return out
}

func (d *DBusRule) patterns() []string {
	return nonEmpty(d.Bus, d.Path, d.Interface, d.Member, d.Name, d.PeerName, d.PeerLabel)
}

func parseDBus(kw word, ws []word) (ClassRule, error) {
	c := newRScan(kw, ws)
	d := &DBusRule{}
	var err error
	if d.Access, err = c.access(dbusAccess); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for c.condAhead() {
		cd, err := c.cond(false)
		if err != nil {
			return nil, err
		}
		if cd.name == "peer" {
			if !cd.list {
				return nil, c.errf(cd.at, "dbus rule: peer takes a list of conditionals: peer=(name=... label=...)")
			}
			if err := d.cond(c.sub(cd.from, cd.to), seen, true); err != nil {
				return nil, err
			}
			d.Peer = true
			if !c.eof() {
				return nil, c.errf(c.i, "dbus rule: peer=(...) comes last")
			}
			break
		}
		if err := d.set(c, cd, seen, false); err != nil {
			return nil, err
		}
	}
	if err := c.rest("dbus"); err != nil {
		return nil, err
	}
	return d, d.check(c)
}

// cond reads the conditionals inside peer=(...).
func (d *DBusRule) cond(c *rscan, seen map[string]bool, peer bool) error {
	for !c.eof() {
		if c.s[c.i] == ',' {
			c.i++
			continue
		}
		if !c.condAhead() {
			return c.errf(c.i, "dbus rule: expected a conditional inside peer=(...), found %q", c.peerRaw())
		}
		cd, err := c.cond(true)
		if err != nil {
			return err
		}
		if err := d.set(c, cd, seen, peer); err != nil {
			return err
		}
	}
	return nil
}

// set records one conditional. The conditionals share one namespace:
// name inside peer=(...) is the peer's, outside the bound service's, and
// either may be written once.
func (d *DBusRule) set(c *rscan, cd *cond, seen map[string]bool, peer bool) error {
	var dst *string
	switch cd.name {
	case "bus":
		dst = &d.Bus
	case "path":
		dst = &d.Path
	case "interface":
		dst = &d.Interface
	case "member":
		dst = &d.Member
	case "name":
		dst = &d.Name
		if peer {
			dst = &d.PeerName
		}
	case "label":
		if !peer {
			return c.errf(cd.at, "dbus rule: label is only valid inside peer=(...)")
		}
		dst = &d.PeerLabel
	default:
		return c.errf(cd.at, "invalid dbus conditional %q (bus, path, interface, member, name, peer)", cd.name)
	}
	if cd.in {
		return c.errf(cd.at, "keyword \"in\" is not allowed in dbus rules")
	}
	if seen[cd.name] {
		return c.errf(cd.at, "dbus conditional %q can only be specified once", cd.name)
	}
	seen[cd.name] = true
	if len(cd.vals) != 1 {
		return c.errf(cd.at, "dbus conditional %q only supports a single value", cd.name)
	}
	if cd.vals[0] == "" {
		return c.errf(cd.at, "%s= needs a value", cd.name)
	}
	if err := c.checkGlob(cd.vals[0], cd.at); err != nil {
		return err
	}
	*dst = cd.vals[0]
	return nil
}

// check refuses what apparmor_parser refuses: conditionals that cannot
// apply to the accesses named, which would leave the rule matching
// nothing (or something else than it says).
func (d *DBusRule) check(c *rscan) error {
	message := d.Path != "" || d.Interface != "" || d.Member != "" || d.PeerName != "" || d.PeerLabel != ""
	service := d.Name != ""
	switch {
	case d.Access == 0 && message && service:
		return c.ruleErrf("dbus rule contains message conditionals and service conditionals")
	case d.Access&(DBusSend|DBusReceive) != 0 && service:
		return c.ruleErrf("dbus rule: the send and receive accesses cannot be used with the service conditional name= (outside peer)")
	case d.Access&DBusBind != 0 && message:
		return c.ruleErrf("dbus rule: the bind access cannot be used with message conditionals (path, interface, member, peer)")
	case d.Access&DBusEavesdrop != 0 && (message || service):
		return c.ruleErrf("dbus rule: the eavesdrop access can only have a bus conditional")
	}
	return nil
}
