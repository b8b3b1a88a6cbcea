package seccomp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/strictjson"
)

// An OCI runtime config (a bundle's config.json) carries its filter in
// linux.seccomp, already resolved: the runtime-spec's fields only, no
// conditions, no names but syscalls'. rampart reads that object where it
// is written, so that errors and rules point into config.json, and holds
// it to runc's reading: runc's decoder matches keys ignoring case and
// keeps the last of two, and ignores fields it does not know, so a
// "Seccomp" key, a second "seccomp", or a Docker-only field such as
// includes (which runc would drop, leaving the rule unconditional) are
// refused instead of modeled differently from what runc loads.

// isOCIConfig says whether body is an OCI runtime config: a JSON object
// with an ociVersion.
func isOCIConfig(body []byte) bool { return strictjson.HasKey(body, "ociVersion") }

// ociSeccomp has the runtime-spec's LinuxSeccomp fields, for strictjson.
type ociSeccomp struct {
	DefaultAction    string   `json:"defaultAction"`
	DefaultErrnoRet  *uint    `json:"defaultErrnoRet"`
	Architectures    []string `json:"architectures"`
	Flags            []string `json:"flags"`
	ListenerPath     string   `json:"listenerPath"`
	ListenerMetadata string   `json:"listenerMetadata"`
	Syscalls         []struct {
		Names    []string    `json:"names"`
		Action   string      `json:"action"`
		ErrnoRet *uint       `json:"errnoRet"`
		Args     []strictArg `json:"args"`
	} `json:"syscalls"`
}

// ociPrefix is how the fields of a config's filter are named to the user.
const ociPrefix = "linux.seccomp."

// parseOCIConfig reads the filter of an OCI runtime config.
func parseOCIConfig(plat Platform, name string, body []byte, bounding caps.Set) (*Profile, error) {
	start, end, err := ociSeccompRange(body)
	if err != nil {
		var se *strictjson.Error
		if errors.As(err, &se) {
			return nil, &Error{File: name, Line: se.Line, Col: se.Col, Field: se.Path, Err: se.Err}
		}
		return nil, &Error{File: name, Err: err}
	}
	if start < 0 {
		return nil, &Error{File: name, Field: "linux.seccomp", Err: errors.New("this OCI config has no seccomp filter: runc runs its process unconfined")}
	}
	// The object alone, at its own offsets: every position found in it
	// is its position in config.json.
	only := bytes.Clone(body)
	for i := range only {
		if (i < start || i >= end) && only[i] != '\n' {
			only[i] = ' '
		}
	}
	// The OCI fields before anything else: a Docker field here is one
	// runc ignores.
	if _, err := strictjson.Check(only, reflect.TypeFor[ociSeccomp](), strictjson.Options{DisallowUnknown: true}); err != nil {
		var se *strictjson.Error
		if errors.As(err, &se) {
			msg := se.Err
			if strings.Contains(msg.Error(), "unknown field") {
				msg = fmt.Errorf("%w: not a field of the runtime-spec's seccomp object; runc ignores it, so the filter it loads would not be the one written here", se.Err)
			}
			return nil, &Error{File: name, Line: se.Line, Col: se.Col, Field: ociPrefix + se.Path, Err: msg}
		}
		return nil, &Error{File: name, Err: err}
	}
	p, err := parseOn(plat, name, only, bounding)
	var pe *Error
	if errors.As(err, &pe) {
		if pe.Field != "" {
			pe.Field = ociPrefix + pe.Field
		}
		return nil, pe
	}
	if err != nil {
		return nil, err
	}
	p.loc.shown = ociPrefix
	return p, nil
}

// ociSeccompRange finds the value of linux.seccomp in body: its start and
// end offsets, -1 when there is none. A key that runc's decoder would
// also take for linux or seccomp (another case, or written twice) is an
// error: which one runc keeps is not what rampart should guess.
func ociSeccompRange(body []byte) (start, end int, err error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	start, end = -1, -1
	var linux []byte
	linuxAt := 0
	err = eachKey(dec, "", func(key string, keyAt int, raw json.RawMessage, at int) error {
		if !strings.EqualFold(key, "linux") {
			return nil
		}
		if err := oneKey(body, key, "linux", linux != nil, keyAt, ""); err != nil {
			return err
		}
		linux, linuxAt = raw, at
		return nil
	})
	if err != nil || linux == nil {
		return -1, -1, err
	}
	if !bytes.HasPrefix(linux, []byte("{")) {
		return -1, -1, nil // strictjson below says what is wrong, if anything
	}
	seen := false
	err = eachKey(json.NewDecoder(bytes.NewReader(linux)), "linux.", func(key string, keyAt int, raw json.RawMessage, at int) error {
		if !strings.EqualFold(key, "seccomp") {
			return nil
		}
		if err := oneKey(body, key, "seccomp", seen, linuxAt+keyAt, "linux."); err != nil {
			return err
		}
		seen = true
		if !bytes.Equal(raw, []byte("null")) {
			start, end = linuxAt+at, linuxAt+at+len(raw)
		}
		return nil
	})
	return start, end, err
}

// oneKey refuses a second key runc would read as want.
func oneKey(body []byte, key, want string, seen bool, keyAt int, prefix string) error {
	l, c := strictjson.LineCol(body, keyAt)
	switch {
	case key != want:
		return &strictjson.Error{Line: l, Col: c, Path: prefix + key, Err: fmt.Errorf("key %q differs from %q: runc's decoder reads it as %s all the same", key, want, want)}
	case seen:
		return &strictjson.Error{Line: l, Col: c, Path: prefix + key, Err: fmt.Errorf("key %q written twice: runc keeps the last one", key)}
	}
	return nil
}

// eachKey calls fn with each key of the object dec reads, its offset, its
// raw value and the value's offset (offsets within dec's input).
func eachKey(dec *json.Decoder, prefix string, fn func(key string, keyAt int, raw json.RawMessage, at int) error) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := t.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("%sthe config is not a JSON object", prefix)
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := t.(string)
		// where the key's opening quote is (exact unless it is escaped)
		keyAt := int(dec.InputOffset()) - len(key) - 2
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		at := int(dec.InputOffset()) - len(raw)
		if err := fn(key, max(keyAt, 0), raw, at); err != nil {
			return err
		}
	}
	_, err = dec.Token()
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}
