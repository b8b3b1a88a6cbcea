package caps

import (
	"encoding/binary"
	"fmt"
)

// Sets are a task's five capability sets.
type Sets struct {
	Bounding, Effective, Permitted, Inheritable, Ambient Set
}

// FileCaps are a program's file capabilities, the security.capability
// extended attribute that setcap(8) writes.
type FileCaps struct {
	Permitted, Inheritable Set
	Effective              bool // the "e" flag: raise pP' into pE'
}

// ParseFileCaps decodes a security.capability value (VFS_CAP_REVISION
// 1, 2 or 3; version 3 adds the owning user namespace's root uid, which
// does not change the sets).
func ParseFileCaps(b []byte) (*FileCaps, error) {
	if len(b) < 4 {
		return nil, fmt.Errorf("security.capability: %d bytes", len(b))
	}
	le := binary.LittleEndian
	magic := le.Uint32(b)
	fc := &FileCaps{Effective: magic&1 != 0}
	words := 0
	switch magic &^ 1 {
	case 0x01000000:
		words = 1
	case 0x02000000, 0x03000000:
		words = 2
	default:
		return nil, fmt.Errorf("security.capability: unknown revision %#x", magic&^1)
	}
	if len(b) < 4+8*words {
		return nil, fmt.Errorf("security.capability: %d bytes for revision %#x", len(b), magic&^1)
	}
	for i := 0; i < words; i++ {
		fc.Permitted |= Set(le.Uint32(b[4+8*i:])) << (32 * i)
		fc.Inheritable |= Set(le.Uint32(b[8+8*i:])) << (32 * i)
	}
	return fc, nil
}

// ExecContext is what decides a task's sets across execve besides its
// own sets.
type ExecContext struct {
	// RealRoot and EffectiveRoot: the task's real and effective uid are 0
	// after execve (a set-user-ID bit already applied, if it applies).
	RealRoot, EffectiveRoot bool
	// SetID: execve changes the effective uid or gid (a set-ID program
	// without no_new_privs).
	SetID bool
	// File is the program's file capabilities, nil when it has none.
	File *FileCaps
	// NoNewPrivs: the task has no_new_privs, so execve gains nothing.
	NoNewPrivs bool
	// NoRoot: SECBIT_NOROOT is set, so uid 0 is not special.
	NoRoot bool
}

// Exec returns the sets a task holds after execve, by the kernel's rules
// (security/commoncap.c, cap_bprm_creds_from_file):
//
//	pP' = (fP & pB) | (pI & fI) | pA'      pA' = 0 with file caps or set-ID
//	pE' = fE ? pP' : pA'                   pI' = pI, pB' = pB
//
// where root (not under SECBIT_NOROOT) counts as having every file
// capability, with fE when the effective uid is 0. This is why a non-root
// workload keeps only its ambient set: it has no file capabilities.
//
// A program whose file capabilities carry the e flag is refused (EPERM)
// when it would not get all of its permitted ones: it was written to
// assume it has them. Exec returns that refusal as an error.
func (s Sets) Exec(c ExecContext) (Sets, error) {
	out := Sets{Bounding: s.Bounding, Inheritable: s.Inheritable, Ambient: s.Ambient}
	effective := false
	hasFile := c.File != nil
	if hasFile {
		out.Permitted = (c.File.Permitted & s.Bounding) | (s.Inheritable & c.File.Inheritable)
		effective = c.File.Effective
		if missing := c.File.Permitted.Minus(out.Permitted); effective && missing != 0 {
			return out, fmt.Errorf("the program's file capabilities (with e) need %s, which the bounding and inheritable sets do not give: the kernel refuses to run it (EPERM)", missing)
		}
	}
	if suidRoot := c.EffectiveRoot && !c.RealRoot; !c.NoRoot && !(hasFile && suidRoot) {
		// Root gets every file capability, except that a program run
		// set-user-ID-root by another user keeps its own file
		// capabilities only.
		if c.EffectiveRoot || c.RealRoot {
			out.Permitted = s.Bounding | s.Inheritable
		}
		if c.EffectiveRoot {
			effective = true
		}
	}
	if gained := out.Permitted.Minus(s.Permitted) != 0; (c.SetID || gained) && c.NoNewPrivs {
		out.Permitted &= s.Permitted
	}
	if hasFile || c.SetID {
		out.Ambient = 0
	}
	out.Permitted |= out.Ambient
	if effective {
		out.Effective = out.Permitted
	} else {
		out.Effective = out.Ambient
	}
	return out, nil
}
