package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/rampart-sec/rampart/harden"
	"github.com/rampart-sec/rampart/internal/atomicfile"
	"github.com/rampart-sec/rampart/kube"
	"github.com/rampart-sec/rampart/record"
)

const hardenLong = `Write hardened copies of Kubernetes manifests, with minimal edits that keep
comments, key order and formatting. In every container (containers,
initContainers, ephemeralContainers) of every workload, at container level:

  - capabilities.drop: [ALL], keeping the capabilities the manifest adds
    (or exactly --keep CAP...);
  - seccompProfile: RuntimeDefault, or with --seccomp localhost a
    Localhost profile rampart/rampart-<workload>-<container>.json:
    RuntimeDefault for the capabilities the container keeps, less ptrace,
    process_vm_readv/writev (unless it keeps SYS_PTRACE) and
    ioctl TIOCSTI (refused on the request's low 32 bits, as the kernel
    reads it) — copy --profiles-out/rampart/ into the kubelet's seccomp
    directory (/var/lib/kubelet/seccomp) on every node, or use --spo;
  - appArmorProfile: Localhost rampart-<workload>-<container>, a generated
    profile (rampart's container defaults, deny reading /etc/shadow and
    writing the container runtimes' sockets; change with --deny-read and
    --deny-write) written to --profiles-out (default: next to the output);
  - allowPrivilegeEscalation: false;
  - runAsNonRoot: true when runAsUser is a non-zero UID, or with
    --assume-nonroot (the kubelet then refuses to start an image whose
    user is root or not numeric).

--from-recording DIR[#CONTAINER] takes the policy rampart record generated
from DIR/recording.json instead, for CONTAINER (default: every container):
exactly the capabilities the recording used, its seccomp allow list as the
Localhost profile rampart/<name>.json, and its AppArmor allow list as the
Localhost profile <name>, replacing whatever the manifest had.

What is already at least as strict stays (a Localhost profile, drop
[ALL], a pod-level profile). privileged: true is reported and left unless
--unprivileged. Findings go to standard error.

Fields are read as kubectl reads them (YAML 1.1: privileged: True, yes
or on is privileged; runAsUser: 0x0 is root). A file is refused where a
field harden reads or edits reaches kubectl another way than as written:
a duplicate key, a merge key (<<) that brings it in or overrides it, an
alias of a mapping or list (an edit would change every place sharing the
anchor).

Output: FILE.yaml becomes FILE.hardened.yaml next to it (or in --out DIR;
--in-place overwrites; through a symbolic link, the file it names). Every
file is written whole or not at all: to a temporary file beside it,
synced, then renamed over it, keeping an existing file's mode and owner
(hard links to the old file keep the old text). The profiles are written
first and the manifest last, so a manifest never names a profile that
could not be written: on any failure it is left as it was. Two workloads
whose generated seccomp profiles would land on one path with different
rules are refused. --diff prints a unified diff and writes nothing.
--spo also writes Security Profiles Operator objects (FILE.spo.yaml) so
the profiles reach every node: SeccompProfile objects for --seccomp
localhost (the Localhost references then name the operator's path,
operator/<namespace>/<name>.json), and AppArmorProfile + ProfileBinding
objects for AppArmor profiles that are allow-lists (recorded ones:
--from-recording). The operator's AppArmorProfile holds allow-lists only
(spec.abstract), so the generated deny-list profiles are not sent through
it: load those files with apparmor_parser (harden says which).
A file with nothing to change is still written, unchanged. - reads standard
input and writes the hardened manifest to standard output.

Documents are read, hardened and written one at a time, so memory does not
grow with the input, an endless stream on standard input included (until
the first edit, the documents before it wait in a temporary file: a file
with nothing to change comes back byte for byte). A document over
--max-document-size (default 8MiB, 0 for no limit) fails the file, naming
the line it starts on (with -, the documents before it are already
written). --diff reads each file whole, and --spo keeps a file's profiles
until its end, for the objects that list them.

Exit status: 0 hardened; 1 some file could not be read or hardened;
2 bad flags or arguments.`

func newHardenCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		o                         harden.Options
		keep, denyRead, denyWrite []string
		outDir, profilesOut       string
		inPlace, diff, spo        bool
		seccompMode, fromRec      string
		maxDoc                    = byteSize(kube.DefaultMaxDocument)
	)
	cmd := &cobra.Command{
		Use:   "harden FILES...",
		Short: "Write hardened manifests and the AppArmor profiles they reference",
		Long:  hardenLong,
		Example: `  rampart harden deploy.yaml --assume-nonroot
  rampart harden k8s/ --out hardened/ --spo
  rampart harden deploy.yaml --keep NET_BIND_SERVICE --diff
  rampart audit deploy.hardened.yaml --apparmor-node --profiles .`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
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
			var files []string
			for _, a := range args {
				fs, err := hardenFiles(a)
				if err != nil {
					return usageError{err}
				}
				files = append(files, fs...)
			}
			failed := 0
			job := hardenJob{o: o, outDir: outDir, profilesOut: profilesOut, inPlace: inPlace, diff: diff, spo: spo, maxDoc: int(maxDoc), stdout: stdout, stderr: stderr, profiles: map[string]claim{}}
			if err := job.checkDests(files); err != nil {
				return usageError{err}
			}
			for _, f := range files {
				if err := hardenOne(f, job); err != nil {
					fmt.Fprintln(stderr, "rampart: harden:", err)
					failed++
				}
			}
			if failed > 0 {
				return statusError{code: 1, err: fmt.Errorf("harden: %d of %d files failed", failed, len(files))}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&keep, "keep", nil, "the capabilities the workload needs (replaces the manifest's adds; --keep= keeps none)")
	fl.BoolVar(&o.AssumeNonRoot, "assume-nonroot", false, "set runAsNonRoot: true where the image's user is not known")
	fl.BoolVar(&o.Unprivileged, "unprivileged", false, "turn privileged: true into false")
	fl.BoolVar(&o.NoAppArmor, "no-apparmor", false, "leave AppArmor alone (no profile generated)")
	fl.StringSliceVar(&denyRead, "deny-read", harden.DefaultDenyRead, "paths the generated AppArmor profiles deny reading")
	fl.StringSliceVar(&denyWrite, "deny-write", harden.DefaultDenyWrite, "paths the generated AppArmor profiles deny writing")
	fl.StringVar(&outDir, "out", "", "write the hardened manifests into DIR (default: FILE.hardened.yaml next to FILE)")
	fl.StringVar(&profilesOut, "profiles-out", "", "write the AppArmor profiles into DIR (default: the hardened manifest's directory)")
	fl.BoolVar(&inPlace, "in-place", false, "overwrite the input files")
	fl.BoolVar(&diff, "diff", false, "print a unified diff instead of writing anything")
	fl.StringVar(&seccompMode, "seccomp", "runtime-default", "runtime-default, or localhost: a generated profile per container, RuntimeDefault narrowed (see above)")
	fl.BoolVar(&spo, "spo", false, "also write Security Profiles Operator objects (FILE.spo.yaml)")
	fl.Var(&maxDoc, "max-document-size", "the most read of one YAML document (a larger one fails the file): bytes, or with KiB, MiB or GiB; 0 for no limit")
	fl.StringVar(&fromRec, "from-recording", "", "DIR[#CONTAINER]: give the container the policy generated from DIR/recording.json (rampart record)")
	return cmd
}

// recordedProfiles generates the profiles of a recording directory for
// --from-recording DIR[#CONTAINER].
func recordedProfiles(arg string) (*harden.Recorded, error) {
	dir, ctr := arg, ""
	if i := strings.LastIndexByte(arg, '#'); i >= 0 {
		dir, ctr = arg[:i], arg[i+1:]
	}
	rec, err := record.ReadRecording(dir)
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

// hardenFiles expands a directory into its manifests, leaving out
// rampart's own outputs.
func hardenFiles(arg string) ([]string, error) {
	if arg == "-" {
		return []string{"-"}, nil
	}
	st, err := os.Stat(arg)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{arg}, nil
	}
	var out []string
	err = filepath.WalkDir(arg, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != arg && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		n := strings.ToLower(d.Name())
		if (strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml")) && !strings.HasSuffix(n, ".hardened.yaml") && !strings.HasSuffix(n, ".spo.yaml") && d.Type().IsRegular() {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// hardenJob is what hardenOne needs besides the file.
type hardenJob struct {
	o                   harden.Options
	outDir, profilesOut string
	inPlace, diff, spo  bool
	maxDoc              int
	stdout, stderr      io.Writer
	// profiles are the profile files this run wrote, by path: a second
	// file's workload of the same name must not replace one with other
	// rules (the library checks this within one file).
	profiles map[string]claim
}

// claim is who wrote a profile file, and what.
type claim struct {
	by  string
	sum [sha256.Size]byte
}

// claim records that f writes data to path, and refuses other rules
// than an earlier file's. (The same rules are written again: each file's
// batch stands alone, and an earlier one may have been abandoned.)
func (j hardenJob) claim(path, f string, data []byte) error {
	sum := sha256.Sum256(data)
	if c, ok := j.profiles[path]; ok && c.sum != sum {
		return fmt.Errorf("profile %s: %s needs other rules than %s wrote there (workloads of one name in different namespaces or files); harden them in separate runs or rename one", path, f, c.by)
	}
	j.profiles[path] = claim{by: f, sum: sum}
	return nil
}

// dest is where the hardened f goes ("-" for standard output).
func (j hardenJob) dest(f string) (string, error) {
	switch {
	case f == "-":
		return f, nil
	case j.inPlace:
		// The file a link names is the user's manifest: replace it, and
		// keep the link.
		return filepath.EvalSymlinks(f)
	case j.outDir != "":
		return filepath.Join(j.outDir, filepath.Base(f)), nil
	}
	return strings.TrimSuffix(f, filepath.Ext(f)) + ".hardened.yaml", nil
}

// checkDests refuses a run that would write two inputs to one file (the
// second would replace the first: two deploy.yaml under --out, or
// deploy.yaml beside deploy.yml) or an input over itself without
// --in-place.
func (j hardenJob) checkDests(files []string) error {
	if j.diff {
		return nil
	}
	from := map[string]string{}
	for _, f := range files {
		d, err := j.dest(f)
		if err != nil || d == "-" {
			continue // hardenOne says why
		}
		key, _ := filepath.Abs(d)
		if other, dup := from[key]; dup {
			return fmt.Errorf("%s and %s would both be written to %s: harden them in separate runs, or without --out", other, f, d)
		}
		from[key] = f
		if !j.inPlace {
			if fi, err := os.Stat(d); err == nil {
				for _, in := range files {
					if ii, err := os.Stat(in); err == nil && os.SameFile(fi, ii) {
						return fmt.Errorf("%s would be written over the input %s: use --in-place to mean that, or another --out", d, in)
					}
				}
			}
		}
	}
	return nil
}

func hardenOne(f string, j hardenJob) error {
	if j.diff {
		return hardenDiff(f, j)
	}
	in, err := openInput(f)
	if err != nil {
		return err
	}
	defer in.Close()
	dest, err := j.dest(f)
	if err != nil {
		return err
	}
	if fi, err := os.Stat(dest); err == nil && dest != "-" {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Nlink > 1 {
			fmt.Fprintf(j.stderr, "rampart: harden: %s has %d names (hard links): it is replaced, not rewritten, so the other names keep the old text\n", dest, st.Nlink)
		}
	}
	dir := j.profilesOut
	if dir == "" {
		dir = filepath.Dir(f)
		if j.outDir != "" {
			dir = j.outDir
		}
	}
	// The manifest goes to a temporary file, put in place only once
	// every profile it names is written: a failure on the way leaves the
	// destination as it was.
	var out io.Writer = j.stdout
	if dest != "-" {
		if err := atomicfile.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
			return err
		}
		a, err := atomicfile.Create(dest, 0o644)
		if err != nil {
			return err
		}
		defer a.Abort()
		out = a
	}
	edits, profiles := 0, 0
	var batch atomicfile.Batch // the profiles' directories are synced once, before the manifest goes in place
	sink := harden.Sink{
		Collect:     j.spo, // the SPO objects come after every document
		MaxDocument: j.maxDoc,
		Change: func(c harden.Change) {
			if c.Skipped {
				fmt.Fprintf(j.stderr, "rampart: harden: %s: %s (left)\n", f, c)
			} else {
				edits++
			}
		},
		Profile: func(p harden.Profile) error {
			profiles++
			path := filepath.Join(dir, p.Name)
			if err := j.claim(path, f, []byte(p.Text)); err != nil {
				return err
			}
			return write(path, []byte(p.Text), &batch)
		},
		Seccomp: func(p harden.SeccompProfile) error {
			profiles++
			path := filepath.Join(dir, filepath.FromSlash(p.Path))
			if err := j.claim(path, f, p.JSON); err != nil {
				return err
			}
			return write(path, p.JSON, &batch)
		},
	}
	res, err := harden.Stream(f, in, out, j.o, sink)
	if err != nil {
		return err
	}
	if j.spo && len(res.Profiles)+len(res.Seccomp) > 0 {
		if err := writeSPO(f, dest, dir, res, j, &batch); err != nil {
			return err
		}
	}
	if err := batch.Sync(); err != nil {
		return err
	}
	if a, ok := out.(*atomicfile.File); ok {
		if err := a.Commit(); err != nil {
			return err
		}
	}
	if dest != "-" {
		fmt.Fprintf(j.stderr, "rampart: harden: %s -> %s (%d edits, %d profiles in %s)\n", f, dest, edits, profiles, dir)
	}
	return nil
}

// hardenDiff prints what hardening f would change. A diff needs the
// whole file and its hardened form: --diff reads each file whole.
func hardenDiff(f string, j hardenJob) error {
	in, err := openInput(f)
	if err != nil {
		return err
	}
	defer in.Close()
	data, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	// Stream, not Manifest: the document limit holds under --diff too.
	var out bytes.Buffer
	res, err := harden.Stream(f, bytes.NewReader(data), &out, j.o, harden.Sink{Collect: true, MaxDocument: j.maxDoc})
	if err != nil {
		return err
	}
	for _, c := range res.Findings() {
		fmt.Fprintf(j.stderr, "rampart: harden: %s: %s (left)\n", f, c)
	}
	d, err := harden.Diff(f, data, out.Bytes())
	if err != nil {
		return err
	}
	_, err = io.WriteString(j.stdout, d)
	return err
}

func openInput(f string) (io.ReadCloser, error) {
	if f == "-" {
		return io.NopCloser(os.Stdin), nil
	}
	return os.Open(f)
}

// writeSPO writes the Security Profiles Operator objects of a file's
// profiles beside its hardened manifest.
func writeSPO(f, dest, dir string, res *harden.Result, j hardenJob, batch *atomicfile.Batch) error {
	for _, why := range harden.SPOSkipped(res.Profiles) {
		fmt.Fprintf(j.stderr, "rampart: harden: %s: no SPO AppArmorProfile for %s\n", f, why)
	}
	objs, err := harden.SPO(res.Profiles)
	if err != nil {
		return err
	}
	sec, err := harden.SPOSeccomp(res.Seccomp)
	if err != nil {
		return err
	}
	if len(objs) > 0 && len(sec) > 0 {
		objs = append(objs, "---\n"...)
	}
	objs = append(objs, sec...)
	sd := strings.TrimSuffix(dest, filepath.Ext(dest))
	sd = strings.TrimSuffix(sd, ".hardened") + ".spo.yaml"
	if dest == "-" {
		sd = filepath.Join(dir, "rampart.spo.yaml")
	}
	if len(objs) == 0 {
		return nil
	}
	return write(sd, objs, batch)
}

// write writes a file harden makes beside the manifest, creating its
// directory.
func write(path string, data []byte, batch *atomicfile.Batch) error {
	if err := atomicfile.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return batch.WriteFile(path, data, 0o644)
}
