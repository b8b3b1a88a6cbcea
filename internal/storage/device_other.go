//go:build !linux

package storage

// deviceOf finds no device off Linux: the ways to a file's bytes this
// package finds are Linux's (its mount table, /sys, /dev).
func deviceOf(string, bool) (d Device, blk, ok bool) { return Device{}, false, false }
