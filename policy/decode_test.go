package policy

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

func TestDecodeRoundTrip(t *testing.T) {
	no := false
	p := &Policy{Source: "flags", Capabilities: &Capabilities{InheritBase: true, Drop: 1 << 13}, User: &User{UID: 1000, GID: 1000},
		NoNewPrivs: &no, Seccomp: Seccomp{Kind: SeccompFile, Path: "/p.json"}, AppArmor: &AppArmor{Kind: AppArmorLocalhost, Name: "x"},
		Landlock: []FSRule{{Mode: DenyRead, Path: "/etc/shadow"}, {Mode: Allow, Path: "/usr", Access: "rx"}}, LSMFallback: "landlock"}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode("p.json", b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, p) {
		t.Errorf("round trip: %+v, want %+v", got, p)
	}
}

// Whatever Decode accepts is valid and survives a round trip; whatever
// it refuses is a policy-layer refusal. Nothing decodes to a policy
// with a part the launcher would skip.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{}`, `{"Seccomp":{"Kind":"runtime-default"}}`, `{"Landlock":[{"Mode":"allow","Path":"/","Access":"rwx"}]}`,
		`{"AppArmor":{"Kind":"localhost","Name":"a"}}`, `{"Seccomp":{"Kind":"runtime_default"}}`, `{"Capabilities":{"Add":8}} x`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Decode("f", b)
		if err != nil {
			var le *LayerError
			if !errors.As(err, &le) || le.Layer != LayerPolicy {
				t.Fatalf("error %v is not a policy refusal", err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("decoded an invalid policy: %v", err)
		}
		if p.Seccomp.Kind != SeccompNone && p.Seccomp.Kind != SeccompUnconfined && !p.Seccomp.Enabled() {
			t.Fatalf("seccomp kind %q would be skipped", p.Seccomp.Kind)
		}
		again, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		q, err := Decode("again", again)
		if err != nil || !reflect.DeepEqual(p, q) {
			t.Fatalf("round trip: %v\n%+v\n%+v", err, p, q)
		}
	})
}
