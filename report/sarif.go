package report

import (
	"path/filepath"
	"runtime/debug"
	"strings"
)

// SARIF 2.1.0, the subset rampart writes: one run, the tool's rules and
// its results with physical (file) or logical locations.

// SARIFSchema is the schema a SARIF log names.
const SARIFSchema = "https://json.schemastore.org/sarif-2.1.0.json"

// SARIFLog is a SARIF log file.
type SARIFLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []SARIFRun `json:"runs"`
}

// SARIFRun is one run of the tool.
type SARIFRun struct {
	Tool    SARIFTool     `json:"tool"`
	Results []SARIFResult `json:"results"`
}

// SARIFTool names the tool.
type SARIFTool struct {
	Driver SARIFDriver `json:"driver"`
}

// SARIFDriver is the tool's component that made the results.
type SARIFDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []SARIFRule `json:"rules"`
}

// SARIFText is a message.
type SARIFText struct {
	Text string `json:"text"`
}

// SARIFRule describes one kind of result.
type SARIFRule struct {
	ID               string         `json:"id"`
	Name             string         `json:"name"`
	ShortDescription SARIFText      `json:"shortDescription"`
	FullDescription  SARIFText      `json:"fullDescription"`
	Help             SARIFText      `json:"help"`
	Default          SARIFConfig    `json:"defaultConfiguration"`
	Properties       map[string]any `json:"properties,omitempty"`
}

// SARIFConfig is a rule's default level: error, warning or note.
type SARIFConfig struct {
	Level string `json:"level"`
}

// SARIFResult is one finding.
type SARIFResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   SARIFText       `json:"message"`
	Locations []SARIFLocation `json:"locations"`
	// PartialFingerprints keep a result the same result across runs.
	PartialFingerprints map[string]string `json:"partialFingerprints,omitempty"`
	Properties          map[string]any    `json:"properties,omitempty"`
}

// SARIFLocation is where a result is: in a file, or (for what has no
// file, such as a runtime's built-in profile) a logical name.
type SARIFLocation struct {
	Physical *SARIFPhysical `json:"physicalLocation,omitempty"`
	Logical  []SARIFLogical `json:"logicalLocations,omitempty"`
	Message  *SARIFText     `json:"message,omitempty"`
}

// SARIFPhysical is a place in a file.
type SARIFPhysical struct {
	Artifact SARIFArtifact `json:"artifactLocation"`
	Region   *SARIFRegion  `json:"region,omitempty"`
}

// SARIFArtifact is a file, by a relative URI.
type SARIFArtifact struct {
	URI string `json:"uri"`
}

// SARIFRegion is a line and column (1-based).
type SARIFRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

// SARIFLogical is a named place outside any file.
type SARIFLogical struct {
	Name               string `json:"name,omitempty"`
	FullyQualifiedName string `json:"fullyQualifiedName,omitempty"`
	Kind               string `json:"kind,omitempty"`
}

// SARIFLevel maps a severity (info, warning, error) to a SARIF level.
func SARIFLevel(severity string) string {
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
