package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/strictjson"
)

// LayerPolicy names refusals of a policy file itself.
const LayerPolicy = "policy"

// Decode reads a rampart.policy/v1 file strictly: an unknown field, an
// unknown kind, mode or capability, a key written twice or in another
// case, trailing data, a missing schema or an empty file is a refusal
// naming file:line:col. A lenient reading would turn a misspelt layer
// into no layer at all, and the workload would run with less than was
// asked. name is the file's path: relative profile paths are resolved
// against its directory, and the result holds absolute paths.
//
// The unversioned Go-struct dump older rampart wrote is refused with
// the command that converts it (see DecodeLegacy).
func Decode(name string, b []byte) (*Policy, error) {
	p, err := decode(name, b)
	if err != nil {
		return nil, &LayerError{Layer: LayerPolicy, Err: err}
	}
	return p, nil
}

func decode(name string, b []byte) (*Policy, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, fmt.Errorf("%s: empty file: a policy file holds one JSON object with \"schema\": %q", name, Schema)
	}
	if err := checkSchema(name, b); err != nil {
		return nil, err
	}
	// Keys exactly as the fields are spelt, each once, none unknown, and
	// nothing after the object: a case variant or a second "seccomp"
	// must not change what the file says without a word.
	doc, err := strictjson.Check(b, reflect.TypeFor[File](), strictjson.Options{DisallowUnknown: true, Locate: true})
	if err != nil {
		return nil, strictjson.InFile(err, name)
	}
	var f File
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, typeError(name, b, err)
	}
	dir, err := filepath.Abs(filepath.Dir(name))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	d := &decoder{name: name, doc: doc, dir: dir}
	p := d.policy(&f)
	if err := errors.Join(d.errs...); err != nil {
		return nil, err
	}
	// Every value was checked on the way; the model's own check stays
	// as the last word, so that nothing the launcher would skip passes.
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return p, nil
}

// checkSchema refuses a file that is not rampart.policy/v1 before its
// fields are looked at, so that another version, another of rampart's
// formats or an old dump is named as what it is, not as a list of
// unknown fields.
func checkSchema(name string, b []byte) error {
	var top map[string]json.RawMessage
	if json.Unmarshal(b, &top) != nil || top == nil {
		return nil // not an object: the strict check says where
	}
	raw, ok := top["schema"]
	if !ok {
		if _, err := DecodeLegacy(name, b); err == nil && len(top) > 0 {
			return fmt.Errorf("%s: an unversioned policy (the Go struct dump rampart wrote before %s), which is no longer read: convert it with `rampart policy convert %s -o NEW.json`", name, Schema, name)
		}
		return fmt.Errorf("%s:1:1: no \"schema\": a policy file starts with \"schema\": %q", name, Schema)
	}
	var s string
	if json.Unmarshal(raw, &s) != nil || s != Schema {
		line, col := 1, 1
		if doc, err := strictjson.Check(b, nil, strictjson.Options{Locate: true}); err == nil {
			line, col = doc.Pos("schema")
		}
		return fmt.Errorf("%s:%d:%d: schema %s: want %q", name, line, col, raw, Schema)
	}
	return nil
}

// decoder turns a File into a Policy, collecting every refusal with
// where it was written.
type decoder struct {
	name string
	doc  *strictjson.Doc
	dir  string
	errs []error
}

func (d *decoder) bad(path, format string, a ...any) {
	l, c := d.doc.Pos(path)
	d.errs = append(d.errs, &strictjson.Error{File: d.name, Line: l, Col: c, Path: path, Err: fmt.Errorf(format, a...)})
}

// origin is where the value at path was written: file:line:col.
func (d *decoder) origin(path string) string {
	l, c := d.doc.Pos(path)
	return fmt.Sprintf("%s:%d:%d", d.name, l, c)
}

// path resolves a file named in the policy against the policy's
// directory.
func (d *decoder) path(p string) string {
	switch {
	case p == "":
		return ""
	case filepath.IsAbs(p):
		return filepath.Clean(p)
	}
	return filepath.Join(d.dir, p)
}

func (d *decoder) policy(f *File) *Policy {
	p := &Policy{Source: f.Source, NoNewPrivs: f.NoNewPrivs, LSMFallback: f.LSMFallback}
	if len(f.AllowDevices) > 0 {
		p.AllowDevices = f.AllowDevices
	}
	if p.Source == "" {
		p.Source = d.name
	}
	if f.Recording != "" {
		p.Recording = d.path(f.Recording)
	}
	if f.Capabilities != nil {
		p.Capabilities = d.capabilities(f.Capabilities)
	}
	if u := f.User; u != nil {
		if u.UID == nil || u.GID == nil {
			// A group left out would be group 0, root's: a reader of the
			// file cannot see that.
			d.bad("user", "want both \"uid\" and \"gid\"")
		} else {
			p.User = &User{UID: *u.UID, GID: *u.GID}
			if *u.UID < 0 || *u.UID > maxID || *u.GID < 0 || *u.GID > maxID {
				d.bad("user", "uid %d, gid %d: want 0 to %d", *u.UID, *u.GID, maxID)
			}
		}
	}
	if s := f.Seccomp; s != nil {
		p.Seccomp = d.seccomp(s)
	}
	if a := f.AppArmor; a != nil {
		p.AppArmor = d.apparmor(a)
	}
	for i, r := range f.Landlock {
		p.Landlock = append(p.Landlock, d.rule(i, r))
	}
	for i, w := range f.Scope {
		if err := checkScope(w); err != nil {
			d.bad(fmt.Sprintf("scope[%d]", i), "%v", err)
		}
	}
	p.addScopes(f.Scope)
	if u := f.UserNS; u != nil {
		p.UserNS = &UserNS{}
		if u.HostID != nil {
			if *u.HostID == 0 {
				d.bad("userns.hostID", "0 maps the workload's root to the host's root: leave hostID out to let the launcher pick a block")
			}
			p.UserNS.HostID = *u.HostID
		}
		if u.Size != nil {
			if *u.Size == 0 {
				d.bad("userns.size", "0 ids map nothing: leave size out for %d", DefaultUserNSSize)
			}
			p.UserNS.Size = *u.Size
		}
		if err := p.UserNS.check(); err != nil {
			d.bad("userns", "%v", err)
		}
	}
	for i, dev := range f.AllowDevices {
		if err := checkFilePath(dev); err != nil {
			d.bad(fmt.Sprintf("allowDevices[%d]", i), "%v", err)
		}
	}
	switch f.LSMFallback {
	case "", "landlock":
	default:
		d.bad("lsmFallback", "%q: the only fallback is %q", f.LSMFallback, "landlock")
	}
	return p
}

func (d *decoder) capabilities(fc *FileCapabilities) *Capabilities {
	c := &Capabilities{InheritBase: fc.Inherit, Ambient: fc.Ambient}
	c.AddAll, c.Add = d.capList("capabilities.add", fc.Add, true)
	c.DropAll, c.Drop = d.capList("capabilities.drop", fc.Drop, true)
	switch {
	case fc.Base != nil && fc.Inherit:
		d.bad("capabilities.base", "\"inherit\": true and a base: choose one")
	case fc.Base != nil:
		_, c.Base = d.capList("capabilities.base", *fc.Base, false)
	case !fc.Inherit && !c.AddAll && !c.DropAll:
		// What the adds and drops apply to must be written: an absent
		// base read as "none" would drop everything, read as "what the
		// launcher has" would keep it, and the reader cannot tell.
		d.bad("capabilities", "say what the adds and drops apply to: \"inherit\": true (the launcher's own set) or \"base\": [NAMES]")
	}
	return c
}

// capList reads a list of capability names: NET_RAW or CAP_NET_RAW, as
// the runtimes spell them, and ALL where withAll.
func (d *decoder) capList(path string, names []string, withAll bool) (bool, caps.Set) {
	var isAll bool
	var s caps.Set
	for i, n := range names {
		at := path + "[" + strconv.Itoa(i) + "]"
		if n == all {
			if !withAll {
				d.bad(at, "ALL is for add and drop; a base lists its capabilities")
			}
			isAll = true
			continue
		}
		c, err := caps.Parse(n)
		switch {
		case err != nil:
			d.bad(at, "%q: no capability rampart knows", n)
		case n != c.String() && n != c.OCI():
			d.bad(at, "%q: write %s (or %s)", n, c.String(), c.OCI())
		default:
			s = s.Add(c)
		}
	}
	return isAll, s
}

func (d *decoder) seccomp(s *FileSeccomp) Seccomp {
	out := Seccomp{Kind: SeccompKind(s.Kind), Origin: s.Origin}
	if out.Origin == "" {
		out.Origin = d.origin("seccomp")
	}
	if s.Runtime != "" {
		if out.Kind != SeccompRuntimeDefault {
			d.bad("seccomp.runtime", "kind %q takes no runtime: a runtime names whose %s it is", s.Kind, SeccompRuntimeDefault)
		} else if s.Runtime != "docker" && s.Runtime != "podman" {
			d.bad("seccomp.runtime", "%q: want docker or podman (a runtime whose default profile rampart run enforces)", s.Runtime)
		}
		out.Runtime = s.Runtime
	}
	switch out.Kind {
	case SeccompUnconfined, SeccompRuntimeDefault:
		if s.Path != "" {
			d.bad("seccomp.path", "kind %q takes no path", s.Kind)
		}
	case SeccompFile:
		if s.Path == "" {
			d.bad("seccomp", "kind %q needs a path", s.Kind)
		}
		out.Path = d.path(s.Path)
	default:
		d.bad("seccomp.kind", "%q: want one of %q, %q, %q (no \"seccomp\" at all for none)", s.Kind, SeccompUnconfined, SeccompRuntimeDefault, SeccompFile)
	}
	return out
}

func (d *decoder) apparmor(a *FileAppArmor) *AppArmor {
	out := &AppArmor{Kind: AppArmorKind(a.Kind), Name: a.Name, Origin: a.Origin}
	if out.Origin == "" {
		out.Origin = d.origin("apparmor")
	}
	switch out.Kind {
	case AppArmorUnconfined, AppArmorRuntimeDefault:
		// A name or a file here would be ignored by the launcher.
		if a.Name != "" || a.File != "" {
			d.bad("apparmor", "kind %q takes no name and no file", a.Kind)
		}
	case AppArmorLocalhost:
		if a.Name == "" {
			d.bad("apparmor", "kind %q needs a name", a.Kind)
		}
		if a.File != "" {
			out.File = d.path(a.File)
		}
	default:
		d.bad("apparmor.kind", "%q: want one of %q, %q, %q", a.Kind, AppArmorUnconfined, AppArmorRuntimeDefault, AppArmorLocalhost)
	}
	return out
}

func (d *decoder) rule(i int, r FileRule) FSRule {
	at := fmt.Sprintf("landlock[%d]", i)
	out := FSRule{Mode: FSMode(r.Mode), Path: r.Path, Access: r.Access, Origin: r.Origin}
	if out.Origin == "" {
		out.Origin = d.origin(at)
	}
	switch out.Mode {
	case DenyRead, DenyWrite, ReadOnly:
		if r.Access != "" {
			// Only allow rules have an access; on a deny it would be
			// ignored, and the reader would think it narrowed the deny.
			d.bad(at+".access", "mode %q takes no access", r.Mode)
		}
	case Allow:
		if r.Access == "" || strings.Trim(r.Access, "rwx") != "" {
			d.bad(at+".access", "%q: want a combination of r, w and x", r.Access)
		}
	default:
		d.bad(at+".mode", "%q: want one of %q, %q, %q, %q", r.Mode, DenyRead, DenyWrite, ReadOnly, Allow)
	}
	if err := checkFilePath(r.Path); err != nil {
		d.bad(at+".path", "%v", err)
	}
	return out
}

// checkFilePath is checkPath for a path a policy file names: it must be
// absolute. A relative one would be resolved against whatever directory
// rampart is started in, and a deny rule naming a path that is not there
// is only a note: the file's deny would silently deny nothing.
func checkFilePath(p string) error {
	if err := checkPath(p); err != nil {
		return err
	}
	if !filepath.IsAbs(p) {
		return fmt.Errorf("%q is relative: a policy file names paths from / (a relative one would follow the directory rampart runs in)", p)
	}
	return nil
}

// typeError names where a value of the wrong JSON type was written.
func typeError(name string, b []byte, err error) error {
	var ute *json.UnmarshalTypeError
	if !errors.As(err, &ute) {
		return fmt.Errorf("%s: %w", name, err)
	}
	l, c := strictjson.LineCol(b, tokenStart(b, int(ute.Offset)))
	return &strictjson.Error{File: name, Line: l, Col: c, Path: ute.Field, Err: fmt.Errorf("want %s, found %s", jsonKind(ute.Type), ute.Value)}
}

// tokenStart finds where the token ending at end starts: the decoder
// reports the offset after a scalar, or after the opening delimiter of
// an object or array, and the reader wants where the value begins.
func tokenStart(b []byte, end int) int {
	dec := json.NewDecoder(bytes.NewReader(b))
	for {
		start := int(dec.InputOffset())
		for start < len(b) && strings.IndexByte(" \t\r\n:,", b[start]) >= 0 {
			start++
		}
		if _, err := dec.Token(); err != nil || int(dec.InputOffset()) > end {
			return end
		}
		if int(dec.InputOffset()) == end {
			return start
		}
	}
}

func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int64, reflect.Uint, reflect.Uint64:
		return "a whole number in range"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "a list"
	}
	return "an object"
}

// Validate checks that every value of p is one the launcher knows, so
// that no part of a policy can be skipped for being unrecognised.
func (p *Policy) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if c := p.Capabilities; c != nil {
		for _, s := range []struct {
			field string
			set   caps.Set
		}{{"Base", c.Base}, {"Add", c.Add}, {"Drop", c.Drop}} {
			if extra := s.set.Minus(caps.Full); extra != 0 {
				bad("Capabilities.%s: bits %#x are no capability rampart knows", s.field, uint64(extra))
			}
		}
	}
	if u := p.User; u != nil && (u.UID < 0 || u.GID < 0 || u.UID > maxID || u.GID > maxID) {
		bad("User: uid %d, gid %d: want 0 to %d", u.UID, u.GID, maxID)
	}
	switch p.Seccomp.Kind {
	case SeccompNone, SeccompUnconfined, SeccompRuntimeDefault:
	case SeccompFile:
		if p.Seccomp.Path == "" {
			bad("Seccomp: kind %q needs a Path", p.Seccomp.Kind)
		}
	default:
		bad("Seccomp.Kind %q: want one of %q, %q, %q (or empty for none)", p.Seccomp.Kind, SeccompUnconfined, SeccompRuntimeDefault, SeccompFile)
	}
	if a := p.AppArmor; a != nil {
		switch a.Kind {
		case AppArmorUnconfined, AppArmorRuntimeDefault:
		case AppArmorLocalhost:
			if a.Name == "" {
				bad("AppArmor: kind %q needs a Name", a.Kind)
			}
		default:
			bad("AppArmor.Kind %q: want one of %q, %q, %q", a.Kind, AppArmorUnconfined, AppArmorRuntimeDefault, AppArmorLocalhost)
		}
	}
	for i, r := range p.Landlock {
		switch r.Mode {
		case DenyRead, DenyWrite, ReadOnly:
		case Allow:
			if r.Access == "" || strings.Trim(r.Access, "rwx") != "" {
				bad("Landlock[%d]: access %q: want a combination of r, w and x", i, r.Access)
			}
		default:
			bad("Landlock[%d].Mode %q: want one of %q, %q, %q, %q", i, r.Mode, DenyRead, DenyWrite, ReadOnly, Allow)
		}
		if err := checkPath(r.Path); err != nil {
			bad("Landlock[%d].Path: %v", i, err)
		}
	}
	for i, w := range p.Scope {
		if err := checkScope(w); err != nil {
			bad("Scope[%d]: %v", i, err)
		}
	}
	for i, d := range p.AllowDevices {
		if err := checkPath(d); err != nil {
			bad("AllowDevices[%d]: %v", i, err)
		}
	}
	if err := p.checkUserNS(); err != nil {
		bad("%v", err)
	}
	switch p.LSMFallback {
	case "", "landlock":
	default:
		bad("LSMFallback %q: the only fallback is %q", p.LSMFallback, "landlock")
	}
	return errors.Join(errs...)
}

// maxID is the highest uid or gid: (uid_t)-1 means "unchanged" to the
// kernel's set*id calls.
const maxID = 1<<32 - 2
