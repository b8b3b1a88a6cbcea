// Package archtest holds no code: its tests keep docs/ARCHITECTURE.md's
// package order and the thin command line true as the tree changes.
package archtest
