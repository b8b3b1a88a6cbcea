package record

import (
	"regexp"
	"strings"
)

// Open flags (the same values on x86_64 and i386).
const (
	oAccMode   = 0o3
	oWronly    = 0o1
	oRdwr      = 0o2
	oCreat     = 0o100
	oTrunc     = 0o1000
	oAppend    = 0o2000
	oDirectory = 0o200000
	oPath      = 0o10000000
	oTmpfile   = 0o20000000 // with oDirectory

	atRemoveDir = 0x200
)

// modeLetters is the order modes are written in.
const modeLetters = "rwacxl"

// modes says what an operation asked of its path (and of path2 for a
// rename), in AppArmor's letters: r read, w write (also delete and
// attribute changes, which AppArmor's w covers), a append, c create,
// x execute, l link. An empty mode needs no file rule (O_PATH opens).
func modes(op fileOp, flags uint64) (string, string) {
	switch op {
	case opOpen:
		if flags&oPath != 0 {
			return "", ""
		}
		if flags&oTmpfile == oTmpfile {
			return "wc", ""
		}
		var m string
		switch flags & oAccMode {
		case oWronly:
			m = "w"
		case oRdwr:
			m = "rw"
		default:
			m = "r"
		}
		if flags&oAppend != 0 && m != "r" {
			m = strings.Replace(m, "w", "a", 1)
		}
		if flags&oCreat != 0 {
			m += "c"
		}
		if flags&oTrunc != 0 {
			m += "w"
		}
		return normMode(m), ""
	case opCreat, opMknod, opSymlink, opMkdir:
		return "wc", ""
	case opTruncate, opRmdir, opUnlink, opSetattr:
		return "w", ""
	case opRename:
		// AppArmor checks read, write and delete on the source, write and
		// create on the target.
		return "rw", "wc"
	case opLink:
		return "l", ""
	}
	return "", ""
}

// isDirOp says whether the operation names a directory, which AppArmor
// rules write with a trailing slash.
func isDirOp(op fileOp, flags uint64) bool {
	switch op {
	case opMkdir, opRmdir:
		return true
	case opUnlink:
		return flags&atRemoveDir != 0
	case opOpen:
		return flags&oDirectory != 0 && flags&oTmpfile != oTmpfile
	}
	return false
}

// normMode puts the letters of m, without repeats, in modeLetters order.
func normMode(m string) string {
	var b strings.Builder
	for _, c := range modeLetters {
		if strings.ContainsRune(m, c) {
			b.WriteRune(c)
		}
	}
	return b.String()
}

var (
	procPid   = regexp.MustCompile(`^/proc/(?:self|[0-9]+)(/|$)`)
	procTid   = regexp.MustCompile(`^/proc/@\{pid\}/task/[0-9]+(/|$)`)
	procFd    = regexp.MustCompile(`^/proc/@\{pid\}/(?:task/@\{tid\}/)?(fd|fdinfo|map_files)/[^/]+$`)
	numbered  = regexp.MustCompile(`^/dev/(?:pts|fd)/[0-9]+$`)
	uuidLike  = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)
	tokenSeps = ".-_+~,"
)

// Generalise turns a path one run opened into the AppArmor glob that
// stands for every run's: /proc/<pid>/ and /proc/self/ become
// /proc/@{pid}/ (/proc/thread-self/ and task/<tid>/ become
// task/@{tid}/), numbered fds and terminals become *, and parts of names
// that are run-specific (long numbers, hashes, UUIDs, mkstemp-style
// random suffixes) become *. Glob characters already in the name are
// escaped, so the result matches the path it came from.
func Generalise(p string) string {
	inProc := false
	switch {
	case p == "/proc/thread-self" || strings.HasPrefix(p, "/proc/thread-self/"):
		p = "/proc/@{pid}/task/@{tid}" + strings.TrimPrefix(p, "/proc/thread-self")
		inProc = true
	case strings.HasPrefix(p, "/proc/") && procPid.MatchString(p):
		p = procPid.ReplaceAllString(p, "/proc/@{pid}$1")
		inProc = true
	case strings.HasPrefix(p, "/dev/") && numbered.MatchString(p):
		return p[:strings.LastIndexByte(p, '/')] + "/*"
	}
	if inProc {
		p = procTid.ReplaceAllString(p, "/proc/@{pid}/task/@{tid}$1")
		if procFd.MatchString(p) {
			return p[:strings.LastIndexByte(p, '/')] + "/*"
		}
	}
	parts := strings.Split(p, "/")
	for i, part := range parts {
		switch {
		case inProc && (part == "@{pid}" || part == "@{tid}"):
		case inProc:
			// The rest of a /proc/<pid>/ path is the kernel's, not the run's.
			parts[i] = escapeGlob(part)
		default:
			parts[i] = generaliseName(part)
		}
	}
	return strings.Join(parts, "/")
}

// generaliseName globs the run-specific tokens of one path component.
func generaliseName(name string) string {
	if name == "" {
		return ""
	}
	if len(name) >= 36 && strings.Count(name, "-") >= 4 {
		name = uuidLike.ReplaceAllString(name, "\x00")
	}
	var b strings.Builder
	start := 0
	flush := func(end int) {
		tok := name[start:end]
		if tok == "\x00" || runSpecific(tok) {
			if !strings.HasSuffix(b.String(), "*") {
				b.WriteString("*")
			}
		} else {
			b.WriteString(escapeGlob(tok))
		}
	}
	for i := 0; i < len(name); i++ {
		if strings.IndexByte(tokenSeps, name[i]) >= 0 {
			flush(i)
			b.WriteByte(name[i])
			start = i + 1
		}
	}
	flush(len(name))
	return b.String()
}

// runSpecific says whether a token of a file name looks generated for
// this run: a long number (a pid or a timestamp), a hash, or random
// letters and digits (mkstemp, mktemp). Version numbers, architecture
// names and words stay.
func runSpecific(tok string) bool {
	if len(tok) < 5 {
		return false
	}
	digits, hex, classChanges, digitLetter := 0, 0, 0, 0
	class := func(c byte) int {
		switch {
		case c >= '0' && c <= '9':
			return 1
		case c >= 'a' && c <= 'z':
			return 2
		case c >= 'A' && c <= 'Z':
			return 3
		}
		return 0
	}
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		k := class(c)
		if k == 0 {
			return false
		}
		if k == 1 {
			digits++
		}
		if k == 1 || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') {
			hex++
		}
		if i > 0 {
			if p := class(tok[i-1]); p != k {
				classChanges++
				if p == 1 || k == 1 {
					digitLetter++
				}
			}
		}
	}
	switch {
	case digits == len(tok): // 12345, 1700000000
		return true
	case hex == len(tok) && (len(tok) >= 16 || (len(tok) >= 8 && digits > 0)): // a hash
		return true
	case len(tok) >= 6 && (digitLetter >= 3 || classChanges >= 5): // tmpk3j9x, XyZ9aQ2w
		return true
	}
	return false
}

// escapeGlob makes AppArmor glob and variable characters literal.
func escapeGlob(s string) string {
	if !strings.ContainsAny(s, `*?[]{}\"^@`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(`*?[]{}\"^`, s[i]) >= 0 || (s[i] == '@' && i+1 < len(s) && s[i+1] == '{') {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
