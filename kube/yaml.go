package kube

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/rampart-sec/rampart/internal/strictjson"
)

// chunk is the text of one or more YAML documents and the line it starts
// on in the file.
type chunk struct {
	text []byte
	line int
}

// shiftLines makes a chunk's node lines count from the top of the file.
func shiftLines(n *yaml.Node, by int) {
	n.Line += by
	for _, c := range n.Content {
		shiftLines(c, by)
	}
}

var yamlLineRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?s)^yaml: line (\d+): (.*)$`) })

// syntaxError places a yaml.v3 parse error in the file. The parser gives a
// line but no column.
func syntaxError(file string, doc int, c chunk, err error) *Error {
	msg, line := err.Error(), c.line
	if m := yamlLineRE().FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		line, msg = c.line+n-1, m[2]
		// Tabs are the usual culprit when a manifest is pasted from a web
		// page, and the parser's message does not say so.
		lines := bytes.Split(c.text, []byte("\n"))
		if n >= 1 && n <= len(lines) {
			indent := lines[n-1][:len(lines[n-1])-len(bytes.TrimLeft(lines[n-1], " \t"))]
			if bytes.IndexByte(indent, '\t') >= 0 {
				msg += " (this line is indented with a tab; YAML indents with spaces only)"
			}
		}
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	return &Error{File: file, Line: line, Doc: doc + 1, Msg: "invalid YAML: " + msg}
}

// deref follows aliases to the node they name.
func deref(n *yaml.Node) *yaml.Node {
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

// nodeError is a problem with one node, placed later.
type nodeError struct {
	node *yaml.Node
	path string
	msg  string
}

func (e *nodeError) Error() string { return e.msg }

type pair struct {
	key, val *yaml.Node
	name     string // the key as JSON sees it
}

// pairs lists a mapping's entries, with merge keys ("<<") expanded, as
// kubectl's YAML 1.1 reader resolves them: entries apply in document
// order and the last one to set a key wins, whether written or merged
// (a list of merged mappings applies from its end, so the earlier wins).
// A duplicate key is not an error: kubectl keeps the last and the API
// server never sees the others, so rampart must read the same object.
// On error, the entries found so far are returned too.
func pairs(n *yaml.Node, budget *int) ([]pair, error) {
	var out []pair
	at := map[string]int{} // key -> index in out
	set := func(p pair) {
		if i, ok := at[p.name]; ok {
			out[i] = p
			return
		}
		at[p.name] = len(out)
		out = append(out, p)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if *budget--; *budget < 0 {
			return out, &nodeError{node: n, msg: "too many mapping entries after expanding aliases and merge keys"}
		}
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			srcs := []*yaml.Node{deref(v)}
			if srcs[0] != nil && srcs[0].Kind == yaml.SequenceNode {
				srcs = nil
				c := deref(v).Content
				for j := len(c) - 1; j >= 0; j-- {
					srcs = append(srcs, deref(c[j]))
				}
			}
			for _, s := range srcs {
				if s == nil || s.Kind != yaml.MappingNode {
					return out, &nodeError{node: v, msg: "a merge key (<<) needs a mapping or a list of mappings"}
				}
				ps, err := pairs(s, budget)
				if err != nil {
					return out, err
				}
				for _, p := range ps {
					set(p)
				}
			}
			continue
		}
		kd := deref(k)
		if kd == nil || kd.Kind != yaml.ScalarNode {
			return out, &nodeError{node: k, msg: "a mapping key must be a scalar"}
		}
		name, err := keyName(kd)
		if err != nil {
			return out, err
		}
		set(pair{k, v, name})
	}
	return out, nil
}

// keyName is a mapping key as kubectl's YAML-to-JSON conversion spells it:
// the resolved value printed, so "yes" is "true" and 0x10 is "16".
func keyName(k *yaml.Node) (string, error) {
	v, err := resolveScalar(k)
	if err != nil {
		return "", err
	}
	switch v := v.(type) {
	case string:
		return v, nil
	case bool:
		return strconv.FormatBool(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case uint64:
		return strconv.FormatUint(v, 10), nil
	case float64:
		switch {
		case math.IsInf(v, 1):
			return ".inf", nil
		case math.IsInf(v, -1):
			return "-.inf", nil
		case math.IsNaN(v):
			return ".nan", nil
		}
		return strconv.FormatFloat(v, 'g', -1, 32), nil
	}
	return "", &nodeError{node: k, msg: "a mapping key must not be null"}
}

// Scalar is the value of the scalar at n as kubectl reads it (see
// resolveScalar), aliases followed: a string, bool, int64, uint64,
// float64, or nil for null. It fails for a node that is not a scalar and
// for a tag the text does not fit. Everything in rampart that reads a
// manifest's fields reads its scalars here, so that harden edits what the
// audit predicts and the API server admits: "privileged: True" is as
// privileged to each of them as to the cluster.
func Scalar(n *yaml.Node) (any, error) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return nil, errors.New("not a scalar")
	}
	return resolveScalar(n)
}

// Lookup follows path (field names and list indexes) from n as kubectl's
// reading does: aliases followed, merge keys (<<) applied, the last of
// duplicate keys winning. It returns nil when the path is not written.
func Lookup(n *yaml.Node, path ...any) *yaml.Node { return get(n, path...) }

// resolveScalar gives a scalar's value with YAML 1.1 rules, which kubectl
// uses (its reader is YAML 1.1): yes/no/on/off are booleans, 0777 is
// octal. yaml.v3 alone would read "allowPrivilegeEscalation: no" as the
// string "no".
func resolveScalar(n *yaml.Node) (any, error) {
	tag := ""
	if n.Style&yaml.TaggedStyle != 0 {
		tag = n.ShortTag()
	}
	switch tag {
	case "", "!!bool", "!!int", "!!float", "!!null":
	default: // !!str, !!binary, !!timestamp and application tags keep the text
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
		return nil, &nodeError{node: n, msg: fmt.Sprintf("cannot read %q as %s", n.Value, tag)}
	}
	return v, nil
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
	n = deref(n)
	if n == nil {
		return e.fail(n, "unresolved alias")
	}
	t = strictjson.Target(t)
	switch n.Kind {
	case yaml.MappingNode:
		ps, err := pairs(n, &e.budget)
		if err != nil {
			var ne *nodeError
			if errors.As(err, &ne) {
				return e.fail(ne.node, ne.msg)
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
	return &nodeError{node: n, path: strings.Join(e.path, ""), msg: msg}
}

func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}

// decodeNode decodes n into out (a pointer) the way the API server would
// decode kubectl's JSON, spending *budget (nodes, counted with aliases
// expanded). On failure it returns a nodeError for the innermost field
// that fails on its own.
func decodeNode(n *yaml.Node, out any, budget *int) error {
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
	if val = deref(val); val != nil {
		at = nodeAt(key, val)
	}
	return &nodeError{node: at, path: path, msg: describe(err)}
}

// locate descends to the deepest entry of n whose value alone fails to
// decode into its field's type.
func locate(key, n *yaml.Node, t reflect.Type, path string, err error, budget int) (*yaml.Node, *yaml.Node, string, error) {
	n = deref(n)
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
