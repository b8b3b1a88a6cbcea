package report

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/rampart-sec/rampart/lsm/apparmor"
)

// nested is a profile with a child entered by two exec rules and a hat.
const nested = `profile top {
  /bin/c cx -> c,
  /bin/d Px -> top//c,
  /bin/e cx -> top//c,
  profile c {
    /etc/hosts r,
  }
  ^h {
  }
}
`

// The JSON names the profile decided under and, for a child, the
// parent's exec rules that lead into it, as the text does.
func TestAppArmorJSONNamesTheProfileAndItsEntries(t *testing.T) {
	d, err := apparmor.ParseDocument("nested.sd", []byte(nested))
	if err != nil {
		t.Fatal(err)
	}
	decode := func(name string) AppArmorDecision {
		t.Helper()
		c, err := apparmor.Compile(d.Find(name), apparmor.BundledIncludes)
		if err != nil {
			t.Fatal(err)
		}
		a, err := apparmor.ParseAccess("/etc/hosts r")
		if err != nil {
			t.Fatal(err)
		}
		dec, err := c.Eval(a)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := AppArmor(&b, c, []apparmor.Decision{dec}, nil, "json"); err != nil {
			t.Fatal(err)
		}
		var out []AppArmorDecision
		if err := json.Unmarshal(b.Bytes(), &out); err != nil || len(out) != 1 {
			t.Fatalf("%v: %s", err, b.Bytes())
		}
		return out[0]
	}
	c := decode("top//c")
	want := []AppArmorEntry{{"/bin/c cx -> c,", "nested.sd:2:3"}, {"/bin/d Px -> top//c,", "nested.sd:3:3"}}
	if c.Profile != "top//c" || c.Parent != "top" || c.Hat || !reflect.DeepEqual(c.Entries, want) {
		t.Errorf("top//c: %+v", c)
	}
	if h := decode("top//h"); h.Profile != "top//h" || h.Parent != "top" || !h.Hat || h.Entries != nil {
		t.Errorf("top//h: %+v", h)
	}
	if top := decode("top"); top.Profile != "top" || top.Parent != "" || top.Entries != nil {
		t.Errorf("top: %+v", top)
	}
}
