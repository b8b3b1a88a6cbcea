package report

import (
	"bytes"
	"io"
	"testing"

	admv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/rampart-sec/rampart/admission"
	"github.com/rampart-sec/rampart/agent"
)

// TestManifestsYAML: what harden --admission and fleet manifests write
// reads back, strictly, into the API's types (a field the API server
// does not know fails), with nothing only the API server writes.
func TestManifestsYAML(t *testing.T) {
	fleet, err := agent.Manifests(agent.ManifestOptions{Image: "localhost/rampart:latest", Profiles: "../examples/seed"})
	if err != nil {
		t.Fatal(err)
	}
	objs := append(admission.Manifests(admission.Options{}, true), fleet...)
	var b bytes.Buffer
	if err := Manifests(&b, objs...); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b.Bytes(), []byte("status:")) || bytes.Contains(b.Bytes(), []byte("creationTimestamp")) {
		t.Errorf("fields only the API server writes:\n%s", b.Bytes())
	}
	types := map[string]func() any{
		"ValidatingAdmissionPolicy": func() any { return &admv1.ValidatingAdmissionPolicy{} }, "ValidatingAdmissionPolicyBinding": func() any { return &admv1.ValidatingAdmissionPolicyBinding{} },
		"MutatingAdmissionPolicy": func() any { return &admv1.MutatingAdmissionPolicy{} }, "MutatingAdmissionPolicyBinding": func() any { return &admv1.MutatingAdmissionPolicyBinding{} },
		"Namespace": func() any { return &corev1.Namespace{} }, "ServiceAccount": func() any { return &corev1.ServiceAccount{} }, "ConfigMap": func() any { return &corev1.ConfigMap{} },
		"ClusterRole": func() any { return &rbacv1.ClusterRole{} }, "ClusterRoleBinding": func() any { return &rbacv1.ClusterRoleBinding{} }, "DaemonSet": func() any { return &appsv1.DaemonSet{} },
	}
	dec := utilyaml.NewDocumentDecoder(io.NopCloser(bytes.NewReader(b.Bytes())))
	buf := make([]byte, 1<<20)
	n := 0
	for {
		k, err := dec.Read(buf)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		doc := buf[:k]
		var meta struct{ Kind string }
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			t.Fatal(err)
		}
		mk := types[meta.Kind]
		if mk == nil {
			t.Fatalf("a %q", meta.Kind)
		}
		if err := yaml.UnmarshalStrict(doc, mk()); err != nil {
			t.Errorf("%s: %v", meta.Kind, err)
		}
		n++
	}
	if n != len(objs) {
		t.Errorf("%d documents, want %d", n, len(objs))
	}
}
