//go:build !windows && !(linux && amd64)

package record

import "syscall"

// Credential is the user a recorded command runs as (Options.Credential).
type Credential = syscall.Credential
