package apparmor

import (
	"fmt"
	"strings"
)

// ChoiceError says a file does not single out the profile to use: it
// defines none, several when none was named, or not the one named. It is
// the user's to fix by naming a profile, not a fault of the file.
type ChoiceError struct {
	File string
	Name string   // the profile asked for; empty: the file's only one
	Have []string // the profiles the file defines
}

func (e *ChoiceError) Error() string {
	switch {
	case len(e.Have) == 0:
		return fmt.Sprintf("%s: no profile in file", e.File)
	case e.Name == "":
		return fmt.Sprintf("%s defines %d profiles (%s): name one with --profile", e.File, len(e.Have), strings.Join(e.Have, ", "))
	}
	return fmt.Sprintf("%s does not define profile %q (it has %s)", e.File, e.Name, strings.Join(e.Have, ", "))
}

// Pick returns the profile called name, or the document's only profile
// when name is empty. A hat or child profile is named by its full name,
// "parent//child". Guessing among several would evaluate or enforce a
// profile the user did not mean.
func (d *Document) Pick(name string) (*Profile, error) {
	if name == "" && len(d.Profiles) == 1 {
		return d.Profiles[0], nil
	}
	if name != "" {
		if p := d.Find(name); p != nil {
			return p, nil
		}
	}
	var have []string
	for _, p := range d.All() {
		have = append(have, p.QualifiedName())
	}
	return nil, &ChoiceError{File: d.Name, Name: name, Have: have}
}
