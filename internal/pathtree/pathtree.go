// Package pathtree answers where clean absolute paths lie relative to
// each other, by their text: the deny planner, the storage walk and the
// audit's hostPath model ask the same questions.
package pathtree

import "strings"

// Within says whether p is dir or lies beneath it.
func Within(p, dir string) bool {
	return p == dir || dir == "/" || strings.HasPrefix(p, dir+"/")
}

// Rel is p relative to dir, which contains it ("" for dir itself), and
// whether dir does contain it.
func Rel(dir, p string) (string, bool) {
	if !Within(p, dir) {
		return "", false
	}
	if dir == "/" {
		return strings.TrimPrefix(p, "/"), true
	}
	return strings.TrimPrefix(strings.TrimPrefix(p, dir), "/"), true
}
