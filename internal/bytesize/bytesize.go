// Package bytesize reads and writes sizes in bytes the way rampart's
// flags and messages spell them: 8MiB, 512KiB, 1000.
package bytesize

import (
	"fmt"
	"strconv"
	"strings"
)

var units = []struct {
	name  string
	shift uint
}{{"GiB", 30}, {"MiB", 20}, {"KiB", 10}}

// Format writes n in the largest binary unit that divides it: "8MiB",
// "512KiB", "1000".
func Format(n int) string {
	for _, u := range units {
		if n >= 1<<u.shift && n%(1<<u.shift) == 0 {
			return strconv.Itoa(n>>u.shift) + u.name
		}
	}
	return strconv.Itoa(n)
}

// Parse reads a size: a number of bytes, optionally followed by KiB, MiB
// or GiB (K, M and G mean the same; case and a space between do not
// matter).
func Parse(s string) (int, error) {
	num := strings.TrimSpace(s)
	shift := uint(0)
	for _, u := range units {
		for _, suffix := range []string{u.name, u.name[:1]} {
			if len(num) > len(suffix) && strings.EqualFold(num[len(num)-len(suffix):], suffix) {
				num, shift = strings.TrimSpace(num[:len(num)-len(suffix)]), u.shift
				break
			}
		}
		if shift != 0 {
			break
		}
	}
	n, err := strconv.ParseUint(num, 10, 63)
	if err != nil || n > (1<<62)>>shift {
		return 0, fmt.Errorf("%q: want a size in bytes, or with KiB, MiB or GiB", s)
	}
	return int(n << shift), nil
}
