// Package sarif holds the subset of SARIF 2.1.0 rampart writes (one run,
// the tool's rules, results with physical or logical locations) for
// every command that writes it: audit and seccomp lint.
package sarif

import (
	"path/filepath"
	"runtime/debug"
	"strings"
)

// Schema is the schema a SARIF log names.
const Schema = "https://json.schemastore.org/sarif-2.1.0.json"

// Log is a SARIF log file.
type Log struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []Run  `json:"runs"`
}

// Run is one run of the tool.
type Run struct {
	Tool    Tool     `json:"tool"`
	Results []Result `json:"results"`
}

// Tool names the tool.
type Tool struct {
	Driver Driver `json:"driver"`
}

// Driver is the tool's component that made the results.
type Driver struct {
	Name           string `json:"name"`
	Version        string `json:"version,omitempty"`
	InformationURI string `json:"informationUri"`
	Rules          []Rule `json:"rules"`
}

// Text is a message.
type Text struct {
	Text string `json:"text"`
}

// Rule describes one kind of result.
type Rule struct {
	ID               string         `json:"id"`
	Name             string         `json:"name"`
	ShortDescription Text           `json:"shortDescription"`
	FullDescription  Text           `json:"fullDescription"`
	Help             Text           `json:"help"`
	Default          Config         `json:"defaultConfiguration"`
	Properties       map[string]any `json:"properties,omitempty"`
}

// Config is a rule's default level: error, warning or note.
type Config struct {
	Level string `json:"level"`
}

// Result is one finding.
type Result struct {
	RuleID    string     `json:"ruleId"`
	RuleIndex int        `json:"ruleIndex"`
	Level     string     `json:"level"`
	Message   Text       `json:"message"`
	Locations []Location `json:"locations"`
	// PartialFingerprints keep a result the same result across runs.
	PartialFingerprints map[string]string `json:"partialFingerprints,omitempty"`
	Properties          map[string]any    `json:"properties,omitempty"`
	// Suppressions say the result was reviewed and accepted: a code
	// scanning service shows it as dismissed, with the justification.
	Suppressions []Suppression `json:"suppressions,omitempty"`
}

// Suppression is an accepted result: Kind is inSource (said in the
// scanned file) or external (in a file beside it).
type Suppression struct {
	Kind          string `json:"kind"`
	Justification string `json:"justification,omitempty"`
}

// Location is where a result is: in a file, or (for what has no
// file, such as a runtime's built-in profile) a logical name.
type Location struct {
	Physical *Physical `json:"physicalLocation,omitempty"`
	Logical  []Logical `json:"logicalLocations,omitempty"`
	Message  *Text     `json:"message,omitempty"`
}

// Physical is a place in a file.
type Physical struct {
	Artifact Artifact `json:"artifactLocation"`
	Region   *Region  `json:"region,omitempty"`
}

// Artifact is a file, by a relative URI.
type Artifact struct {
	URI string `json:"uri"`
}

// Region is a line and column (1-based).
type Region struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

// Logical is a named place outside any file.
type Logical struct {
	Name               string `json:"name,omitempty"`
	FullyQualifiedName string `json:"fullyQualifiedName,omitempty"`
	Kind               string `json:"kind,omitempty"`
}

// Level maps a severity (info, warning, error) to a SARIF level.
func Level(severity string) string {
	switch severity {
	case "error":
		return "error"
	case "warning":
		return "warning"
	}
	return "note"
}

// RelativeURI is path as a relative URI reference: relative to the
// working directory when path is absolute, forward slashes, and spaces
// and other reserved characters escaped.
func RelativeURI(path, wd string) string {
	if filepath.IsAbs(path) && wd != "" {
		if rel, err := filepath.Rel(wd, path); err == nil {
			path = rel
		}
	}
	path = filepath.ToSlash(path)
	var b strings.Builder
	slash := false
	for _, c := range []byte(path) {
		slash = slash || c == '/'
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.IndexByte("-._~/!$&'()*+,;=@", c) >= 0:
			b.WriteByte(c)
		case c == ':' && slash:
			b.WriteByte(c) // in the first segment it would read as a scheme
		default:
			b.WriteString("%" + strings.ToUpper(string("0123456789abcdef"[c>>4])+string("0123456789abcdef"[c&15])))
		}
	}
	return b.String()
}

// Version is rampart's version as the Go build records it, without its
// "v"; "0.0.0-devel" for a build from a work tree (Go's "(devel)": SARIF
// consumers compare versions that start with a number).
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && strings.HasPrefix(bi.Main.Version, "v") {
		return strings.TrimPrefix(bi.Main.Version, "v")
	}
	return "0.0.0-devel"
}
