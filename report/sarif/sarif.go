// Package sarif holds the subset of SARIF 2.1.0 rampart writes (one run,
// the tool's rules, results with physical or logical locations) for
// every command that writes it: audit and seccomp lint.
package sarif

import (
	"net/url"
	"path/filepath"
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
	Tool Tool `json:"tool"`
	// OriginalURIBaseIDs says where SrcRoot, the base of every relative
	// artifact URI, was on the machine that wrote the log.
	OriginalURIBaseIDs map[string]Artifact `json:"originalUriBaseIds,omitempty"`
	Results            []Result            `json:"results"`
	// Invocations carry what the tool says of the run itself, such as
	// a check it could not make.
	Invocations []Invocation `json:"invocations,omitempty"`
}

// Invocation is one run of the tool, with its notes.
type Invocation struct {
	ExecutionSuccessful bool           `json:"executionSuccessful"`
	Notifications       []Notification `json:"toolExecutionNotifications,omitempty"`
}

// Notification is a message about the run: Level is note, warning or
// error.
type Notification struct {
	Level   string `json:"level"`
	Message Text   `json:"message"`
}

// Tool names the tool.
type Tool struct {
	Driver Driver `json:"driver"`
}

// Driver is the tool's component that made the results.
type Driver struct {
	Name            string `json:"name"`
	Version         string `json:"version,omitempty"`
	SemanticVersion string `json:"semanticVersion,omitempty"`
	InformationURI  string `json:"informationUri"`
	Rules           []Rule `json:"rules"`
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
	HelpURI          string         `json:"helpUri,omitempty"`
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

// Artifact is a file: by a URI relative to the base URIBaseID names,
// or by an absolute file:// URI.
type Artifact struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
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

// SrcRoot is the uriBaseId of every relative artifact URI: the
// directory the log's paths are relative to, as code scanning expects.
const SrcRoot = "%SRCROOT%"

// Stdin is the artifact URI of input read from standard input: a name
// relative to the base, as no file has it.
const Stdin = "stdin"

// Base turns file names into artifact locations relative to one
// directory, the log's SrcRoot.
type Base struct {
	dir string // absolute and clean
}

// NewBase is a Base at dir, relative to the working directory wd when
// relative ("" is wd itself).
func NewBase(dir, wd string) Base {
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(wd, dir)
	}
	return Base{dir: filepath.Clean(dir)}
}

// URIBaseIDs is the run's originalUriBaseIds: SrcRoot as an absolute
// file:// URI ending in a slash, as RFC 3986 needs to resolve against it.
func (b Base) URIBaseIDs() map[string]Artifact {
	u := fileURI(b.dir)
	if !strings.HasSuffix(u, "/") {
		u += "/"
	}
	return map[string]Artifact{SrcRoot: {URI: u}}
}

// Artifact locates the file at path (relative to the working directory
// wd, or absolute): relative to the base when it is inside it, else by
// an absolute file:// URI; "<stdin>" and "-" are Stdin.
func (b Base) Artifact(path, wd string) Artifact {
	if path == "<stdin>" || path == "-" {
		return Artifact{URI: Stdin, URIBaseID: SrcRoot}
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(wd, path)
	}
	path = filepath.Clean(path)
	if rel, err := filepath.Rel(b.dir, path); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
		return Artifact{URI: escapePath(rel), URIBaseID: SrcRoot}
	}
	return Artifact{URI: fileURI(path)}
}

// fileURI is an absolute path as a file:// URI.
func fileURI(path string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(path)}).String()
}

// escapePath is a relative path as a relative URI reference: forward
// slashes, reserved characters escaped, and no colon in the first
// segment, where it would read as a scheme.
func escapePath(path string) string {
	return (&url.URL{Path: filepath.ToSlash(path)}).String()
}
