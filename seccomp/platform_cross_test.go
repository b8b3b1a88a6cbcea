//go:build linux

package seccomp

import (
	"encoding/json"
	"os"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/runtimes"
	"github.com/rampart-sec/rampart/seccomp/bpf"
)

// exportEnv makes the test binary write, instead of testing, the
// programs runc's engine builds on the machine it runs on (EngineProgram)
// for every runtime's RuntimeDefault, with the runtime's default
// capabilities ("containerd") and with CAP_SYS_ADMIN added
// ("containerd+SYS_ADMIN"), as JSON of ProgramDigest by case, to the file
// it names. The arm64 lab runs it on Debian's arm64 kernel and holds the
// programs compiled here for arm64 to it (TestARM64ForeignCompile).
const exportEnv = "RAMPART_SECCOMP_EXPORT"

func exportPrograms(file string) int {
	out := map[string]ProgramDigest{}
	for _, rt := range Runtimes {
		r, err := runtimes.Lookup(rt, "")
		if err != nil {
			panic(err)
		}
		d := &RuntimeDefault{Seccomp: r.Seccomp}
		for name, bounding := range map[string]caps.Set{rt: r.Caps, rt + "+SYS_ADMIN": r.Caps | caps.Of(caps.SYS_ADMIN)} {
			p, err := d.LoadOn(DefaultPlatform(), bounding)
			var prog []bpf.Insn
			if err == nil {
				prog, err = EngineProgram(p, true)
			}
			if err != nil {
				os.Stderr.WriteString(name + ": " + err.Error() + "\n")
				return 1
			}
			out[name] = DigestProgram(prog)
		}
	}
	b, _ := json.Marshal(out)
	if err := os.WriteFile(file, b, 0o644); err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		return 1
	}
	return 0
}
