package agent

import (
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// Confine re-executes this rampart as `rampart run --seccomp PROFILE --
// rampart ARGS...`: the launcher loads SeccompProfile, verifies it and
// execs the agent again, marked with ConfinedEnv. The profile is handed
// over in a memfd, never written to a file. It returns only on failure.
func Confine(args []string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	fd, err := unix.MemfdCreate("rampart-agent-seccomp", 0) // no CLOEXEC: `rampart run` reads it
	if err != nil {
		return fmt.Errorf("confine the agent: %w", err)
	}
	if _, err := unix.Write(fd, SeccompProfile); err != nil {
		return fmt.Errorf("confine the agent: %w", err)
	}
	argv := append([]string{self, "run", "--seccomp", fmt.Sprintf("/proc/self/fd/%d", fd), "--", self}, args...)
	err = syscall.Exec(self, argv, append(os.Environ(), ConfinedEnv+"=1"))
	return fmt.Errorf("confine the agent: %w", err)
}
