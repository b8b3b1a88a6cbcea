// Package cachedir is rampart's cache directory. Its entries decide what a
// workload's layers are (a compiled seccomp program becomes the filter;
// the recorder's kernel ranges decide which capability checks a recording
// ignores), so an entry is trusted like the program that reads it: only
// when nobody but the caller could have written it. Anything else is
// ignored, and the caller computes the answer again.
package cachedir

import (
	"encoding/json"
	"io"
	"os"
)

// Write replaces the entry file of dir (a Dir) with data: written to a
// new file of the caller's (mode 0600) and renamed over the old one,
// whatever that one's owner and mode were, so a reader sees the old entry
// or the new one, never a part.
func Write(dir, file string, data []byte) error {
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), file)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// ReadJSON decodes into v the entry file, read only when nobody but the
// caller could have written it (Open), and at most 1 MiB of it.
func ReadJSON(file string, v any) error {
	f, err := Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// WriteJSON replaces the entry file of dir with v, written whole (Write).
func WriteJSON(dir, file string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return Write(dir, file, b)
}
