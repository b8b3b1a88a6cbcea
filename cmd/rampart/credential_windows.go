package main

import "github.com/rampart-sec/rampart/record"

// credential is the user `rampart record --user` would run the command
// as; recording needs Linux, so it is never used here.
func credential(uid, gid uint32) *record.Credential {
	return &record.Credential{Uid: uid, Gid: gid}
}
