package k8syaml

import (
	"strconv"

	"go.yaml.in/yaml/v3"
)

// Built nodes are the translation of another dialect's file (a Compose
// service, an OCI runtime config) into the Kubernetes object it stands
// for: each carries the position of what it was translated from (at),
// so that what the object is audited for points into that file. Strings
// are double-quoted, so that no value reads back as another type.

// Str is a string scalar at at.
func Str(s string, at *yaml.Node) *yaml.Node {
	return place(&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s, Style: yaml.DoubleQuotedStyle}, at)
}

// Bool is a boolean scalar at at.
func Bool(b bool, at *yaml.Node) *yaml.Node {
	return place(&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b)}, at)
}

// Int is an integer scalar at at.
func Int(i int64, at *yaml.Node) *yaml.Node {
	return place(&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(i, 10)}, at)
}

// Map is a mapping at at of key, value pairs (a string, then a *yaml.Node);
// a nil value leaves its key out.
func Map(at *yaml.Node, kv ...any) *yaml.Node {
	m := place(&yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}, at)
	for i := 0; i+1 < len(kv); i += 2 {
		v, _ := kv[i+1].(*yaml.Node)
		if v == nil {
			continue
		}
		m.Content = append(m.Content, place(&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: kv[i].(string)}, v), v)
	}
	return m
}

// Seq is a sequence at at.
func Seq(at *yaml.Node, items ...*yaml.Node) *yaml.Node {
	return place(&yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: items}, at)
}

func place(n, at *yaml.Node) *yaml.Node {
	if at != nil {
		n.Line, n.Column = at.Line, at.Column
	}
	return n
}
