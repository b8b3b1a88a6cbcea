//go:build linux && (amd64 || arm64)

package record

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"path/filepath"
	"slices"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"

	"github.com/rampart-sec/rampart/internal/cachedir"
)

// The programs read kernel structures (task_struct, dentry, mount, ...)
// through CO-RE relocations: each offset compiled in is one of record.c's
// own views, and is rewritten at load to where the running kernel puts
// the field, as the kernel's BTF says. Decoding that BTF (5 MB, over
// 100,000 types, and every loaded module's) was the largest part of
// loading the programs in user space, for an answer of a few hundred
// numbers that stays the same until the next boot. The relocations are
// therefore resolved here, before cilium/ebpf's loader sees the
// programs, once a boot: the answer is kept in the cache directory
// (cache.go) with the boot and the BPF object it belongs to, and
// applied from there after. Where this cannot resolve a relocation, the
// programs are left as they are and the loader resolves them itself.

// coreFile is the cache file's name in the cache directory.
const coreFile = "core.json"

type coreEntry struct {
	Boot string `json:"boot"`
	// Object is the SHA-256 of the BPF object the fixes are for: another
	// rampart's programs relocate differently.
	Object string `json:"object"`
	// Fixes lists, per program, each relocated instruction with the
	// offset or immediate it was given.
	Fixes map[string][]coreFix `json:"fixes"`
}

type coreFix struct {
	Insn  int   `json:"insn"` // index in the program's instructions
	Value int64 `json:"value"`
}

// coreCache is where this boot's answer for this object is kept.
type coreCache struct {
	dir, file    string
	boot, object string
	entry        *coreEntry // read from the cache; nil when there is none to use
}

// openCORE reads the cache entry for object, if there is one for this
// boot that only this user could have written.
func openCORE(object []byte) *coreCache {
	sum := sha256.Sum256(object)
	c := &coreCache{boot: cachedir.BootID(), object: hex.EncodeToString(sum[:])}
	dir, err := cachedir.Dir("record")
	if c.boot == "" || err != nil {
		return c
	}
	c.dir, c.file = dir, filepath.Join(dir, coreFile)
	var e coreEntry
	if cachedir.ReadJSON(c.file, &e) == nil && e.Boot == c.boot && e.Object == c.object {
		c.entry = &e
	}
	return c
}

// store keeps fixes for the next recordings of this boot; a failed store
// only costs the next recording time.
func (c *coreCache) store(fixes map[string][]coreFix) {
	if c.file != "" {
		cachedir.WriteJSON(c.dir, c.file, coreEntry{Boot: c.boot, Object: c.object, Fixes: fixes})
	}
}

// relocateCORE resolves spec's CO-RE relocations, from the cache's entry
// when it fits spec, else from the kernel's BTF (kernel), and applies
// them; the programs are then left with none for the loader to resolve.
// It reports the fixes and whether they came from the cache. On an error
// spec is unchanged.
func relocateCORE(spec *ebpf.CollectionSpec, c *coreCache, kernel *btf.Cache) (map[string][]coreFix, bool, error) {
	if c.entry != nil && applyCORE(spec, c.entry.Fixes) == nil {
		return c.entry.Fixes, true, nil
	}
	fixes, err := resolveCORE(spec, kernel)
	if err == nil {
		err = applyCORE(spec, fixes)
	}
	if err != nil {
		return nil, false, err
	}
	return fixes, false, nil
}

// resolveCORE finds each relocation's answer in the kernel's BTF and its
// modules', as cilium/ebpf's loader would (the same call, the same
// targets), without changing spec.
func resolveCORE(spec *ebpf.CollectionSpec, kernel *btf.Cache) (map[string][]coreFix, error) {
	vmlinux, err := kernel.Kernel()
	if err != nil {
		return nil, err
	}
	targets := []*btf.Spec{vmlinux}
	mods, err := kernel.Modules()
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for _, m := range mods {
		s, err := kernel.Module(m)
		if err != nil {
			return nil, fmt.Errorf("BTF of module %s: %w", m, err)
		}
		targets = append(targets, s)
	}
	// A relocation to the program's own type IDs depends on how the
	// loader numbers them: left to the loader (record.c has none).
	noLocal := func(btf.Type) (btf.TypeID, error) {
		return 0, errors.New("a relocation to a local type ID")
	}
	fixes := map[string][]coreFix{}
	for name, p := range spec.Programs {
		var relos []*btf.CORERelocation
		var at []int
		for i := range p.Instructions {
			if r := btf.CORERelocationMetadata(&p.Instructions[i]); r != nil {
				relos = append(relos, r)
				at = append(at, i)
			}
		}
		fixes[name] = []coreFix{}
		if len(relos) == 0 {
			continue
		}
		bo := p.ByteOrder
		if bo == nil {
			bo = binary.LittleEndian
		}
		res, err := btf.CORERelocate(relos, targets, bo, noLocal)
		if err != nil {
			return nil, fmt.Errorf("program %s: %w", name, err)
		}
		for j, f := range res {
			ins := p.Instructions[at[j]]
			if err := f.Apply(&ins); err != nil {
				return nil, fmt.Errorf("program %s: %w", name, err)
			}
			// A relocation that cannot be satisfied replaces the
			// instruction with one the verifier refuses, so that only a
			// path that reaches it fails: the loader's to do and to
			// explain, not an answer to keep.
			if old := p.Instructions[at[j]]; ins.OpCode != old.OpCode || ins.Dst != old.Dst || ins.Src != old.Src {
				return nil, fmt.Errorf("program %s: instruction %d: relocation not satisfied by this kernel", name, at[j])
			}
			v := ins.Constant
			if cls := ins.OpCode.Class(); cls == asm.LdXClass || cls == asm.StClass || cls == asm.StXClass {
				v = int64(ins.Offset)
			}
			fixes[name] = append(fixes[name], coreFix{Insn: at[j], Value: v})
		}
	}
	return fixes, nil
}

// applyCORE writes fixes into spec's programs and removes the
// relocations they answer. fixes must answer exactly the relocations
// spec has, each with a value its instruction can hold; else nothing is
// changed. A fix only ever sets the offset of a load or store, or the
// immediate of a constant: a cache entry cannot change what the
// programs do, only where in a kernel structure they read, and only
// this user could have written it.
func applyCORE(spec *ebpf.CollectionSpec, fixes map[string][]coreFix) error {
	if !slices.Equal(slices.Sorted(maps.Keys(spec.Programs)), slices.Sorted(maps.Keys(fixes))) {
		return errors.New("CO-RE fixes: not the object's programs")
	}
	type edit struct {
		ins    *asm.Instruction
		offset bool
		value  int64
	}
	var edits []edit
	for name, p := range spec.Programs {
		fs := fixes[name]
		n := 0
		for i := range p.Instructions {
			ins := &p.Instructions[i]
			if btf.CORERelocationMetadata(ins) == nil {
				continue
			}
			if n >= len(fs) || fs[n].Insn != i {
				return fmt.Errorf("CO-RE fixes: program %s: instruction %d's relocation has no fix", name, i)
			}
			e := edit{ins: ins, value: fs[n].Value}
			switch cls := ins.OpCode.Class(); {
			case cls == asm.LdXClass || cls == asm.StClass || cls == asm.StXClass:
				if e.value < math.MinInt16 || e.value > math.MaxInt16 {
					return fmt.Errorf("CO-RE fixes: program %s: instruction %d: offset %d out of range", name, i, e.value)
				}
				e.offset = true
			case cls == asm.LdClass && ins.IsConstantLoad(asm.DWord):
			case (cls == asm.ALUClass || cls == asm.ALU64Class) && ins.OpCode.Source() == asm.ImmSource && ins.OpCode.ALUOp() != asm.Swap:
				if e.value < math.MinInt32 || e.value > math.MaxInt32 {
					return fmt.Errorf("CO-RE fixes: program %s: instruction %d: immediate %d out of range", name, i, e.value)
				}
			default:
				return fmt.Errorf("CO-RE fixes: program %s: instruction %d (%v) cannot be relocated", name, i, ins.OpCode)
			}
			edits = append(edits, e)
			n++
		}
		if n != len(fs) {
			return fmt.Errorf("CO-RE fixes: program %s: %d fixes for %d relocations", name, len(fs), n)
		}
	}
	for _, e := range edits {
		if e.offset {
			e.ins.Offset = int16(e.value)
		} else {
			e.ins.Constant = e.value
		}
		*e.ins = btf.WithCORERelocationMetadata(*e.ins, nil)
	}
	return nil
}
