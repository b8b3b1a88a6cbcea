// Package k8syaml reads Kubernetes manifests as the API server does. The
// API server (and kubectl before it) turns YAML into JSON with
// sigs.k8s.io/yaml, that is go-yaml v2: YAML 1.1, where "privileged:
// True", "yes" and "on" are true, 0x10 and 020 are 16, merge keys (<<)
// apply and the last of two equal keys wins; and decodes the JSON into the
// typed object, case-sensitively. rampart reads a manifest with yaml.v3,
// for its positions and for edits that keep the text, which resolves
// scalars by YAML 1.2 and drops some of what was written (the
// non-specific tag "!"): every reader in rampart resolves the nodes here
// instead, so that the audit predicts, harden edits and the seccomp
// reader loads what the cluster is given. Where yaml.v3 cannot tell what
// the API server would read, the reading fails at the node, never
// guesses.
package k8syaml

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/rampart-sec/rampart/internal/strictjson"
)

// Deref follows aliases to the node they name; nil for an alias that
// does not end.
func Deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 1000; i++ {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.AliasNode {
		return nil
	}
	return n
}

// lookupBudget bounds the work of one mapping lookup: merge keys can
// nest anchors so that a naive expansion takes exponential time.
const lookupBudget = 1 << 16

// NodeError is a problem with one node, for the caller to place: Node's
// line and column, and Path, the field path from the node decoded
// (".securityContext.privileged"), when known.
type NodeError struct {
	Node *yaml.Node
	Path string
	Msg  string
}

func (e *NodeError) Error() string { return e.Msg }

// pairScan is the most entries pairs finds a key among by scanning.
const pairScan = 16

type pair struct {
	key, val *yaml.Node
	name     string // the key as JSON sees it
	typ      string // the type of the key's value: "1" and 1 are two keys to go-yaml
}

// pairs lists a mapping's entries, with merge keys ("<<") expanded, as
// kubectl's YAML 1.1 reader resolves them: entries apply in document
// order and the last one to set a key wins, whether written or merged
// (a list of merged mappings applies from its end, so the earlier wins).
// A duplicate key is not an error: kubectl keeps the last and the API
// server never sees the others, so rampart must read the same object.
// Two keys of different types that JSON spells alike ("1" and 1, "true"
// and yes) are: go-yaml keeps both, and which one JSON gets depends on
// the order of a Go map. On error, the entries found so far are returned
// too.
func pairs(n *yaml.Node, budget *int) ([]pair, error) {
	out := make([]pair, 0, len(n.Content)/2)
	// at indexes out by key once it is long enough that a scan costs
	// more than a map: most mappings in a manifest have a handful of keys,
	// and they are looked up again for every position asked of them.
	var at map[string]int
	index := func(name string) (int, bool) {
		if at != nil {
			i, ok := at[name]
			return i, ok
		}
		for i := range out {
			if out[i].name == name {
				return i, true
			}
		}
		return 0, false
	}
	set := func(p pair) error {
		if i, ok := index(p.name); ok {
			if old := out[i]; old.typ != p.typ {
				return &NodeError{Node: p.key, Msg: fmt.Sprintf("keys %q (line %d) and %q are both %q to the API server, which keeps either; write one", old.key.Value, old.key.Line, p.key.Value, p.name)}
			}
			out[i] = p
			return nil
		}
		out = append(out, p)
		switch {
		case at != nil:
			at[p.name] = len(out) - 1
		case len(out) > pairScan:
			at = make(map[string]int, 2*len(out))
			for i := range out {
				at[out[i].name] = i
			}
		}
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if *budget--; *budget < 0 {
			return out, &NodeError{Node: n, Msg: "too many mapping entries after expanding aliases and merge keys"}
		}
		k, v := n.Content[i], n.Content[i+1]
		if isMerge(k) {
			// go-yaml v2 merges a mapping, an alias of one, or a list
			// (written out, not an alias) of those; anything else fails.
			var srcs []*yaml.Node
			if v.Kind == yaml.SequenceNode {
				for j := len(v.Content) - 1; j >= 0; j-- {
					srcs = append(srcs, Deref(v.Content[j]))
				}
			} else {
				srcs = []*yaml.Node{Deref(v)}
			}
			for _, s := range srcs {
				if s == nil || s.Kind != yaml.MappingNode {
					return out, &NodeError{Node: v, Msg: "a merge key (<<) needs a mapping or a list of mappings"}
				}
				ps, err := pairs(s, budget)
				if err != nil {
					return out, err
				}
				for _, p := range ps {
					if err := set(p); err != nil {
						return out, err
					}
				}
			}
			continue
		}
		kd := Deref(k)
		if kd == nil || kd.Kind != yaml.ScalarNode {
			return out, &NodeError{Node: k, Msg: "a mapping key must be a scalar"}
		}
		name, typ, err := keyName(kd)
		if err != nil {
			return out, err
		}
		if err := set(pair{k, v, name, typ}); err != nil {
			return out, err
		}
	}
	return out, nil
}

// Child is the entry p (a key or an index) of n as the API server reads
// it, or nil: the key's node (nil for an index) and its value, aliases
// followed.
func Child(n *yaml.Node, p any) (key, val *yaml.Node) {
	if n == nil {
		return nil, nil
	}
	switch p := p.(type) {
	case string:
		if n.Kind != yaml.MappingNode {
			return nil, nil
		}
		budget := lookupBudget
		ps, _ := pairs(n, &budget)
		for _, e := range ps {
			if e.name == p {
				return e.key, Deref(e.val)
			}
		}
	case int:
		if n.Kind == yaml.SequenceNode && p >= 0 && p < len(n.Content) {
			return nil, Deref(n.Content[p])
		}
	}
	return nil, nil
}

// Get is the value of key in the mapping n as the API server reads it
// (aliases followed, merge keys applied, the last of duplicate keys
// winning), nil when absent, or the NodeError that makes the mapping
// unreadable: a merge key of something other than mappings, a key that
// is not a scalar.
func Get(n *yaml.Node, key string) (*yaml.Node, error) {
	n = Deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	budget := lookupBudget
	ps, err := pairs(n, &budget)
	if err != nil {
		return nil, err
	}
	for _, e := range ps {
		if e.name == key {
			return Deref(e.val), nil
		}
	}
	return nil, nil
}

// Lookup follows path (field names and list indexes) from n as the API
// server's reading does: aliases followed, merge keys (<<) applied, the
// last of duplicate keys winning. It returns nil when the path is not
// written.
func Lookup(n *yaml.Node, path ...any) *yaml.Node {
	n = Deref(n)
	for _, p := range path {
		_, n = Child(n, p)
		if n == nil {
			return nil
		}
	}
	return n
}

// isMerge says whether k is a merge key, as go-yaml v2 decides: the text
// "<<", untagged (or with the non-specific tag) or tagged !!merge. A
// quoted "<<" is a key like any other.
func isMerge(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && k.ShortTag() == "!!merge"
}

// keyName is a mapping key as kubectl's YAML-to-JSON conversion spells it:
// the resolved value printed, so "yes" is "true" and 0x10 is "16"; and
// the type of that value.
func keyName(k *yaml.Node) (name, typ string, err error) {
	v, err := resolveScalar(k)
	if err != nil {
		return "", "", err
	}
	// The type's name, as %T prints it, without fmt's cost: every key
	// of every mapping comes here.
	switch v := v.(type) {
	case string:
		return v, "string", nil
	case bool:
		return strconv.FormatBool(v), "bool", nil
	case int64:
		return strconv.FormatInt(v, 10), "int64", nil
	case uint64:
		return strconv.FormatUint(v, 10), "uint64", nil
	case float64:
		typ = "float64"
		switch {
		case math.IsInf(v, 1):
			return ".inf", typ, nil
		case math.IsInf(v, -1):
			return "-.inf", typ, nil
		case math.IsNaN(v):
			return ".nan", typ, nil
		}
		return strconv.FormatFloat(v, 'g', -1, 32), typ, nil
	}
	return "", "", &NodeError{Node: k, Msg: "a mapping key must not be null"}
}

// resolveScalar gives a scalar's value with go-yaml v2's YAML 1.1 rules,
// which the API server's reader follows: yes/no/on/off are booleans,
// 0777 is octal, !!binary is decoded, and the non-specific tag "!" makes
// a string (Prepare finds it): a string, bool, int64, uint64, float64,
// or nil for null. yaml.v3 alone would read "allowPrivilegeEscalation:
// no" as the string "no". It fails for a tag the text does not fit and
// for !!binary text that is not base64. Every reader of a manifest in
// rampart reaches its scalars through here (Decode, JSON), so that
// harden edits what the audit predicts and the API server admits:
// "privileged: True" is as privileged to each of them as to the cluster.
func resolveScalar(n *yaml.Node) (any, error) {
	if n.Tag == nonSpecific {
		return n.Value, nil
	}
	tag := ""
	if n.Style&yaml.TaggedStyle != 0 {
		tag = n.ShortTag()
	}
	switch tag {
	case "", "!!bool", "!!int", "!!float", "!!null":
	case "!!binary":
		b, err := base64.StdEncoding.DecodeString(n.Value)
		if err != nil {
			return nil, &NodeError{Node: n, Msg: "!!binary value contains invalid base64 data"}
		}
		return string(b), nil
	case "!!timestamp":
		// A timestamp reaches JSON as written; other text fails.
		if !isTimestamp(n.Value) {
			return nil, &NodeError{Node: n, Msg: fmt.Sprintf("cannot read %q as !!timestamp", n.Value)}
		}
		return n.Value, nil
	default: // !!str and application tags keep the text
		return n.Value, nil
	}
	if tag == "" && n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return n.Value, nil
	}
	v := resolvePlain(n.Value)
	if i, ok := v.(int64); ok && tag == "!!float" {
		v = float64(i)
	}
	var got string
	switch v.(type) {
	case nil:
		got = "!!null"
	case bool:
		got = "!!bool"
	case int64, uint64:
		got = "!!int"
	case float64:
		got = "!!float"
	default:
		got = "!!str"
	}
	if tag != "" && tag != got {
		return nil, &NodeError{Node: n, Msg: fmt.Sprintf("cannot read %q as %s", n.Value, tag)}
	}
	return v, nil
}

// String is a scalar node for s that the API server reads back as the
// string s: quoted where its plain form would read as something else
// ("yes" and "on" are true, "1e3" is a number, "null" is null), which
// yaml.v3, reading YAML 1.2, does not quote by itself.
func String(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if _, ok := resolvePlain(s).(string); !ok || s == "" {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// timestampFormats are the timestamps go-yaml v2 recognises.
var timestampFormats = []string{
	"2006-1-2T15:4:5.999999999Z07:00",
	"2006-1-2t15:4:5.999999999Z07:00",
	"2006-1-2 15:4:5.999999999",
	"2006-1-2",
}

// isTimestamp says whether go-yaml v2 reads s as a timestamp: four
// digits, a dash, and one of timestampFormats.
func isTimestamp(s string) bool {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i != 4 || i == len(s) || s[i] != '-' {
		return false
	}
	for _, f := range timestampFormats {
		if _, err := time.Parse(f, s); err == nil {
			return true
		}
	}
	return false
}

var yamlFloatRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)
})

func resolvePlain(s string) any {
	switch s {
	case "", "~", "null", "Null", "NULL":
		return nil
	case "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE":
		return true
	case "n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE":
		return false
	case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF":
		return math.Inf(1)
	case "-.inf", "-.Inf", "-.INF":
		return math.Inf(-1)
	case ".nan", ".NaN", ".NAN":
		return math.NaN()
	}
	c := s[0]
	if c == '.' {
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f
		}
		return s
	}
	if c != '+' && c != '-' && (c < '0' || c > '9') {
		return s
	}
	plain := strings.ReplaceAll(s, "_", "")
	if i, err := strconv.ParseInt(plain, 0, 64); err == nil {
		return i
	}
	if u, err := strconv.ParseUint(plain, 0, 64); err == nil {
		return u
	}
	if yamlFloatRE().MatchString(plain) {
		if f, err := strconv.ParseFloat(plain, 64); err == nil {
			return f
		}
	}
	return s // timestamps, versions ("1.2.3") and the like stay text
}

// encoder turns a YAML node into the JSON kubectl would send, keeping
// only the fields of the target type whose names match exactly: the API
// server decodes JSON case-sensitively and drops unknown fields, whereas
// encoding/json would match "Privileged" to "privileged".
type encoder struct {
	buf    []byte
	budget int // nodes left; aliases can expand a small document a lot
	path   []string
}

func (e *encoder) value(n *yaml.Node, t reflect.Type) error {
	if e.budget--; e.budget < 0 {
		return e.fail(n, "document too large after expanding aliases")
	}
	n = Deref(n)
	if n == nil {
		return e.fail(n, "unresolved alias")
	}
	t = strictjson.Target(t)
	switch n.Kind {
	case yaml.MappingNode:
		ps, err := pairs(n, &e.budget)
		if err != nil {
			var ne *NodeError
			if errors.As(err, &ne) {
				return e.fail(ne.Node, ne.Msg)
			}
			return e.fail(n, err.Error())
		}
		e.buf = append(e.buf, '{')
		first := true
		for _, p := range ps {
			var ft reflect.Type
			seg := "." + p.name
			if t != nil {
				switch t.Kind() {
				case reflect.Struct:
					f, ok := strictjson.Fields(t)[p.name]
					if !ok {
						continue
					}
					ft = f
				case reflect.Map:
					ft, seg = t.Elem(), "["+p.name+"]"
				}
			}
			if !first {
				e.buf = append(e.buf, ',')
			}
			first = false
			e.buf = appendJSONString(e.buf, p.name)
			e.buf = append(e.buf, ':')
			e.path = append(e.path, seg)
			if err := e.value(p.val, ft); err != nil {
				return err
			}
			e.path = e.path[:len(e.path)-1]
		}
		e.buf = append(e.buf, '}')
	case yaml.SequenceNode:
		var et reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			et = t.Elem()
		}
		e.buf = append(e.buf, '[')
		for i, c := range n.Content {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			e.path = append(e.path, "["+strconv.Itoa(i)+"]")
			if err := e.value(c, et); err != nil {
				return err
			}
			e.path = e.path[:len(e.path)-1]
		}
		e.buf = append(e.buf, ']')
	case yaml.ScalarNode:
		v, err := resolveScalar(n)
		if err != nil {
			return e.fail(n, err.Error())
		}
		b, err := json.Marshal(v)
		if err != nil {
			return e.fail(n, fmt.Sprintf("%s cannot be represented in JSON", n.Value))
		}
		e.buf = append(e.buf, b...)
	default:
		e.buf = append(e.buf, "null"...)
	}
	return nil
}

func (e *encoder) fail(n *yaml.Node, msg string) error {
	return &NodeError{Node: n, Path: strings.Join(e.path, ""), Msg: msg}
}

func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}

// NodeAt picks the node whose position names a field best: the value when
// it is on the key's line (scalars, flow collections), else the key, since
// a block collection's own position is that of its first entry.
func NodeAt(key, val *yaml.Node) *yaml.Node {
	if key == nil || val.Kind == yaml.ScalarNode || val.Style&yaml.FlowStyle != 0 {
		return val
	}
	return key
}

// JSON is n (a document's node: its value) as the JSON the API server
// decodes, keeping only the fields of t (nil: every field), spending *budget (nodes, counted with
// aliases expanded). On failure it returns a NodeError.
func JSON(n *yaml.Node, t reflect.Type, budget *int) ([]byte, error) {
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	e := encoder{budget: *budget}
	err := e.value(n, t)
	*budget = e.budget
	if err != nil {
		return nil, err
	}
	return e.buf, nil
}

// Decode decodes n into out (a pointer) the way the API server would
// decode kubectl's JSON, spending *budget (nodes, counted with aliases
// expanded). On failure it returns a NodeError for the innermost field
// that fails on its own.
func Decode(n *yaml.Node, out any, budget *int) error {
	t := reflect.TypeOf(out).Elem()
	e := encoder{budget: *budget}
	err := e.value(n, t)
	used := *budget - e.budget
	*budget = e.budget
	if err != nil {
		return err
	}
	err = json.Unmarshal(e.buf, out)
	if err == nil {
		return nil
	}
	// Each part of n encodes within what the whole took.
	key, val, path, err := locate(nil, n, t, "", err, used)
	at := key
	if val = Deref(val); val != nil {
		at = NodeAt(key, val)
	}
	return &NodeError{Node: at, Path: path, Msg: describe(err)}
}

// locate descends to the deepest entry of n whose value alone fails to
// decode into its field's type.
func locate(key, n *yaml.Node, t reflect.Type, path string, err error, budget int) (*yaml.Node, *yaml.Node, string, error) {
	n = Deref(n)
	tt := strictjson.Target(t)
	if n == nil || tt == nil {
		return key, n, path, err
	}
	try := func(v *yaml.Node, t reflect.Type) error {
		e := encoder{budget: budget}
		if err := e.value(v, t); err != nil {
			return err
		}
		return json.Unmarshal(e.buf, reflect.New(t).Interface())
	}
	switch {
	case n.Kind == yaml.MappingNode && (tt.Kind() == reflect.Struct || tt.Kind() == reflect.Map):
		b := budget
		ps, _ := pairs(n, &b)
		for _, p := range ps {
			ft, seg := tt, ""
			if tt.Kind() == reflect.Struct {
				f, ok := strictjson.Fields(tt)[p.name]
				if !ok {
					continue
				}
				ft, seg = f, "."+p.name
			} else {
				ft, seg = tt.Elem(), "["+p.name+"]"
			}
			if e := try(p.val, ft); e != nil {
				return locate(p.key, p.val, ft, path+seg, e, budget)
			}
		}
	case n.Kind == yaml.SequenceNode && (tt.Kind() == reflect.Slice || tt.Kind() == reflect.Array):
		for i, c := range n.Content {
			if e := try(c, tt.Elem()); e != nil {
				return locate(nil, c, tt.Elem(), path+"["+strconv.Itoa(i)+"]", e, budget)
			}
		}
	}
	return key, n, path, err
}

// describe words a decoding error for a person.
func describe(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("expected %s, got %s", typeWord(te.Type), te.Value)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

func typeWord(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "a boolean (true or false)"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer (" + t.Kind().String() + ")"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer (" + t.Kind().String() + ")"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "a mapping"
	}
	return t.String()
}
