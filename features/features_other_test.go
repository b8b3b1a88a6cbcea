//go:build !linux

package features

import (
	"errors"
	"runtime"
	"strings"
	"testing"
)

// Off Linux every probe answers "not supported", naming the platform, so
// callers that skip or refuse on ErrNotSupported do so here too.
func TestEveryProbeNeedsLinux(t *testing.T) {
	_, lsmErr := ActiveLSMs()
	_, llErr := LandlockABI()
	_, actErr := SeccompActions()
	for name, err := range map[string]error{
		"ActiveLSMs": lsmErr, "HaveAppArmor": HaveAppArmor(), "LandlockABI": llErr,
		"HaveLandlock": HaveLandlock(1), "HaveSeccompFilter": HaveSeccompFilter(),
		"SeccompActions": actErr, "HaveBPFLSM": HaveBPFLSM(), "HaveIA32": HaveIA32(),
	} {
		var nse *NotSupportedError
		if !errors.As(err, &nse) || !errors.Is(err, ErrNotSupported) {
			t.Errorf("%s: %v, want a *NotSupportedError", name, err)
			continue
		}
		if want := runtime.GOOS + "/" + runtime.GOARCH; !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %q does not name %s", name, err, want)
		}
	}
	if KernelAtLeast(0, 0) || KernelRelease() != "" {
		t.Error("a kernel version off Linux")
	}
}
