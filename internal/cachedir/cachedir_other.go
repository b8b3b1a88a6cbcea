//go:build !linux

package cachedir

import (
	"errors"
	"fmt"
	"os"
	"runtime"
)

// Every entry is about the running Linux kernel or a filter it loads, so
// elsewhere there is no cache: callers compute the answer each time.
var errNoCache = fmt.Errorf("rampart's cache needs Linux (this is %s/%s): %w", runtime.GOOS, runtime.GOARCH, errors.ErrUnsupported)

// Dir fails off Linux: no entry would ever be read.
func Dir(string) (string, error) { return "", errNoCache }

// Open fails off Linux (see Dir).
func Open(string) (*os.File, error) { return nil, errNoCache }

// BootID is "" off Linux: there is no boot whose entries to keep.
func BootID() string { return "" }
