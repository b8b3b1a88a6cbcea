package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/rampart-sec/rampart/harden"
	"github.com/rampart-sec/rampart/kube"
	"github.com/rampart-sec/rampart/policy/source"
	"github.com/rampart-sec/rampart/record"
)

func newHardenCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		o                         harden.Options
		keep, denyRead, denyWrite []string
		outDir, profilesOut       string
		inPlace, diff, spo        bool
		seccompMode, fromRec      string
		maxDoc                    = byteSize(kube.DefaultMaxDocument)
		adm                       admissionFlags
	)
	cmd := &cobra.Command{
		Use:   "harden FILES... | --admission",
		Short: "Write hardened manifests and the AppArmor profiles they reference",
		Long:  hardenLong,
		Example: `  rampart harden deploy.yaml --assume-nonroot
  rampart harden k8s/ --out hardened/ --spo
  rampart harden deploy.yaml --keep NET_BIND_SERVICE --diff
  rampart harden compose.yaml --diff
  rampart audit deploy.hardened.yaml --apparmor-node --profiles .
  rampart harden --admission --mutate | kubectl apply -f -`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			if err := adm.check(fl, args); err != nil {
				return usageError{err}
			}
			if adm.on {
				return adm.write(stdout)
			}
			if inPlace && outDir != "" {
				return usageError{fmt.Errorf("--in-place and --out: choose one")}
			}
			o.Keep, o.KeepSet = keep, fl.Changed("keep")
			switch seccompMode {
			case "runtime-default":
			case "localhost":
				o.SeccompLocalhost = true
			default:
				return usageError{fmt.Errorf("--seccomp %q: want runtime-default or localhost", seccompMode)}
			}
			o.SPO = spo
			if fromRec != "" {
				if fl.Changed("keep") {
					return usageError{fmt.Errorf("--keep and --from-recording: the recording says which capabilities to keep")}
				}
				r, err := recordedProfiles(fromRec)
				if err != nil {
					return usageError{err}
				}
				o.Recorded = r
			}
			if fl.Changed("deny-read") {
				o.DenyRead = append([]string{}, denyRead...)
			}
			if fl.Changed("deny-write") {
				o.DenyWrite = append([]string{}, denyWrite...)
			}
			job := harden.Files{Options: o, OutDir: outDir, ProfilesOut: profilesOut, InPlace: inPlace, Diff: diff, MaxDocument: int(maxDoc),
				Stdout: stdout, Note: func(s string) { fmt.Fprintln(stderr, "rampart: harden:", s) }}
			failed, total, err := job.Run(args)
			if err != nil {
				return usageError{err}
			}
			if failed > 0 {
				return statusError{code: 1, err: fmt.Errorf("harden: %d of %d files failed", failed, total)}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&keep, "keep", nil, "the capabilities the workload needs (replaces the manifest's adds; --keep= keeps none)")
	fl.BoolVar(&o.AssumeNonRoot, "assume-nonroot", false, "set runAsNonRoot: true where the image's user is not known")
	fl.BoolVar(&o.Unprivileged, "unprivileged", false, "turn privileged: true into false")
	fl.BoolVar(&o.NoAppArmor, "no-apparmor", false, "leave AppArmor alone (no profile generated)")
	fl.BoolVar(&o.UserNS, "userns", false, "set hostUsers: false where the Pod can take a user namespace of its own, and say why not elsewhere")
	fl.StringSliceVar(&denyRead, "deny-read", harden.DefaultDenyRead, "paths the generated AppArmor profiles deny reading")
	fl.StringSliceVar(&denyWrite, "deny-write", harden.DefaultDenyWrite(), "paths the generated AppArmor profiles deny writing")
	fl.StringVar(&outDir, "out", "", "write the hardened manifests into DIR (default: FILE.hardened.yaml next to FILE)")
	fl.StringVar(&profilesOut, "profiles-out", "", "write the AppArmor profiles into DIR (default: the hardened manifest's directory)")
	fl.BoolVar(&inPlace, "in-place", false, "overwrite the input files")
	fl.BoolVar(&diff, "diff", false, "print a unified diff instead of writing anything")
	fl.StringVar(&seccompMode, "seccomp", "runtime-default", "runtime-default, or localhost: a generated profile per container, RuntimeDefault narrowed (see above)")
	fl.BoolVar(&spo, "spo", false, "also write Security Profiles Operator objects (FILE.spo.yaml)")
	fl.Var(&maxDoc, "max-document-size", "the most read of one YAML document (a larger one fails the file): bytes, or with KiB, MiB or GiB; 0 for no limit")
	adm.add(fl)
	fl.StringVar(&fromRec, "from-recording", "", "DIR[#CONTAINER]: give the container the policy generated from DIR/recording.json (rampart record; or the recording file, or the policy.json generated from it)")
	return cmd
}

// recordedProfiles generates the profiles of a recording for
// --from-recording DIR[#CONTAINER] (source.Recording finds it).
func recordedProfiles(arg string) (*harden.Recorded, error) {
	rec, ctr, err := source.Recording(arg)
	if err != nil {
		return nil, fmt.Errorf("--from-recording: %w", err)
	}
	g, err := record.Generate(rec, record.GenerateOptions{})
	if err != nil {
		return nil, fmt.Errorf("--from-recording: %w", err)
	}
	js, err := g.Seccomp.JSON()
	if err != nil {
		return nil, err
	}
	return &harden.Recorded{Container: ctr, Name: g.Name, Caps: g.Caps, AppArmor: g.AppArmor.Render(), Seccomp: js, Abstract: g.SPOAbstract}, nil
}
