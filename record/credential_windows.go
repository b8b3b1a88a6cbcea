package record

// Credential is the user a recorded command would run as
// (Options.Credential); syscall has none on Windows, where nothing is
// recorded.
type Credential struct{ Uid, Gid uint32 }
