package sandbox_test

import (
	"log"
	"os"

	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/sandbox"
	"github.com/rampart-sec/rampart/seccomp"
)

// Launch a command under the seed article's three layers: NET_RAW
// dropped from the capabilities, the runtime's default seccomp profile,
// and /etc/shadow unreadable (enforced with Landlock). Prepare checks
// every layer against this machine before anything is applied; Exec
// applies them to the calling thread, reads them back and replaces the
// process, so it returns only when the workload did not start.
func Example() {
	// First thing in main: a process re-executed to compile a seccomp
	// filter does that and exits here.
	seccomp.HelperMain()

	flags := policy.Flags{
		CapDrop:  []string{"NET_RAW"},
		Seccomp:  "runtime-default",
		DenyRead: []string{"/etc/shadow"},
	}
	p, err := flags.Apply(nil)
	if err != nil {
		log.Fatal(err)
	}
	plan, err := sandbox.Prepare(p, []string{"cat", "/etc/shadow"}, os.Environ())
	if err != nil {
		log.Fatal(err) // a layer this machine cannot apply: nothing ran
	}
	defer plan.Close()
	log.Fatal(plan.Exec(os.Stderr)) // reached only if the launch was refused
}
