package caps

import (
	"encoding/binary"
	"testing"
)

func TestParseFileCaps(t *testing.T) {
	le := binary.LittleEndian
	v2 := make([]byte, 20)
	le.PutUint32(v2, 0x02000001)              // revision 2, effective
	le.PutUint32(v2[4:], 1<<NET_RAW|1<<CHOWN) // permitted, low word
	le.PutUint32(v2[8:], 1<<KILL)             // inheritable, low word
	le.PutUint32(v2[12:], 1<<(BPF-32))        // permitted, high word
	fc, err := ParseFileCaps(v2)
	if err != nil {
		t.Fatal(err)
	}
	if want := Of(NET_RAW, CHOWN, BPF); fc.Permitted != want || fc.Inheritable != Of(KILL) || !fc.Effective {
		t.Errorf("got %+v, want permitted %s, inheritable KILL, effective", fc, want)
	}
	for _, bad := range [][]byte{nil, {1, 0, 0}, {0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0}, v2[:12]} {
		if _, err := ParseFileCaps(bad); err == nil {
			t.Errorf("ParseFileCaps(%x) accepted", bad)
		}
	}
}

func TestExec(t *testing.T) {
	all := Full
	rootish := Sets{Bounding: all, Effective: all, Permitted: all}
	for _, c := range []struct {
		name    string
		in      Sets
		ctx     ExecContext
		eff     Set
		prm     Set
		wantErr bool
	}{
		{"root gets its bounding set", Sets{Bounding: Of(CHOWN, KILL), Permitted: Of(CHOWN)}, ExecContext{RealRoot: true, EffectiveRoot: true}, Of(CHOWN, KILL), Of(CHOWN, KILL), false},
		{"real root only: permitted, not effective", Sets{Bounding: Of(CHOWN)}, ExecContext{RealRoot: true}, 0, Of(CHOWN), false},
		{"non-root keeps only ambient", Sets{Bounding: all, Permitted: all, Inheritable: Of(KILL), Ambient: Of(KILL)}, ExecContext{}, Of(KILL), Of(KILL), false},
		{"non-root without ambient: nothing", rootish, ExecContext{}, 0, 0, false},
		{"SECBIT_NOROOT: root is like anyone", rootish, ExecContext{RealRoot: true, EffectiveRoot: true, NoRoot: true}, 0, 0, false},
		{"file caps within the bounding set", Sets{Bounding: all}, ExecContext{File: &FileCaps{Permitted: Of(NET_RAW), Effective: true}}, Of(NET_RAW), Of(NET_RAW), false},
		{"file caps without e: permitted only", Sets{Bounding: all}, ExecContext{File: &FileCaps{Permitted: Of(NET_RAW)}}, 0, Of(NET_RAW), false},
		{"file caps clear ambient", Sets{Bounding: all, Inheritable: Of(KILL), Ambient: Of(KILL)}, ExecContext{File: &FileCaps{Permitted: Of(NET_RAW)}}, 0, Of(NET_RAW), false},
		{"e with a capability the bounding set lacks: refused", Sets{Bounding: Of(CHOWN)}, ExecContext{File: &FileCaps{Permitted: Of(NET_RAW), Effective: true}}, 0, 0, true},
		{"no_new_privs caps the gain at the permitted set", Sets{Bounding: all, Permitted: Of(CHOWN)}, ExecContext{NoNewPrivs: true, File: &FileCaps{Permitted: Of(CHOWN, NET_RAW)}}, 0, Of(CHOWN), false},
		{"set-user-ID root from a user: every capability", Sets{Bounding: Of(CHOWN, KILL)}, ExecContext{EffectiveRoot: true, SetID: true}, Of(CHOWN, KILL), Of(CHOWN, KILL), false},
		{"set-user-ID root with file caps: the file caps only", Sets{Bounding: all}, ExecContext{EffectiveRoot: true, SetID: true, File: &FileCaps{Permitted: Of(NET_RAW), Effective: true}}, Of(NET_RAW), Of(NET_RAW), false},
	} {
		got, err := c.in.Exec(c.ctx)
		if (err != nil) != c.wantErr {
			t.Errorf("%s: error %v, want error %v", c.name, err, c.wantErr)
			continue
		}
		if err == nil && (got.Effective != c.eff || got.Permitted != c.prm) {
			t.Errorf("%s: effective %s permitted %s, want %s and %s", c.name, got.Effective, got.Permitted, c.eff, c.prm)
		}
	}
}
