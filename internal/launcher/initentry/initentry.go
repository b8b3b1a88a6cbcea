// Package initentry enters rampart's launch path from an init: imported
// by rampart's main, it runs before main and before cobra, and a launch
// it handles ends here (execve, or exit). Any other command line
// returns to main untouched.
package initentry

import (
	"os"

	"github.com/rampart-sec/rampart/internal/launcher"
)

func init() {
	launcher.Children()
	if len(os.Args) < 2 || os.Getenv(launcher.FullCLIEnv) == "1" {
		return
	}
	launcher.Enter(os.Args[1], os.Args[2:])
}
