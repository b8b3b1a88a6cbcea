// Package examples carries the seed article's manifests and AppArmor
// profile inside the rampart binary, for `rampart layers` with no
// argument.
package examples

import "embed"

// Seed holds seed/*.yaml (the article's four steps) and
// seed/flask-deny-shadow (its AppArmor profile).
//
//go:embed seed/*.yaml seed/flask-deny-shadow
var Seed embed.FS

// SeedDefault is the manifest of the article's last step: every layer.
const SeedDefault = "seed/3-apparmor.yaml"
