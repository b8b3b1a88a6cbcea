package seccomp

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/linuxabi"
	"github.com/rampart-sec/rampart/internal/unitfile"
)

// A systemd service unit builds its seccomp filters from a dozen
// directives (SystemCallFilter=, RestrictAddressFamilies=,
// RestrictNamespaces=, ProtectClock=…), each one filter of its own,
// stacked in the kernel in systemd's order, the kernel taking the
// strictest answer (and, between two errnos, the later filter's).
// rampart reads them from the unit itself and writes the stack as one
// profile that answers every call as the stack does: for each system
// call, the strictest of the filters' unconditional answers, split by
// the one filter that looks at the call's arguments (no two of
// systemd's filters look at the arguments of the same call). Where an
// argument-dependent filter meets an allow list, the profile also says
// what the filter lets through (the complement), since the allow
// list's default would otherwise kill it. Facts are systemd 252's.

// isUnit says whether name is a systemd service unit.
func isUnit(name string) bool { return unitfile.Type(name) == "service" }

// IsUnit says whether Load and Parse read name as a systemd service
// unit's filters.
func IsUnit(name string) bool { return isUnit(name) }

// sdAct is one filter's answer for a call, with the filter's place in
// systemd's install order (a later filter's errno wins a tie).
type sdAct struct {
	act   specs.LinuxSeccompAction
	errno uint
	order int
}

func (a sdAct) ret() uint32 { return Ret(a.act, a.errno) }

var sdAllow = sdAct{act: specs.ActAllow}

// stricterOf is the kernel's choice between two filters' answers.
func stricterOf(a, b sdAct) sdAct {
	ra, rb := a.ret(), b.ret()
	switch {
	case stricter(ra, rb):
		return a
	case stricter(rb, ra):
		return b
	case a.order >= b.order:
		return a
	}
	return b
}

// sdBranch is one region of a call's arguments and a filter's answer
// there; a filter's branches for a call are disjoint and cover every
// call (the allowed regions written out).
type sdBranch struct {
	args []specs.LinuxSeccompArg
	act  sdAct
}

// sdFilters is the stack a unit builds.
type sdFilters struct {
	file   string
	uncond map[string][]sdAct    // syscall → unconditional answers
	cond   map[string][]sdBranch // syscall → the one argument filter's partition
	condBy map[string]string     // syscall → the directive that wrote cond
	// partial are the calls whose cond leaves a region unwritten, which
	// the default then answers, by the line that asked for it
	partial map[string]unitfile.Entry
	at      map[int]unitfile.Entry // the line of each filter's directive, by order
	scf     map[string]sdAct       // SystemCallFilter='s answers for the calls it names
	def     sdAct                  // SystemCallFilter='s default, for every other call
	arches  []specs.Arch           // the ABIs the filters cover
	notes   []string
}

// install order of systemd's filters (exec_child)
const (
	orderHostname = iota + 1
	orderAddressFamilies
	orderMDWE
	orderRealtime
	orderSUIDSGID
	orderNamespaces
	orderTunables
	orderModules
	orderLogs
	orderClock
	orderDevices
	orderArchitectures
	orderPersonality
	orderSyscallFilter
)

// sdOrders are the directives' filters' places in the install order.
var sdOrders = map[string]int{
	"ProtectHostname": orderHostname, "RestrictAddressFamilies": orderAddressFamilies,
	"MemoryDenyWriteExecute": orderMDWE, "RestrictRealtime": orderRealtime,
	"RestrictSUIDSGID": orderSUIDSGID, "RestrictNamespaces": orderNamespaces,
	"ProtectKernelTunables": orderTunables, "ProtectKernelModules": orderModules,
	"ProtectKernelLogs": orderLogs, "ProtectClock": orderClock, "PrivateDevices": orderDevices,
	"SystemCallArchitectures": orderArchitectures, "LockPersonality": orderPersonality,
	"SystemCallFilter": orderSyscallFilter,
}

var sdEPERM = func(order int) sdAct { return sdAct{act: specs.ActErrno, errno: 1, order: order} }

// parseUnit reads the seccomp directives of the service unit name.
func parseUnit(plat Platform, name string, body []byte, bounding caps.Set) (*Profile, error) {
	if plat.GOARCH != AMD64.GOARCH {
		// The stack's ABIs (SystemCallArchitectures=native, the i386
		// exceptions) are modeled for x86-64: read on another machine
		// they would describe a filter systemd does not build there.
		return nil, &Error{File: name, Err: fmt.Errorf("a service unit's filters are modeled for amd64 (x86-64, x86, x32), not %s: rampart will not predict or enforce them there", plat)}
	}
	u, err := unitfile.ReadBytes(name, body)
	if err != nil {
		return nil, err
	}
	// A key systemd does not know (a misspelt SystemCallFilter=) would
	// leave its filter out without a word: refused, as the systemd
	// package refuses it, for a unit named only as a profile too.
	for _, e := range u.Entries {
		switch {
		case e.Section != "Unit" && e.Section != "Service" && e.Section != "Install" && !strings.HasPrefix(e.Section, "X-"):
			return nil, &Error{File: e.File, Line: e.Line, Col: 1, Err: fmt.Errorf("[%s]: not a section of a service unit; systemd ignores it", e.Section)}
		case !unitfile.Known(e.Section, e.Key) && !strings.HasPrefix(e.Key, "X-"):
			return nil, sdBad(e, fmt.Errorf("not a key systemd %d knows in [%s]; systemd ignores it", unitfile.KeysVersion, e.Section))
		}
	}
	f := &sdFilters{file: name, uncond: map[string][]sdAct{}, cond: map[string][]sdBranch{}, condBy: map[string]string{},
		partial: map[string]unitfile.Entry{}, scf: map[string]sdAct{}, def: sdAllow, at: map[int]unitfile.Entry{}}
	if err := f.read(u.Section("Service")); err != nil {
		return nil, err
	}
	s, origins, err := f.spec()
	if err != nil {
		return nil, err
	}
	p, err := finish(name, s, nil)
	if err != nil {
		return nil, err
	}
	if len(p.Spec.Syscalls) == len(origins) {
		p.unit = origins
	}
	p.Bounding, p.platform = bounding, plat
	p.Notes = append(p.Notes, f.notes...)
	return p, nil
}

// read builds the stack from the [Service] entries.
func (f *sdFilters) read(es []unitfile.Entry) error {
	var (
		scf        sdSyscallFilter
		scfErrno   = sdAct{act: specs.ActKillProcess, order: orderSyscallFilter}
		families   sdFamilies
		retainNS   = uint64(nsAll)
		nsAt       unitfile.Entry
		archs      []string
		archAt     unitfile.Entry
		persona    uint64 // PER_LINUX
		flags      = map[string]unitfile.Entry{}
		scfWritten bool
	)
	for _, e := range es {
		var err error
		if o, ok := sdOrders[e.Key]; ok {
			f.at[o] = e
		}
		switch e.Key {
		case "SystemCallFilter":
			scfWritten = true
			err = scf.line(e)
		case "SystemCallErrorNumber":
			scfErrno, err = sdErrnoAction(e)
		case "RestrictAddressFamilies":
			err = families.line(e)
		case "RestrictNamespaces":
			retainNS, err = sdNamespaces(e, retainNS)
			nsAt = e
		case "SystemCallArchitectures":
			if e.Value == "" {
				archs = nil
			} else {
				archs = append(archs, strings.Fields(e.Value)...)
			}
			archAt = e
		case "Personality":
			switch e.Value {
			case "", "x86-64":
				persona = 0
			case "x86":
				persona = 8 // PER_LINUX32
			default:
				err = sdBad(e, fmt.Errorf("%q: rampart models x86-64 and x86 here", e.Value))
			}
		case "LockPersonality", "MemoryDenyWriteExecute", "RestrictRealtime", "RestrictSUIDSGID", "ProtectClock",
			"ProtectKernelModules", "ProtectKernelLogs", "ProtectKernelTunables", "ProtectHostname", "PrivateDevices":
			var on bool
			on, err = sdBool(e)
			if on {
				flags[e.Key] = e
			} else {
				delete(flags, e.Key)
			}
		}
		if err != nil {
			return err
		}
	}
	// The ABIs: SystemCallArchitectures= blocks the others outright
	// (libseccomp's bad-arch action); without it every filter covers
	// every ABI this machine runs.
	f.arches = []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32}
	if len(archs) > 0 {
		f.arches = []specs.Arch{specs.ArchX86_64}
		for _, a := range archs {
			switch a {
			case "native", "x86-64":
			case "x86":
				f.arches = append(f.arches, specs.ArchX86)
			case "x32":
				f.arches = append(f.arches, specs.ArchX32)
			default:
				return sdBad(archAt, fmt.Errorf("%q: not an x86 architecture systemd knows (native, x86-64, x86, x32)", a))
			}
		}
	}
	i386 := slices.Contains(f.arches, specs.ArchX86)

	if flags["ProtectHostname"].Key != "" {
		f.deny(orderHostname, sdEPERM(orderHostname), "sethostname", "setdomainname")
	}
	if families.set {
		if i386 {
			// systemd installs this filter only for ABIs without
			// socketcall: an i386 process would open any socket.
			return sdBad(families.at, errors.New("systemd does not apply RestrictAddressFamilies= to i386 system calls, so a 32-bit program opens any socket; rampart will not predict or enforce a filter that leaves that open without saying so: add SystemCallArchitectures=native"))
		}
		f.addressFamilies(families)
	}
	if e, ok := flags["MemoryDenyWriteExecute"]; ok {
		if i386 {
			f.notes = append(f.notes, fmt.Sprintf("%s: MemoryDenyWriteExecute= without SystemCallArchitectures=native: systemd refuses i386's old mmap(2) outright, which rampart's filter (one for every ABI) lets through, and refuses shmat(2) with SHM_EXEC on x86-64 and x32, which rampart's filter lets through as well (on i386 the call shares ipc(2), where the rule cannot be written apart); add SystemCallArchitectures=native for a filter that is systemd's", e.At()))
		}
		f.mdwe(i386)
	}
	if flags["RestrictRealtime"].Key != "" {
		f.realtime()
	}
	if e, ok := flags["RestrictSUIDSGID"]; ok {
		f.suidSGID()
		if knownSyscall("fchmodat2") != nil {
			f.notes = append(f.notes, fmt.Sprintf("%s: RestrictSUIDSGID=: systemd also refuses fchmodat2(2) (Linux 6.6) with a set-ID mode bit; this machine's libseccomp %s does not know the call, and rampart installs rules by number without conditions only, so its filter lets fchmodat2 through", e.At(), libseccompVersion()))
		}
	}
	if retainNS != nsAll {
		f.namespaces(retainNS, nsAt)
	}
	if flags["ProtectKernelTunables"].Key != "" {
		f.deny(orderTunables, sdEPERM(orderTunables), "_sysctl")
	}
	if flags["ProtectKernelModules"].Key != "" {
		f.deny(orderModules, sdEPERM(orderModules), expandGroup("@module")...)
	}
	if flags["ProtectKernelLogs"].Key != "" {
		f.deny(orderLogs, sdEPERM(orderLogs), "syslog")
	}
	if flags["ProtectClock"].Key != "" {
		f.deny(orderClock, sdEPERM(orderClock), expandGroup("@clock")...)
	}
	if flags["PrivateDevices"].Key != "" {
		f.deny(orderDevices, sdEPERM(orderDevices), expandGroup("@raw-io")...)
	}
	if flags["LockPersonality"].Key != "" {
		f.condition("LockPersonality=", "personality", []sdBranch{
			{args: []specs.LinuxSeccompArg{{Index: 0, Op: specs.OpNotEqual, Value: persona}}, act: sdEPERM(orderPersonality)},
			{args: []specs.LinuxSeccompArg{{Index: 0, Op: specs.OpEqualTo, Value: persona}}, act: sdAllow},
		})
	}
	if scfWritten && scf.mode != sdNone {
		f.syscallFilter(&scf, scfErrno)
	}
	return nil
}

// deny adds an unconditional answer for names.
func (f *sdFilters) deny(order int, a sdAct, names ...string) {
	for _, n := range names {
		f.uncond[n] = append(f.uncond[n], a)
	}
}

// condition sets the argument filter of a call.
func (f *sdFilters) condition(by, name string, bs []sdBranch) {
	f.cond[name], f.condBy[name] = bs, by
}

// spec writes the stack as one OCI filter, with the directive each
// rule is written for (the one whose answer it gives).
func (f *sdFilters) spec() (*specs.LinuxSeccomp, []unitfile.Entry, error) {
	var origins []unitfile.Entry
	s := &specs.LinuxSeccomp{DefaultAction: f.def.act, Architectures: f.arches}
	if f.def.act == specs.ActErrno {
		e := f.def.errno
		s.DefaultErrnoRet = &e
	}
	names := map[string]bool{}
	for n := range f.uncond {
		names[n] = true
	}
	for n := range f.cond {
		names[n] = true
	}
	for n := range f.scf {
		names[n] = true
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		// systemd skips a name its ABIs do not have (a group's cacheflush
		// on x86), and libseccomp's unknown names
		if knownSyscall(n) == nil && f.onSomeABI(n) {
			sorted = append(sorted, n)
		}
	}
	sort.Strings(sorted)
	defRet := f.def.ret()
	add := func(name string, a sdAct, args []specs.LinuxSeccompArg) {
		if a.ret() == defRet {
			return // the default answers it
		}
		r := specs.LinuxSyscall{Names: []string{name}, Action: a.act, Args: args}
		origins = append(origins, f.at[a.order])
		if a.act == specs.ActErrno {
			e := a.errno
			r.ErrnoRet = &e
		}
		s.Syscalls = append(s.Syscalls, r)
	}
	for _, n := range sorted {
		// The unconditional answer: SystemCallFilter='s (its default
		// when it does not name the call) and every other filter's.
		u, ok := f.scf[n]
		if !ok {
			u = f.def
		}
		for _, a := range f.uncond[n] {
			u = stricterOf(u, a)
		}
		bs, ok := f.cond[n]
		if !ok {
			add(n, u, nil)
			continue
		}
		same := true
		for _, b := range bs {
			if stricterOf(u, b.act).ret() != u.ret() {
				same = false
			}
		}
		if same {
			add(n, u, nil)
			continue
		}
		if e, ok := f.partial[n]; ok && u.ret() != defRet {
			return nil, nil, sdBad(e, fmt.Errorf("%s beside SystemCallFilter='s allow list: what it lets %s do cannot be written apart from what it refuses, so the allow list's default would answer it; rampart will not enforce or predict a filter other than systemd's (retain all namespace kinds or none, or drop %s from the allow list)", f.condBy[n], n, n))
		}
		for _, b := range bs {
			add(n, stricterOf(u, b.act), b.args)
		}
	}
	return s, origins, nil
}

// onSomeABI says whether one of the filters' ABIs has the call.
func (f *sdFilters) onSomeABI(name string) bool {
	for _, a := range Arches {
		if slices.Contains(f.arches, a.spec) {
			if _, ok := engineNumber(name, a); ok {
				return true
			}
		}
	}
	return false
}

// sdMode is SystemCallFilter='s list kind, decided by its first line.
type sdMode int

const (
	sdNone sdMode = iota
	sdAllowList
	sdDenyList
)

// sdSyscallFilter is SystemCallFilter= as read: the calls it names and
// each one's errno (-1: the filter's own action).
type sdSyscallFilter struct {
	mode  sdMode
	calls map[string]int
}

// line applies one SystemCallFilter= line as systemd's parser does: an
// empty value resets; the first line decides allow or deny list (an
// allow list starts with @default); later lines add to the list or, with
// "~", take from it; "name:errno" is for "~" lines only.
func (s *sdSyscallFilter) line(e unitfile.Entry) error {
	v := e.Value
	if v == "" {
		*s = sdSyscallFilter{}
		return nil
	}
	v, invert := strings.CutPrefix(v, "~")
	if s.mode == sdNone {
		s.calls = map[string]int{}
		if invert {
			s.mode = sdDenyList
		} else {
			s.mode = sdAllowList
			for _, n := range expandGroup("@default") {
				s.calls[n] = -1
			}
		}
	}
	for _, item := range strings.Fields(v) {
		nameOrGroup, errStr, hasErr := strings.Cut(item, ":")
		errno := -1
		if hasErr {
			if !invert {
				return sdBad(e, fmt.Errorf("%q: an errno is given on \"~\" lines only; systemd refuses the line", item))
			}
			if errStr == "kill" {
				errno = -2
			} else {
				n, err := containersErrno(errStr)
				if err != nil {
					return sdBad(e, err)
				}
				errno = int(n)
			}
		}
		var names []string
		if strings.HasPrefix(nameOrGroup, "@") {
			if _, ok := systemdGroups[nameOrGroup]; !ok {
				return sdBad(e, fmt.Errorf("%s: not a group systemd %d knows; it ignores the name, and the calls meant would not be in the filter", nameOrGroup, systemdVersion))
			}
			names = expandGroup(nameOrGroup)
		} else {
			if err := knownSyscall(nameOrGroup); err != nil {
				if errors.Is(err, errNoCompiler) {
					return err
				}
				return sdBad(e, fmt.Errorf("%q: not a system call libseccomp %s knows; systemd ignores it, and the rule would not be in the filter", nameOrGroup, libseccompVersion()))
			}
			names = []string{nameOrGroup}
		}
		for _, n := range names {
			switch {
			case s.mode == sdAllowList && !invert, s.mode == sdDenyList && invert:
				s.calls[n] = errno
			case s.mode == sdAllowList && invert && errno != -1:
				s.calls[n] = errno // kept, with its errno
			default:
				delete(s.calls, n)
			}
		}
	}
	return nil
}

// syscallFilter adds SystemCallFilter=: its answers are kept apart from
// the other filters' (scfAnswer) since its default covers every call
// it does not name.
func (f *sdFilters) syscallFilter(s *sdSyscallFilter, negative sdAct) {
	negative.order = orderSyscallFilter
	answer := func(errno int) sdAct {
		switch errno {
		case -1:
			return negative
		case -2:
			return sdAct{act: specs.ActKillProcess, order: orderSyscallFilter}
		}
		return sdAct{act: specs.ActErrno, errno: uint(errno), order: orderSyscallFilter}
	}
	f.def = sdAllow
	if s.mode == sdAllowList {
		f.def = negative
	}
	for n, errno := range s.calls {
		a := answer(errno)
		if s.mode == sdAllowList && errno == -1 {
			a = sdAct{act: specs.ActAllow, order: orderSyscallFilter}
		}
		f.scf[n] = a
	}
}

// expandGroup lists a group's calls, its nested groups expanded.
func expandGroup(g string) []string {
	var out []string
	seen := map[string]bool{}
	var walk func(string)
	walk = func(g string) {
		if seen[g] {
			return
		}
		seen[g] = true
		for _, n := range systemdGroups[g] {
			if strings.HasPrefix(n, "@") {
				walk(n)
			} else {
				out = append(out, n)
			}
		}
	}
	walk(g)
	return out
}

// sdErrnoAction reads SystemCallErrorNumber=: an errno, or "kill" (and
// empty) for the default, killing the process.
func sdErrnoAction(e unitfile.Entry) (sdAct, error) {
	switch e.Value {
	case "", "kill":
		return sdAct{act: specs.ActKillProcess, order: orderSyscallFilter}, nil
	}
	n, err := containersErrno(e.Value)
	if err != nil {
		return sdAct{}, sdBad(e, err)
	}
	if n == 0 {
		return sdAct{}, sdBad(e, errors.New("0 is no errno: systemd refuses it"))
	}
	return sdAct{act: specs.ActErrno, errno: n, order: orderSyscallFilter}, nil
}

// sdFamilies is RestrictAddressFamilies= as read.
type sdFamilies struct {
	set   bool
	allow bool
	fams  map[uint64]bool
	at    unitfile.Entry
}

// addressFamily is the number of a family name systemd reads
// (AF_LOCAL is AF_UNIX's other name).
func addressFamily(name string) (uint64, bool) {
	if name == "AF_LOCAL" {
		name = "AF_UNIX"
	}
	for n, f := range linuxabi.Families {
		if f == name && n > 0 {
			return uint64(n), true
		}
	}
	return 0, false
}

// line applies one RestrictAddressFamilies= line: empty resets, "none"
// allows nothing, the first line decides allow or deny list, later
// lines add or (with "~") take away.
func (s *sdFamilies) line(e unitfile.Entry) error {
	v := e.Value
	s.at = e
	if v == "" {
		*s = sdFamilies{}
		return nil
	}
	if v == "none" {
		*s = sdFamilies{set: true, allow: true, fams: map[uint64]bool{}, at: e}
		return nil
	}
	v, invert := strings.CutPrefix(v, "~")
	if !s.set {
		*s = sdFamilies{set: true, allow: !invert, fams: map[uint64]bool{}, at: e}
	}
	for _, name := range strings.Fields(v) {
		n, ok := addressFamily(name)
		if !ok {
			return sdBad(e, fmt.Errorf("%q: not an address family systemd knows; it ignores the name", name))
		}
		if s.allow != invert {
			s.fams[n] = true
		} else {
			delete(s.fams, n)
		}
	}
	return nil
}

// addressFamilies: socket(2)'s family is refused with EAFNOSUPPORT
// outside an allow list (below its lowest family, above its highest,
// or a family between them it does not name) or inside a deny list.
// The regions are written out whole, the allowed ones too, so that an
// allow list's default does not answer them.
func (f *sdFilters) addressFamilies(s sdFamilies) {
	deny := sdAct{act: specs.ActErrno, errno: 97, order: orderAddressFamilies}
	if len(s.fams) == 0 {
		if s.allow {
			f.deny(orderAddressFamilies, deny, "socket")
		}
		return
	}
	eq := func(v uint64) []specs.LinuxSeccompArg {
		return []specs.LinuxSeccompArg{{Index: 0, Op: specs.OpEqualTo, Value: v}}
	}
	var bs []sdBranch
	if s.allow {
		var lo, hi uint64 = 1<<64 - 1, 0
		for n := range s.fams {
			lo, hi = min(lo, n), max(hi, n)
		}
		bs = append(bs, sdBranch{[]specs.LinuxSeccompArg{{Index: 0, Op: specs.OpLessThan, Value: lo}}, deny},
			sdBranch{[]specs.LinuxSeccompArg{{Index: 0, Op: specs.OpGreaterThan, Value: hi}}, deny})
		for v := lo; v <= hi; v++ {
			a := deny
			if s.fams[v] {
				a = sdAllow
			}
			bs = append(bs, sdBranch{eq(v), a})
		}
	} else {
		var hi uint64
		for n := range s.fams {
			hi = max(hi, n)
		}
		for v := uint64(0); v <= hi; v++ {
			a := sdAllow
			if s.fams[v] {
				a = deny
			}
			bs = append(bs, sdBranch{eq(v), a})
		}
		bs = append(bs, sdBranch{[]specs.LinuxSeccompArg{{Index: 0, Op: specs.OpGreaterThan, Value: hi}}, sdAllow})
	}
	f.condition("RestrictAddressFamilies=", "socket", bs)
}

// mdwe: MemoryDenyWriteExecute= refuses a mapping both writable and
// executable, and making memory executable afterwards.
func (f *sdFilters) mdwe(i386 bool) {
	const protExec, protWrite, shmExec = 4, 2, 0o100000
	deny := sdEPERM(orderMDWE)
	masked := func(i uint, mask, v uint64) []specs.LinuxSeccompArg {
		return []specs.LinuxSeccompArg{{Index: i, Op: specs.OpMaskedEqual, Value: mask, ValueTwo: v}}
	}
	f.condition("MemoryDenyWriteExecute=", "mmap", []sdBranch{
		{masked(2, protExec|protWrite, protExec|protWrite), deny},
		{masked(2, protExec|protWrite, 0), sdAllow},
		{masked(2, protExec|protWrite, protExec), sdAllow},
		{masked(2, protExec|protWrite, protWrite), sdAllow},
	})
	if i386 {
		f.condition("MemoryDenyWriteExecute=", "mmap2", f.cond["mmap"])
	}
	for _, n := range []string{"mprotect", "pkey_mprotect"} {
		f.condition("MemoryDenyWriteExecute=", n, []sdBranch{{masked(2, protExec, protExec), deny}, {masked(2, protExec, 0), sdAllow}})
	}
	if i386 {
		return
	}
	f.condition("MemoryDenyWriteExecute=", "shmat", []sdBranch{{masked(2, shmExec, shmExec), deny}, {masked(2, shmExec, 0), sdAllow}})
}

// realtime: RestrictRealtime= refuses sched_setscheduler(2) to every
// policy but SCHED_OTHER, SCHED_BATCH and SCHED_IDLE.
func (f *sdFilters) realtime() {
	deny := sdEPERM(orderRealtime)
	var bs []sdBranch
	for p := uint64(0); p <= 5; p++ {
		a := deny
		if p == 0 || p == 3 || p == 5 {
			a = sdAllow
		}
		bs = append(bs, sdBranch{[]specs.LinuxSeccompArg{{Index: 1, Op: specs.OpEqualTo, Value: p}}, a})
	}
	bs = append(bs, sdBranch{[]specs.LinuxSeccompArg{{Index: 1, Op: specs.OpGreaterThan, Value: 5}}, deny})
	f.condition("RestrictRealtime=", "sched_setscheduler", bs)
}

// suidSGID: RestrictSUIDSGID= refuses to make a set-user-ID or
// set-group-ID file (the mode's S_ISUID or S_ISGID bit), and openat2,
// whose mode it cannot see.
func (f *sdFilters) suidSGID() {
	const suid, sgid, oCreat = 0o4000, 0o2000, 0o100
	deny := sdEPERM(orderSUIDSGID)
	m := func(i uint, mask, v uint64) specs.LinuxSeccompArg {
		return specs.LinuxSeccompArg{Index: i, Op: specs.OpMaskedEqual, Value: mask, ValueTwo: v}
	}
	modeAt := map[string]uint{"chmod": 1, "fchmod": 1, "fchmodat": 2, "mkdir": 1, "mkdirat": 2, "mknod": 1, "mknodat": 2, "creat": 1}
	if knownSyscall("fchmodat2") == nil {
		modeAt["fchmodat2"] = 2 // Linux 6.6; see read's note where it is unknown
	}
	for n, i := range modeAt {
		f.condition("RestrictSUIDSGID=", n, []sdBranch{
			{[]specs.LinuxSeccompArg{m(i, suid, suid)}, deny},
			{[]specs.LinuxSeccompArg{m(i, sgid, sgid)}, deny},
			{[]specs.LinuxSeccompArg{m(i, suid|sgid, 0)}, sdAllow},
		})
	}
	for n, i := range map[string]uint{"open": 1, "openat": 2} {
		f.condition("RestrictSUIDSGID=", n, []sdBranch{
			{[]specs.LinuxSeccompArg{m(i, oCreat, oCreat), m(i+1, suid, suid)}, deny},
			{[]specs.LinuxSeccompArg{m(i, oCreat, oCreat), m(i+1, sgid, sgid)}, deny},
			{[]specs.LinuxSeccompArg{m(i, oCreat, oCreat), m(i+1, suid|sgid, 0)}, sdAllow},
			{[]specs.LinuxSeccompArg{m(i, oCreat, 0)}, sdAllow},
		})
	}
	f.deny(orderSUIDSGID, sdAct{act: specs.ActErrno, errno: 38, order: orderSUIDSGID}, "openat2")
}

// Namespace flags, as clone(2) and unshare(2) take them.
const (
	nsCgroup = 0x02000000
	nsIPC    = 0x08000000
	nsNet    = 0x40000000
	nsMnt    = 0x00020000
	nsPID    = 0x20000000
	nsUser   = 0x10000000
	nsUTS    = 0x04000000
	nsAll    = nsCgroup | nsIPC | nsNet | nsMnt | nsPID | nsUser | nsUTS
)

var nsNames = map[string]uint64{"cgroup": nsCgroup, "ipc": nsIPC, "net": nsNet, "mnt": nsMnt, "pid": nsPID, "user": nsUser, "uts": nsUTS}

// sdNamespaces applies one RestrictNamespaces= line to the set of
// namespace kinds retained: yes keeps none, no (or empty) all; a list
// keeps what it names and "~list" all but; a later list adds (or with
// "~" takes away).
func sdNamespaces(e unitfile.Entry, retain uint64) (uint64, error) {
	if b, ok := unitfile.Bool(e.Value); ok {
		// yes keeps none; no (and empty, the default) every kind
		if b {
			return 0, nil
		}
		return nsAll, nil
	}
	v, invert := strings.CutPrefix(e.Value, "~")
	var set uint64
	for _, n := range strings.Fields(v) {
		f, ok := nsNames[n]
		if !ok {
			return 0, sdBad(e, fmt.Errorf("%q: not a namespace kind (cgroup ipc net mnt pid user uts)", n))
		}
		set |= f
	}
	if retain == nsAll || retain == 0 {
		// the first list replaces the default
		if invert {
			return nsAll &^ set, nil
		}
		return set, nil
	}
	if invert {
		return retain &^ set, nil
	}
	return retain | set, nil
}

// namespaces: RestrictNamespaces= refuses clone(2) and unshare(2) with
// a refused kind's flag, setns(2) into one (or any, with nstype 0), and
// clone3(2) outright with ENOSYS, since its flags are behind a pointer
// (so that libc falls back to clone).
func (f *sdFilters) namespaces(retain uint64, at unitfile.Entry) {
	deny := sdEPERM(orderNamespaces)
	blocked := nsAll &^ retain
	f.deny(orderNamespaces, sdAct{act: specs.ActErrno, errno: 38, order: orderNamespaces}, "clone3")
	m := func(i uint, mask, v uint64) []specs.LinuxSeccompArg {
		return []specs.LinuxSeccompArg{{Index: i, Op: specs.OpMaskedEqual, Value: mask, ValueTwo: v}}
	}
	for _, n := range []string{"clone", "unshare"} {
		bs := []sdBranch{{m(0, blocked, 0), sdAllow}}
		for _, flag := range []uint64{nsCgroup, nsIPC, nsNet, nsMnt, nsPID, nsUser, nsUTS} {
			if blocked&flag != 0 {
				bs = append(bs, sdBranch{m(0, flag, flag), deny})
			}
		}
		f.condition("RestrictNamespaces=", n, bs)
	}
	if retain == 0 {
		f.deny(orderNamespaces, deny, "setns")
		return
	}
	// setns with nstype 0 or a refused kind is refused. What it lets
	// through (a non-zero nstype without a refused kind) is no region
	// the filter format can write without overlapping nstype 0, so it
	// is left to the default: spec refuses the unit if that default
	// is not to allow.
	bs := []sdBranch{{[]specs.LinuxSeccompArg{{Index: 1, Op: specs.OpEqualTo, Value: 0}}, deny}}
	for _, flag := range []uint64{nsCgroup, nsIPC, nsNet, nsMnt, nsPID, nsUser, nsUTS} {
		if blocked&flag != 0 {
			bs = append(bs, sdBranch{m(1, flag, flag), deny})
		}
	}
	f.condition("RestrictNamespaces=", "setns", bs)
	f.partial["setns"] = at
}

func sdBool(e unitfile.Entry) (bool, error) {
	if b, ok := unitfile.Bool(e.Value); ok {
		return b, nil
	}
	return false, sdBad(e, fmt.Errorf("%q: not a boolean; systemd ignores the line", e.Value))
}

func sdBad(e unitfile.Entry, err error) error {
	return &Error{File: e.File, Line: e.Line, Col: 1, Field: e.Key, Err: err}
}
