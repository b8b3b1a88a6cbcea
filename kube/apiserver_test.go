package kube

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/rampart-sec/rampart/internal/k8syaml/k8syamltest"
)

// TestReadsAsAPIServer: Read gives each securityContext field that
// decides a layer the value the API server decodes from the same text,
// for every written form of it (YAML 1.1 booleans, integers in any base,
// nulls, quotes, tags, anchors, merge keys, duplicates), or refuses the
// manifest, at its line and column, where the API server refuses it or
// where rampart cannot tell what it would read. The audit predicts, and
// harden edits, what the cluster runs only if this holds.
func TestReadsAsAPIServer(t *testing.T) {
	for _, f := range k8syamltest.Fields {
		for _, form := range k8syamltest.Scalars {
			checkAsAPIServer(t, fmt.Sprintf("%s: %q", f.Name, form), k8syamltest.PodYAML("", f.SC(form)))
		}
	}
	for _, c := range k8syamltest.Structural {
		checkAsAPIServer(t, c.Name, k8syamltest.PodYAML(c.PodExtra, c.SC))
	}
}

func checkAsAPIServer(t *testing.T, name string, doc []byte) {
	t.Helper()
	want, werr := k8syamltest.Pod(doc)
	cs, err := Read("p.yaml", doc)
	if werr != nil {
		var ke *Error
		switch {
		case err == nil:
			t.Errorf("%s: read, but the API server refuses it (%v)\n%s", name, werr, doc)
		case !errors.As(err, &ke) || ke.Line < 9 || ke.Column == 0:
			t.Errorf("%s: refused without the line and column of the field: %v", name, err)
		}
		return
	}
	if err != nil {
		t.Errorf("%s: refused (%v), but the API server reads it\n%s", name, err, doc)
		return
	}
	var got *corev1.Container
	for _, c := range cs {
		if c.Container == "c" {
			got = c.Spec
		}
	}
	var wsc *corev1.SecurityContext
	for i := range want.Spec.Containers {
		if want.Spec.Containers[i].Name == "c" {
			wsc = want.Spec.Containers[i].SecurityContext
		}
	}
	if got == nil {
		t.Errorf("%s: container c not read", name)
		return
	}
	for _, f := range k8syamltest.Fields {
		var w, g any
		if wsc != nil {
			w = f.Get(wsc)
		}
		if got.SecurityContext != nil {
			g = f.Get(got.SecurityContext)
		}
		if !reflect.DeepEqual(w, g) {
			t.Errorf("%s: %s read as %#v, the API server reads %#v\n%s", name, f.Name, g, w, doc)
		}
	}
}
