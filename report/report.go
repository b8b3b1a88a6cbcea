// Package report renders rampart's results for people and tools, every
// format of every command in one place: terminal tables (with colour on
// a terminal), JSON, Markdown, SARIF 2.1.0, JUnit XML, and the seed
// article's picture of the layers as SVG or HTML.
//
// Each kind of result has one function that takes the format by name, as
// the command's -o gives it: Layers, Audit (and NewAuditWriter, which
// writes an audit as it is made), Probe, Catalog, Lint, AppArmor, and the
// seccomp profile tools' SeccompProfile, SeccompDecision, SeccompList and
// SeccompDiff. Each JSON form has a JSON Schema under docs/, which the
// tests validate real output against.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// A FormatError is a format a renderer does not write. Its message names
// -o, the flag every rampart command takes its format by.
type FormatError struct {
	Format string   // as asked
	Want   []string // the formats there are
}

func (e *FormatError) Error() string {
	want := e.Want[len(e.Want)-1]
	if len(e.Want) > 1 {
		want = strings.Join(e.Want[:len(e.Want)-1], ", ") + " or " + want
	}
	return fmt.Sprintf("-o %q: want %s", e.Format, want)
}

// writeJSON writes v as JSON indented by two spaces, the form of every
// JSON output but audit's compact one.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// Kind is a kind of result, as CheckFormat names it.
type Kind string

const (
	KindLayers   Kind = "layers"
	KindAudit    Kind = "audit"
	KindProbe    Kind = "probe"
	KindLint     Kind = "lint"
	KindAppArmor Kind = "apparmor"
	KindDrift    Kind = "drift"
)

// formats are the formats each kind's renderer writes; aliases, other
// names it takes for them.
var (
	formats = map[Kind][]string{KindLayers: layersFormats, KindAudit: auditFormats, KindProbe: probeFormats,
		KindLint: lintFormats, KindAppArmor: appArmorFormats, KindDrift: driftFormats}
	aliases = map[Kind][]string{KindLayers: {"", "md"}, KindProbe: {""}, KindDrift: {""}}
)

// CheckFormat says whether kind's renderer writes format, so that a
// command can refuse a bad -o before it does the work (a layers run, a
// probe) whose result could not be written.
func CheckFormat(kind Kind, format string) error {
	if slices.Contains(formats[kind], format) || slices.Contains(aliases[kind], format) {
		return nil
	}
	return &FormatError{Format: format, Want: formats[kind]}
}
