package record

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/lsm/apparmor"
	"github.com/rampart-sec/rampart/lsm/landlock"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/seccomp"
)

// Missing is one thing a recorded run used that a policy does not allow.
type Missing struct {
	// Layer is the refusing layer: policy.LayerCapabilities,
	// LayerSeccomp, LayerAppArmor or LayerLandlock.
	Layer string `json:"layer"`
	// What names the use: "syscall unshare (x86_64)", "capability
	// NET_BIND_SERVICE", "file /etc/shadow r".
	What string `json:"what"`
	// Why says what in the policy refuses it.
	Why string `json:"why"`
	// Count is how often the run asked.
	Count uint64 `json:"count"`
}

func (m Missing) String() string { return m.Layer + ": " + m.What + ": " + m.Why }

// Check lists what rec used that p does not allow, layer by layer: each
// granted capability check against the capability set; each syscall on
// its ABI, and each argument value seen, against the seccomp profile's
// rules (an argument the recording did not see is assumed to satisfy
// them); each file, socket kind and capability against the AppArmor
// profile; each file against the Landlock rules. Empty means the run
// stayed within the policy. An error means the policy could not be read.
func Check(rec *Recording, p *policy.Policy) ([]Missing, error) {
	c := &checker{rec: rec}
	set := caps.Full
	if p.Capabilities != nil {
		// a launcher that has everything, as root on a host
		set = p.Capabilities.Resolve(caps.Full, caps.Full)
		c.capabilities(set)
	}
	prof, err := seccomp.LoadOn(recordingPlatform(rec), p.Seccomp, set)
	if err != nil {
		return nil, err
	}
	if prof != nil {
		c.seccomp(prof)
	}
	if a := p.AppArmor; a != nil && a.Kind != policy.AppArmorUnconfined {
		if err := c.apparmor(a); err != nil {
			return nil, err
		}
	}
	if len(p.Landlock) > 0 {
		if err := c.landlock(p.Landlock); err != nil {
			return nil, err
		}
	}
	slices.SortStableFunc(c.out, func(a, b Missing) int {
		return cmp.Or(cmp.Compare(a.Layer, b.Layer), cmp.Compare(a.What, b.What))
	})
	return c.out, nil
}

type checker struct {
	rec *Recording
	out []Missing
}

func (c *checker) miss(layer, what, why string, n uint64) {
	c.out = append(c.out, Missing{Layer: layer, What: what, Why: why, Count: n})
}

func (c *checker) capabilities(set caps.Set) {
	for _, u := range c.rec.Capabilities {
		cp, err := caps.Parse(u.Cap)
		if err != nil || u.Granted == 0 || set.Has(cp) {
			continue
		}
		c.miss(policy.LayerCapabilities, "capability "+cp.String(), "not in the set the policy leaves ("+set.String()+")", u.Granted)
	}
}

// seccomp decides every syscall and argument value on its ABI with the
// profile's rules, as the engine installs them.
func (c *checker) seccomp(prof *seccomp.Profile) {
	rules := prof.Rules()
	for _, abi := range slices.Sorted(maps.Keys(c.rec.Syscalls)) {
		arch, ok := specArch(abi)
		sa, err := seccomp.ArchByName(abi)
		if !ok || err != nil || !slices.Contains(prof.Platform().Arches, sa) {
			continue
		}
		listed := slices.Contains(prof.Spec.Architectures, arch) || len(prof.Spec.Architectures) == 0 && sa == prof.Platform().Native()
		for _, name := range slices.Sorted(maps.Keys(c.rec.Syscalls[abi])) {
			n := c.rec.Syscalls[abi][name]
			if n == 0 {
				continue
			}
			what := fmt.Sprintf("syscall %s (%s)", name, abi)
			if !listed {
				c.miss(policy.LayerSeccomp, what, "the profile does not list the "+abi+" ABI: the filter refuses it wholesale", n)
				continue
			}
			ok, why := decide(prof, rules, name, nil, sa.Low32())
			if !ok && name == "clone3" && strings.HasSuffix(why, "(ENOSYS)") {
				// libc falls back to clone(2): the flags must pass there
				ok = true
				for _, a := range c.rec.Args {
					if a.ABI == abi && a.Syscall == "clone3" && a.Arg == -1 {
						if fine, why := decide(prof, rules, "clone", map[int]uint64{0: a.Value}, sa.Low32()); !fine {
							c.miss(policy.LayerSeccomp, fmt.Sprintf("clone3 flags %#x, through the fallback to clone (%s)", a.Value, abi), why, a.Count)
						}
					}
				}
			}
			if !ok {
				c.miss(policy.LayerSeccomp, what, why, n)
			}
		}
		paired := map[string]bool{}
		for _, s := range c.rec.Sockets {
			f, ok1 := parseFamily(s.Family)
			t, ok2 := parseSockType(s.Type)
			if !ok1 || !ok2 || sa.Bits32 || c.rec.Syscalls[abi][s.Syscall] == 0 {
				continue
			}
			paired[s.Syscall] = true
			if ok, why := decide(prof, rules, s.Syscall, map[int]uint64{0: f, 1: t}, false); !ok && listed {
				c.miss(policy.LayerSeccomp, fmt.Sprintf("%s(%s, %s) (%s)", s.Syscall, s.Family, s.Type, abi), why, s.Count)
			}
		}
		for _, a := range c.rec.Args {
			if a.ABI != abi || a.Arg < 0 || paired[a.Syscall] || !listed {
				continue
			}
			if ok, why := decide(prof, rules, a.Syscall, map[int]uint64{a.Arg: a.Value}, sa.Low32()); !ok {
				c.miss(policy.LayerSeccomp, fmt.Sprintf("%s arg%d = %#x (%s)", a.Syscall, a.Arg, a.Value, abi), why, a.Count)
			}
		}
	}
}

// decide says whether some rule allows name with the known argument
// values (the others assumed to satisfy any condition), and if not what
// refuses it.
func decide(prof *seccomp.Profile, rules []seccomp.Rule, name string, known map[int]uint64, bits32 bool) (bool, string) {
	defAct := seccomp.ActionString(prof.Spec.DefaultAction, errnoOr(prof.Spec.DefaultErrnoRet))
	var refusal string
	for _, r := range rules {
		if r.Name != name || !accepts(r, known, bits32) {
			continue
		}
		if r.Action == specs.ActAllow || r.Action == specs.ActLog {
			return true, ""
		}
		if refusal == "" {
			refusal = "rule " + seccomp.ActionString(r.Action, r.ErrnoValue())
		}
	}
	if refusal != "" {
		return false, refusal
	}
	if prof.Spec.DefaultAction == specs.ActAllow || prof.Spec.DefaultAction == specs.ActLog {
		return true, ""
	}
	return false, "not allowed: the default action " + defAct
}

func errnoOr(e *uint) uint {
	if e == nil {
		return 1 // EPERM, the engine's default
	}
	return *e
}

// accepts reports whether r's conditions can hold given the known
// argument values.
func accepts(r seccomp.Rule, known map[int]uint64, bits32 bool) bool {
	if len(r.Args) == 0 {
		return true
	}
	some, all := false, true
	for _, a := range r.Args {
		v, ok := known[int(a.Index)]
		if !ok {
			some = true // an unknown argument may satisfy it
			continue
		}
		var args [6]uint64
		args[a.Index] = v
		m := seccomp.Rule{Args: []specs.LinuxSeccompArg{a}}.Matches(args, bits32)
		some = some || m
		all = all && m
	}
	if r.ORed {
		return some
	}
	return all
}

// apparmor evaluates the run's files, sockets and capabilities with the
// profile, its includes resolved as on this machine.
func (c *checker) apparmor(a *policy.AppArmor) error {
	var prof *apparmor.Profile
	switch {
	case a.Kind == policy.AppArmorRuntimeDefault:
		doc, err := apparmor.Generate(apparmor.Options{Name: "runtime-default", ContainerDefault: true})
		if err != nil {
			return err
		}
		prof = doc.Profiles[0]
	case a.File != "":
		var err error
		if prof, err = apparmor.ProfileIn(a.File, a.Name); err != nil {
			return err
		}
	default:
		return fmt.Errorf("AppArmor profile %s: its source is needed to check against it (give the profile file)", a)
	}
	comp, err := apparmor.Compile(prof, apparmor.SystemIncludes)
	if err != nil {
		return err
	}
	eval := func(what string, acc apparmor.Access, n uint64) {
		d, err := comp.Eval(acc)
		if err != nil {
			c.miss(policy.LayerAppArmor, what, err.Error(), n)
		} else if !d.Allowed {
			c.miss(policy.LayerAppArmor, what, strings.TrimSpace(d.Reason+" "+d.Where()), n)
		}
	}
	for _, f := range c.rec.Files {
		perms, _ := apparmorPerms(f.Mode)
		if perms == 0 {
			continue
		}
		for _, p := range decidedPaths(f) {
			eval("file "+p+" "+f.Mode, apparmor.Access{Class: apparmor.ClassFile, Path: p, Perms: perms}, f.Count)
		}
	}
	for _, s := range c.rec.Sockets {
		fam, ok1 := parseFamily(s.Family)
		typ, ok2 := parseSockType(s.Type)
		if !ok1 || !ok2 {
			continue
		}
		acc, err := apparmor.ParseAccess("network " + strings.ToLower(strings.TrimPrefix(familyName(uint32(fam)), "AF_")) + " " + strings.ToLower(strings.TrimPrefix(sockTypeName(uint32(typ)), "SOCK_")))
		if err != nil {
			continue
		}
		eval(fmt.Sprintf("%s(%s, %s)", s.Syscall, s.Family, s.Type), acc, s.Count)
	}
	for _, u := range c.rec.Capabilities {
		if cp, err := caps.Parse(u.Cap); err == nil && u.Granted > 0 {
			eval("capability "+cp.String(), apparmor.Access{Class: apparmor.ClassCapability, Capability: cp}, u.Granted)
		}
	}
	return nil
}

func rawOrPath(f FileAccess) []string {
	if len(f.Raw) > 0 {
		return f.Raw
	}
	return []string{f.Path}
}

// landlock compiles the rules as the launcher would and checks that each
// access's rights are granted where Landlock looks for them.
func (c *checker) landlock(rules []policy.FSRule) error {
	fsys := landlock.OSFS{}
	plan, err := landlock.Compile(rules, fsys)
	if err != nil {
		return err
	}
	need := func(what, p string, rights landlock.Access, n uint64) {
		res, err := fsys.Resolve(p)
		if err != nil {
			return
		}
		if lack := rights & plan.Handled &^ plan.Effective(res); lack != 0 {
			c.miss(policy.LayerLandlock, what, fmt.Sprintf("no %s granted at %s", lack, res), n)
		}
	}
	for _, f := range c.rec.Files {
		for _, raw := range rawOrPath(f) {
			if strings.Contains(raw, "@{") || strings.HasPrefix(raw, "/proc/") && strings.Contains(f.Mode, "x") {
				continue
			}
			what := "file " + raw + " " + f.Mode
			dir := strings.HasSuffix(f.Path, "/")
			var rights landlock.Access
			for _, m := range f.Mode {
				switch {
				case m == 'r' && dir:
					rights |= landlock.ReadDir
				case m == 'r':
					rights |= landlock.ReadFile
				case m == 'w' || m == 'a':
					rights |= landlock.WriteFile
				case m == 'x':
					rights |= landlock.Execute | landlock.ReadFile
				}
			}
			if rights != 0 {
				need(what, raw, rights, f.Count)
			}
			if strings.ContainsAny(f.Mode, "cl") {
				made := landlock.MakeReg
				if dir {
					made = landlock.MakeDir
				}
				parent := raw[:strings.LastIndexByte(strings.TrimSuffix(raw, "/"), '/')+1]
				need(what, parent, made, f.Count)
			}
		}
	}
	for _, e := range c.rec.Exec {
		if in := elfInterpreter(e); in != "" {
			need("interpreter "+in+" of "+e, in, landlock.Execute|landlock.ReadFile, 1)
		}
	}
	return nil
}
