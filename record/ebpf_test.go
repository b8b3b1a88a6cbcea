//go:build linux && amd64

package record

import (
	"testing"
	"unsafe"
)

// The ring buffer decoder reads struct event at fixed offsets; they must
// be the C layout bpf2go saw.
func TestEventLayout(t *testing.T) {
	var e recorderEvent
	for name, c := range map[string][2]uintptr{
		"kind":   {unsafe.Offsetof(e.Kind), evOffKind},
		"tgid":   {unsafe.Offsetof(e.Tgid), evOffTgid},
		"tid":    {unsafe.Offsetof(e.Tid), evOffTid},
		"abi":    {unsafe.Offsetof(e.Abi), evOffAbi},
		"nr":     {unsafe.Offsetof(e.Nr), evOffNr},
		"op":     {unsafe.Offsetof(e.Op), evOffOp},
		"dirfd":  {unsafe.Offsetof(e.Dirfd), evOffDirfd},
		"dirfd2": {unsafe.Offsetof(e.Dirfd2), evOffDirfd2},
		"first":  {unsafe.Offsetof(e.First), evOffFirst},
		"flags":  {unsafe.Offsetof(e.Flags), evOffFlags},
		"hash":   {unsafe.Offsetof(e.Hash), evOffHash},
		"len":    {unsafe.Offsetof(e.Len), evOffLen},
		"len2":   {unsafe.Offsetof(e.Len2), evOffLen2},
		"blen":   {unsafe.Offsetof(e.Blen), evOffBlen},
		"path":   {unsafe.Offsetof(e.Path), evOffPath},
		"path2":  {unsafe.Offsetof(e.Path2), evOffPath2},
		"base":   {unsafe.Offsetof(e.Base), evOffBase},
	} {
		if c[0] != c[1] {
			t.Errorf("struct event.%s at %d, decoder reads %d", name, c[0], c[1])
		}
	}
	if len(e.Path) != pathLen || len(e.Base) != baseLen || unsafe.Sizeof(e) != evOffBase+baseLen {
		t.Errorf("path buffers %d and %d bytes, event %d bytes; decoder expects %d, %d and %d", len(e.Path), len(e.Base), unsafe.Sizeof(e), pathLen, baseLen, evOffBase+baseLen)
	}
}
