package harden

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/compose"
)

// Compose hardens a Docker Compose file as Manifest hardens manifests:
// every service gets cap_drop [ALL] with only the capabilities it adds
// (or Options.Keep), no-new-privileges:true, Docker's default seccomp
// profile where it asked for none (seccomp=unconfined removed), and
// Docker's default AppArmor profile where it asked for none
// (apparmor=unconfined removed). A privileged service is reported and
// left, unless Options.Unprivileged. Edits are made with kyaml, so
// comments and everything not edited are kept; a file with nothing to
// change comes back byte for byte. The file is read first as run --from
// and audit read it: a service they cannot read exactly fails the file.
func Compose(name string, data []byte, o Options) (*Result, error) {
	svcs, err := compose.Pods(name, data)
	if err != nil {
		return nil, err
	}
	for _, sv := range svcs {
		if sv.Err != nil {
			return nil, sv.Err
		}
	}
	nodes, err := (&kio.ByteReader{Reader: bytes.NewReader(data), PreserveSeqIndent: true, DisableUnwrapping: true}).Read()
	if err != nil || len(nodes) != 1 {
		return nil, fmt.Errorf("%s: reading for edits: %v (%d documents)", name, err, len(nodes))
	}
	root := nodes[0]
	services, err := root.Pipe(yaml.Lookup("services"))
	if err != nil || services == nil {
		return nil, fmt.Errorf("%s: no services mapping", name)
	}
	keep, err := keepSet(o)
	if err != nil {
		return nil, err
	}
	names, err := services.Fields()
	if err != nil {
		return nil, err
	}
	res := &Result{Data: data}
	for _, svc := range names {
		node, err := services.Pipe(yaml.Lookup(svc))
		if err != nil || node == nil {
			continue
		}
		if err := hardenService(res, "Compose service "+svc, node, o, keep); err != nil {
			return nil, fmt.Errorf("%s: services.%s: %w", name, svc, err)
		}
	}
	if len(res.Edits()) == 0 {
		return res, nil
	}
	var b bytes.Buffer
	if err := (kio.ByteWriter{Writer: &b}).Write([]*yaml.RNode{root}); err != nil {
		return nil, err
	}
	res.Data, res.Changed = b.Bytes(), true
	return res, nil
}

// keepSet is Options.Keep in Docker's spelling, when it is set.
func keepSet(o Options) ([]string, error) {
	if !o.KeepSet {
		return nil, nil
	}
	var s caps.Set
	for _, k := range o.Keep {
		c, err := caps.Parse(k)
		if err != nil {
			return nil, err
		}
		s = s.Union(caps.Of(c))
	}
	return caps.Sorted(s, caps.Cap.String), nil
}

func hardenService(res *Result, obj string, svc *yaml.RNode, o Options, keep []string) error {
	// As for manifests: an edit must change this service alone. Through
	// an alias it would change every service sharing the anchor; over a
	// field a merge key (<<) brings in, it would replace the whole
	// merged list, other entries included.
	n := svc.YNode()
	if n.Kind == yaml.AliasNode {
		return fmt.Errorf("the service is an alias of another (*%s): an edit would change every service sharing it; write it out", n.Value)
	}
	for _, f := range []string{"privileged", "cap_drop", "cap_add", "security_opt"} {
		if merged(n, f) && svc.Field(f) == nil {
			return fmt.Errorf("%s comes from a merge key (<<): an edit here would replace what it brings in; write %s in the service", f, f)
		}
	}
	edit := func(field, what string) {
		res.Changes = append(res.Changes, Change{Object: obj, Field: field, What: what})
	}
	if v, _ := svc.Pipe(yaml.Lookup("privileged")); v != nil && v.YNode().Value == "true" {
		if !o.Unprivileged {
			res.Changes = append(res.Changes, Change{Object: obj, Field: "privileged", What: "every capability, no seccomp filter, no AppArmor profile (--unprivileged turns it off)", Skipped: true})
			return nil
		}
		if err := svc.PipeE(yaml.SetField("privileged", yaml.NewScalarRNode("false"))); err != nil {
			return err
		}
		svc.Field("privileged").Value.YNode().Tag = "!!bool"
		edit("privileged", "false")
	}
	if drops := values(svc, "cap_drop"); !slices.ContainsFunc(drops, func(d string) bool { return strings.EqualFold(d, "ALL") }) {
		if err := svc.PipeE(yaml.SetField("cap_drop", yaml.NewListRNode("ALL"))); err != nil {
			return err
		}
		edit("cap_drop", "[ALL]: only the capabilities cap_add names are kept")
	}
	if keep != nil && !slices.Equal(values(svc, "cap_add"), keep) {
		if len(keep) == 0 {
			if err := svc.PipeE(yaml.Clear("cap_add")); err != nil {
				return err
			}
			edit("cap_add", "removed")
		} else {
			if err := svc.PipeE(yaml.SetField("cap_add", yaml.NewListRNode(keep...))); err != nil {
				return err
			}
			edit("cap_add", "["+strings.Join(keep, ", ")+"]")
		}
	}
	opts := values(svc, "security_opt")
	var out []string
	nnp, changed, replaced := false, false, false
	for _, s := range opts {
		key, value, ok := strings.Cut(s, "=")
		if !ok {
			key, value, ok = strings.Cut(s, ":")
		}
		switch {
		case (key == "seccomp" || key == "apparmor") && value == "unconfined":
			edit("security_opt", fmt.Sprintf("%s removed: Docker's default %s profile applies", s, key))
			changed = true
			continue
		case key == "no-new-privileges" && (!ok || value == "true"):
			nnp = true
		case key == "no-new-privileges":
			edit("security_opt", s+" replaced by no-new-privileges:true")
			changed, replaced = true, true
			continue
		}
		out = append(out, s)
	}
	if !nnp {
		out = append(out, "no-new-privileges:true")
		if !replaced {
			edit("security_opt", "no-new-privileges:true")
		}
		changed = true
	}
	if changed {
		if err := svc.PipeE(yaml.SetField("security_opt", yaml.NewListRNode(out...))); err != nil {
			return err
		}
	}
	return nil
}

// values are the strings of list field f of svc.
func values(svc *yaml.RNode, f string) []string {
	n, err := svc.Pipe(yaml.Lookup(f))
	if err != nil || n == nil {
		return nil
	}
	var out []string
	for _, e := range n.YNode().Content {
		out = append(out, e.Value)
	}
	return out
}

// composeFile is f's text when f is a Compose file.
func composeFile(f string) ([]byte, bool) {
	if f == "-" {
		return nil, false
	}
	data, err := os.ReadFile(f)
	if err != nil || !compose.IsFile(data) {
		return nil, false
	}
	return data, true
}

// merged says whether a merge key (<<) of mapping n brings in field f.
func merged(n *yaml.Node, f string) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value != "<<" {
			continue
		}
		srcs := []*yaml.Node{n.Content[i+1]}
		if srcs[0].Kind == yaml.SequenceNode {
			srcs = srcs[0].Content
		}
		for _, src := range srcs {
			if src.Kind == yaml.AliasNode {
				src = src.Alias
			}
			if src == nil || src.Kind != yaml.MappingNode {
				continue
			}
			for j := 0; j+1 < len(src.Content); j += 2 {
				if src.Content[j].Value == f {
					return true
				}
			}
		}
	}
	return false
}
