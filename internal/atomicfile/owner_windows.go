package atomicfile

import "io/fs"

// owner is -1, -1 on Windows: a file has no uid and gid to keep, so the
// replacement is never chown'ed (see keep).
func owner(fs.FileInfo) (uid, gid int) { return -1, -1 }
