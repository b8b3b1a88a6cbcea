package report

import (
	"encoding/json"
	"io"
	"strings"

	"sigs.k8s.io/yaml"
)

// Manifests writes Kubernetes objects as one multi-document YAML stream,
// ready for kubectl apply -f -: without what only the API server writes
// (status, creationTimestamp).
func Manifests(w io.Writer, objs ...any) error {
	var b strings.Builder
	for i, o := range objs {
		j, err := json.Marshal(o)
		if err != nil {
			return err
		}
		var m map[string]any
		if err := json.Unmarshal(j, &m); err != nil {
			return err
		}
		delete(m, "status")
		if md, ok := m["metadata"].(map[string]any); ok {
			delete(md, "creationTimestamp")
		}
		// Templates carry an empty creationTimestamp too.
		dropEmptyTimestamps(m)
		y, err := yaml.Marshal(m)
		if err != nil {
			return err
		}
		if i > 0 {
			b.WriteString("---\n")
		}
		b.Write(y)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func dropEmptyTimestamps(v any) {
	switch t := v.(type) {
	case map[string]any:
		if ts, ok := t["creationTimestamp"]; ok && ts == nil {
			delete(t, "creationTimestamp")
		}
		for _, x := range t {
			dropEmptyTimestamps(x)
		}
	case []any:
		for _, x := range t {
			dropEmptyTimestamps(x)
		}
	}
}
