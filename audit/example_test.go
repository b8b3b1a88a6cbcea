package audit_test

import (
	"fmt"
	"log"

	"github.com/rampart-sec/rampart/audit"
	"github.com/rampart-sec/rampart/examples"
)

// Audit a manifest without running it: what each container would run
// under on a containerd node, and which attack paths stay open. The seed
// article's second step drops NET_RAW and asks for RuntimeDefault seccomp.
func Example() {
	a, err := audit.New(audit.Node{Runtime: "containerd"})
	if err != nil {
		log.Fatal(err)
	}
	manifest, err := examples.Seed.ReadFile("seed/2-seccomp.yaml")
	if err != nil {
		log.Fatal(err)
	}
	rep := a.Read("2-seccomp.yaml", manifest)
	for _, w := range rep.Workloads {
		for _, c := range w.Containers {
			fmt.Printf("%s %s/%s: seccomp %s, Pod Security %s\n", w.Kind, w.Name, c.Name, c.Seccomp.Profile, c.PSS.Level)
			for _, p := range c.Paths {
				switch {
				case p.ID != "raw-socket" && p.ID != "userns-netns" && p.ID != "read-shadow":
				case p.Layer != "":
					fmt.Printf("  %-12s %s by %s\n", p.ID, p.Verdict, p.Layer)
				default:
					fmt.Printf("  %-12s %s\n", p.ID, p.Verdict)
				}
			}
		}
	}
	// Output:
	// Deployment flask-app/flask: seccomp runtime-default, Pod Security baseline
	//   raw-socket   blocked by capabilities
	//   userns-netns blocked by seccomp
	//   read-shadow  open
}
