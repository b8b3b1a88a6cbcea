package harden

import (
	"github.com/pmezard/go-difflib/difflib"
)

// Diff is a unified diff of a file before and after, "" when equal.
func Diff(name string, before, after []byte) (string, error) {
	if string(before) == string(after) {
		return "", nil
	}
	return difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A:        difflib.SplitLines(string(before)),
		B:        difflib.SplitLines(string(after)),
		FromFile: name,
		ToFile:   name,
		Context:  3,
	})
}
