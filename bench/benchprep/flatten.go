//go:build linux

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/rampart-sec/rampart/internal/k8syaml"
)

// flatten copies every .yaml/.yml/.json file under src (in lexical path
// order) to dst/fNNN.yaml, the n-th file, one flat directory. Every document
// with a metadata mapping (and every item of a `kind: List`) gets
// metadata.namespace = "fNNN", so that objects which share kind, namespace
// and name in different source files no longer collide: the Kyverno CLI
// loads all resources into one fake cluster and stops at the first
// duplicate. Nothing Pod Security evaluates (the pod spec) is touched.
//
// Documents are split the way kubectl splits a stream (a line "---",
// optionally followed by a comment); a document that does not parse as
// YAML is left out, as is a file left with no document. If two documents of
// one file would still share kind and name, the later ones get
// "fNNN-dK" (K its document number), which keeps them apart too.
//
// It writes "fNNN.yaml<TAB>source path relative to src" to w for each file
// written, and a summary to stderr.
func flatten(src, dst string, w io.Writer) error {
	var files []string
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".yaml", ".yml", ".json":
			if d.Type().IsRegular() {
				files = append(files, p)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	slices.Sort(files)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	var docs, skipped, empty, written, renamed int
	for i, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		ns := fmt.Sprintf("f%03d", i)
		var out bytes.Buffer
		seen := map[string]bool{}
		n := 0
		for k, chunk := range splitDocuments(b) {
			var doc yaml.Node
			if err := yaml.Unmarshal(chunk, &doc); err != nil {
				skipped++
				continue
			}
			if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
				continue // only comments or nothing
			}
			// Written back below: keep the tags yaml.v3 drops, or
			// "! on" (a string) would be rewritten as on (true).
			if err := k8syaml.Prepare(&doc, chunk); err != nil {
				skipped++
				continue
			}
			docNS := ns
			for _, id := range identities(doc.Content[0]) {
				if seen[id] {
					docNS = fmt.Sprintf("%s-d%d", ns, k+1)
					renamed++
					break
				}
			}
			for _, id := range identities(doc.Content[0]) {
				seen[id] = true
			}
			setNamespace(doc.Content[0], docNS)
			if n > 0 {
				out.WriteString("---\n")
			}
			enc := yaml.NewEncoder(&out)
			enc.SetIndent(2)
			if err := enc.Encode(&doc); err != nil {
				return fmt.Errorf("%s: document %d: %w", p, k+1, err)
			}
			if err := enc.Close(); err != nil {
				return err
			}
			n++
		}
		docs += n
		if n == 0 {
			empty++
			continue
		}
		name := ns + ".yaml"
		if err := os.WriteFile(filepath.Join(dst, name), out.Bytes(), 0o644); err != nil {
			return err
		}
		written++
		rel, _ := filepath.Rel(src, p)
		fmt.Fprintf(w, "%s\t%s\n", name, rel)
	}
	fmt.Fprintf(os.Stderr, "benchprep flatten: %d files read, %d written, %d documents; %d documents did not parse, %d files left with none; %d documents given a per-document namespace (kind/name repeated within a file)\n",
		len(files), written, docs, skipped, empty, renamed)
	return nil
}

// splitDocuments splits a YAML stream at separator lines as kubectl's
// YAMLReader does: a line starting with "---" followed by nothing but
// blanks or a comment.
func splitDocuments(b []byte) [][]byte {
	var docs [][]byte
	var cur bytes.Buffer
	r := bufio.NewReader(bytes.NewReader(b))
	for {
		line, err := r.ReadBytes('\n')
		if rest, ok := bytes.CutPrefix(line, []byte("---")); ok {
			t := strings.TrimSpace(string(rest))
			if t == "" || strings.HasPrefix(t, "#") {
				docs = append(docs, bytes.Clone(cur.Bytes()))
				cur.Reset()
				line = nil
			}
		}
		cur.Write(line)
		if errors.Is(err, io.EOF) || err != nil {
			break
		}
	}
	return append(docs, cur.Bytes())
}

// objects returns the mapping of a document and, for a List, its items.
func objects(n *yaml.Node) []*yaml.Node {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		return nil
	}
	objs := []*yaml.Node{n}
	if k := value(n, "kind"); k != nil && strings.HasSuffix(k.Value, "List") {
		if items := value(n, "items"); items != nil && items.Kind == yaml.SequenceNode {
			for _, it := range items.Content {
				if it = deref(it); it.Kind == yaml.MappingNode {
					objs = append(objs, it)
				}
			}
		}
	}
	return objs
}

// identities returns "kind/name" of each object of a document.
func identities(n *yaml.Node) []string {
	var ids []string
	for _, o := range objects(n) {
		md := value(o, "metadata")
		if md == nil || md.Kind != yaml.MappingNode {
			continue
		}
		var kind, name string
		if k := value(o, "kind"); k != nil {
			kind = k.Value
		}
		if nm := value(md, "name"); nm != nil {
			name = nm.Value
		}
		ids = append(ids, kind+"/"+name)
	}
	return ids
}

// setNamespace sets metadata.namespace of each object of a document that
// has a metadata mapping.
func setNamespace(n *yaml.Node, ns string) {
	for _, o := range objects(n) {
		md := value(o, "metadata")
		if md == nil || md.Kind != yaml.MappingNode {
			continue
		}
		set := false
		for i := 0; i+1 < len(md.Content); i += 2 {
			if md.Content[i].Value == "namespace" {
				// replace the value node, not an anchor it may alias
				md.Content[i+1] = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: ns}
				set = true
			}
		}
		if set {
			continue
		}
		md.Content = append(md.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "namespace"},
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: ns})
	}
}

// value returns the value of key in mapping m (aliases resolved), or nil.
func value(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return deref(m.Content[i+1])
		}
	}
	return nil
}

func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// objectsJSON writes one JSON line {"file": NAME, "object": OBJECT} for each
// object of each .yaml file directly in dir (the items of a List in its
// stead): the resources that the Kyverno CLI's report names only by kind,
// namespace and name, its messages by field path (containers[0]), so that
// bench/audit.sh can resolve a path to a container name. A document that
// does not parse is left out.
func objectsJSON(dir string, w io.Writer) error {
	names, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	var left int
	for _, p := range names {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, chunk := range splitDocuments(b) {
			var doc yaml.Node
			if yaml.Unmarshal(chunk, &doc) != nil || doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
				continue
			}
			objs := objects(doc.Content[0])
			if len(objs) > 1 {
				objs = objs[1:] // a List: its items
			}
			for _, o := range objs {
				v, err := plain(o)
				if err == nil {
					err = enc.Encode(map[string]any{"file": filepath.Base(p), "object": v})
				}
				if err != nil {
					left++
				}
			}
		}
	}
	if left > 0 {
		fmt.Fprintf(os.Stderr, "benchprep objects: %d objects could not be written as JSON\n", left)
	}
	return bw.Flush()
}

// plain converts a node to the values encoding/json writes. Unlike
// yaml.Node.Decode it accepts a key given twice (the last one wins, as in
// JSON decoders), which real manifests contain; mapping keys become
// strings, "<<" merges in the keys not set otherwise.
func plain(n *yaml.Node) (any, error) {
	n = deref(n)
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		var merges []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Tag == "!!merge" {
				merges = append(merges, deref(n.Content[i+1]))
				continue
			}
			v, err := plain(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[k.Value] = v
		}
		for _, mn := range merges {
			srcs := []*yaml.Node{mn}
			if mn.Kind == yaml.SequenceNode {
				srcs = mn.Content
			}
			for _, src := range srcs {
				v, err := plain(src)
				if err != nil {
					return nil, err
				}
				if mv, ok := v.(map[string]any); ok {
					for k, x := range mv {
						if _, set := m[k]; !set {
							m[k] = x
						}
					}
				}
			}
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := plain(c)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, err
		}
		if t, ok := v.(time.Time); ok {
			return t.Format(time.RFC3339Nano), nil
		}
		return v, nil
	}
	return nil, fmt.Errorf("line %d: node kind %v", n.Line, n.Kind)
}
