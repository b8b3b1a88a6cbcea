package compose

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/rampart-sec/rampart/internal/k8syaml"
	"github.com/rampart-sec/rampart/policy"
)

// A `docker run` command line is the Compose service it amounts to: the
// same daemon applies the same options, so rampart reads the flags as
// the service's fields (--cap-add as cap_add, --security-opt as
// security_opt…) and the rest is Compose's reading. Flags that make the
// container and not its process's layers (ports, environment, names) are
// skipped; every flag of docker run is known, so that a flag's value is
// never taken for the image, and one rampart does not know is refused.

// DockerRun is a docker run command line read as a one-service Compose
// document, each node at the line and column of the argument it was
// read from.
type DockerRun struct {
	// Name is what the command is called in messages and reports.
	Name string
	svcs *yaml.Node
}

// dockerFlag is how docker run reads a flag, and which Compose field it
// stands for ("" for a flag that is not a layer).
type dockerFlag struct {
	value  bool   // takes a value
	field  string // the Compose field it sets
	refuse string // why rampart will not read the command with it
}

// dockerFlags are docker run's flags (docker/cli: run.go, create.go,
// opts.go), by long name; short names map to them in dockerShort.
var dockerFlags = map[string]dockerFlag{
	// layers
	"cap-add": {value: true, field: "cap_add"}, "cap-drop": {value: true, field: "cap_drop"},
	"privileged": {field: "privileged"}, "security-opt": {value: true, field: "security_opt"},
	"user": {value: true, field: "user"}, "read-only": {field: "read_only"},
	"pid": {value: true, field: "pid"}, "ipc": {value: true, field: "ipc"},
	"network": {value: true, field: "network_mode"}, "net": {value: true, field: "network_mode"},
	"userns": {value: true, field: "userns_mode"}, "device": {value: true, field: "devices"},
	"volume":    {value: true, field: "volumes"},
	"group-add": {value: true, field: "group_add"}, "device-cgroup-rule": {value: true, field: "device_cgroup_rules"},
	"uts": {value: true, field: "uts"}, "cgroupns": {value: true, field: "cgroup"},
	"mount":          {value: true, refuse: "--mount's bind mounts are not read yet: write them as -v SRC:DST[:ro]"},
	"use-api-socket": {refuse: "it binds the Docker socket into the container, root on the host: write it as -v /var/run/docker.sock:/var/run/docker.sock"},
	"volumes-from":   {value: true, refuse: "it takes another container's mounts, which rampart cannot see"},
	"runtime":        {value: true, refuse: "another OCI runtime, whose defaults rampart does not know"},
	"isolation":      {value: true},
	// not layers: a flag and whether it takes a value
	"detach": {}, "sig-proxy": {}, "quiet": {}, "help": {}, "disable-content-trust": {}, "interactive": {},
	"tty": {}, "rm": {}, "publish-all": {}, "no-healthcheck": {}, "oom-kill-disable": {}, "init": {},
	"detach-keys": {value: true}, "name": {value: true}, "pull": {value: true}, "platform": {value: true},
	"attach": {value: true}, "gpus": {value: true}, "env": {value: true}, "env-file": {value: true},
	"entrypoint": {value: true}, "hostname": {value: true}, "domainname": {value: true}, "label": {value: true},
	"label-file": {value: true}, "restart": {value: true}, "stop-signal": {value: true}, "stop-timeout": {value: true},
	"sysctl": {value: true}, "ulimit": {value: true}, "workdir": {value: true},
	"add-host": {value: true}, "dns": {value: true}, "dns-option": {value: true}, "dns-opt": {value: true},
	"dns-search": {value: true}, "expose": {value: true}, "ip": {value: true}, "ip6": {value: true},
	"link": {value: true}, "link-local-ip": {value: true}, "mac-address": {value: true}, "publish": {value: true},
	"network-alias": {value: true}, "net-alias": {value: true}, "log-driver": {value: true},
	"volume-driver": {value: true}, "log-opt": {value: true}, "storage-opt": {value: true}, "tmpfs": {value: true},
	"health-cmd": {value: true}, "health-interval": {value: true}, "health-retries": {value: true},
	"health-timeout": {value: true}, "health-start-period": {value: true}, "health-start-interval": {value: true},
	"blkio-weight": {value: true}, "blkio-weight-device": {value: true}, "cidfile": {value: true},
	"cpuset-cpus": {value: true}, "cpuset-mems": {value: true}, "cpu-count": {value: true}, "cpu-percent": {value: true},
	"cpu-period": {value: true}, "cpu-quota": {value: true}, "cpu-rt-period": {value: true}, "cpu-rt-runtime": {value: true},
	"cpu-shares": {value: true}, "cpus": {value: true}, "device-read-bps": {value: true}, "device-read-iops": {value: true},
	"device-write-bps": {value: true}, "device-write-iops": {value: true}, "io-maxbandwidth": {value: true},
	"io-maxiops": {value: true}, "memory": {value: true}, "memory-reservation": {value: true},
	"memory-swap": {value: true}, "memory-swappiness": {value: true}, "oom-score-adj": {value: true},
	"pids-limit": {value: true}, "cgroup-parent": {value: true}, "shm-size": {value: true},
	"annotation": {value: true}, "kernel-memory": {value: true},
}

// dockerShort are docker run's one-letter flags.
var dockerShort = map[byte]string{
	'd': "detach", 'i': "interactive", 't': "tty", 'P': "publish-all", 'q': "quiet",
	'a': "attach", 'c': "cpu-shares", 'e': "env", 'h': "hostname", 'l': "label", 'm': "memory",
	'p': "publish", 'u': "user", 'v': "volume", 'w': "workdir",
}

// ParseDockerRun reads a docker run (docker container run, docker
// create) command line. Relative paths (a seccomp profile) are taken
// from dir, as the docker CLI reads them from its working directory.
func ParseDockerRun(text, dir string) (*DockerRun, error) {
	args, err := shellWords(text)
	if err != nil {
		return nil, err
	}
	name := "docker run"
	bad := func(a word, err error) error {
		return &Error{File: name, Line: a.line, Col: a.col, Path: a.text, Err: err}
	}
	i := 0
	if i < len(args) && args[i].text == "sudo" {
		i++
	}
	switch {
	case i+1 < len(args) && args[i].text == "docker" && (args[i+1].text == "run" || args[i+1].text == "create"):
		i += 2
	case i+2 < len(args) && args[i].text == "docker" && args[i+1].text == "container" && (args[i+2].text == "run" || args[i+2].text == "create"):
		i += 3
	default:
		return nil, &Error{File: name, Line: 1, Col: 1, Err: errors.New("not a docker run command: it starts with docker run, docker container run or docker create (options to docker itself, which choose another daemon, are not read)")}
	}
	fields := map[string][]*yaml.Node{}
	var order []string
	set := func(field string, n *yaml.Node) {
		if _, ok := fields[field]; !ok {
			order = append(order, field)
		}
		fields[field] = append(fields[field], n)
	}
	at := func(a word) *yaml.Node { return &yaml.Node{Line: a.line, Column: a.col} }
	image := -1
	for ; i < len(args); i++ {
		a := args[i]
		if a.text == "--" {
			if i+1 < len(args) {
				image = i + 1
			}
			break
		}
		if !strings.HasPrefix(a.text, "-") || a.text == "-" {
			image = i
			break // docker run reads no flag after the image
		}
		// the flags a word holds, with their values
		type use struct {
			long, value string
			hasValue    bool
		}
		var uses []use
		if strings.HasPrefix(a.text, "--") {
			long, value, hasValue := strings.Cut(a.text[2:], "=")
			f, ok := dockerFlags[long]
			if !ok {
				return nil, bad(a, fmt.Errorf("--%s: not a flag of docker run; the command would be refused", long))
			}
			if f.value && !hasValue {
				if i+1 == len(args) {
					return nil, bad(a, fmt.Errorf("--%s needs a value", long))
				}
				i++
				value, hasValue = args[i].text, true
			}
			uses = append(uses, use{long, value, hasValue})
		} else {
			// -it, -itd, -e=X, -eX, -v SRC:DST, -itp80:80
			for k := 1; k < len(a.text); k++ {
				long, ok := dockerShort[a.text[k]]
				if !ok {
					return nil, bad(a, fmt.Errorf("-%c: not a flag of docker run; the command would be refused", a.text[k]))
				}
				if !dockerFlags[long].value {
					uses = append(uses, use{long: long})
					continue
				}
				value := strings.TrimPrefix(a.text[k+1:], "=")
				if k+1 == len(a.text) {
					if i+1 == len(args) {
						return nil, bad(a, fmt.Errorf("-%c needs a value", a.text[k]))
					}
					i++
					value = args[i].text
				}
				uses = append(uses, use{long, value, true})
				break
			}
		}
		for _, u := range uses {
			f := dockerFlags[u.long]
			if f.refuse != "" {
				return nil, bad(a, fmt.Errorf("--%s: %s", u.long, f.refuse))
			}
			if f.field == "" {
				continue
			}
			if !f.value {
				// a bool: --privileged, --privileged=false
				v := true
				if u.hasValue {
					switch strings.ToLower(u.value) {
					case "1", "t", "true":
					case "0", "f", "false":
						v = false
					default:
						return nil, bad(a, fmt.Errorf("--%s=%s: not a boolean; docker refuses the command", u.long, u.value))
					}
				}
				set(f.field, k8syaml.Bool(v, at(a))) // the last one wins
				continue
			}
			if f.field == "cap_add" || f.field == "cap_drop" {
				if strings.Contains(u.value, ",") {
					return nil, bad(a, fmt.Errorf("--%s %s: docker takes one capability a flag, and refuses %q as unknown", u.long, u.value, u.value))
				}
			}
			if strings.Contains(u.value, "$") {
				return nil, bad(a, fmt.Errorf("%q: the shell would substitute it; write the value", u.value))
			}
			if f.field == "security_opt" && strings.HasPrefix(u.value, "seccomp=") {
				if p := strings.TrimPrefix(u.value, "seccomp="); p != "unconfined" && p != "builtin" && !filepath.IsAbs(p) {
					// the CLI reads the file from its working directory
					u.value = "seccomp=" + filepath.Join(dir, p)
				}
			}
			set(f.field, k8syaml.Str(u.value, at(a)))
		}
	}
	if image < 0 {
		return nil, &Error{File: name, Line: args[len(args)-1].line, Col: args[len(args)-1].col, Err: errors.New("no image: docker run needs one after its flags")}
	}
	img := args[image]
	var svc []any
	svc = append(svc, "image", k8syaml.Str(img.text, at(img)))
	for _, field := range order {
		ns := fields[field]
		switch field {
		case "cap_add", "cap_drop", "security_opt", "devices", "volumes", "group_add", "device_cgroup_rules":
			svc = append(svc, field, k8syaml.Seq(ns[0], ns...))
		default:
			svc = append(svc, field, ns[len(ns)-1]) // the last one wins
		}
	}
	top := &yaml.Node{Line: 1, Column: 1}
	svcs := k8syaml.Map(top, "run", k8syaml.Map(at(img), svc...))
	return &DockerRun{Name: name, svcs: svcs}, nil
}

// Policy is the policy Docker gives the command's container process.
func (d *DockerRun) Policy() (*policy.Policy, []string, error) {
	p, notes, err := policyOf(d.Name, "run", d.svcs, []string{"run"})
	if p != nil {
		p.Source = "docker run (the command given)"
	}
	for i, n := range notes {
		n = strings.Replace(n, d.Name+": services.run", d.Name, 1)
		n = strings.Replace(n, "the service's process layers", "the container's process layers", 1)
		notes[i] = strings.Replace(n, "for what the file does not say", "for what the command does not say", 1)
	}
	return p, notes, flagError(err)
}

// Pods is the command's container as the Pod it stands for.
func (d *DockerRun) Pods() []Service {
	svs := podsOf(d.Name, d.svcs, []string{"run"})
	for i := range svs {
		svs[i].Err = flagError(svs[i].Err)
	}
	return svs
}

// flagError names the flag a Compose field's error came from.
func flagError(err error) error {
	var e *Error
	if !errors.As(err, &e) || !strings.HasPrefix(e.Path, "services.run") {
		return err
	}
	field := strings.TrimPrefix(strings.TrimPrefix(e.Path, "services.run"), ".")
	if i := strings.IndexAny(field, ".["); i >= 0 {
		field = field[:i]
	}
	c := *e
	c.Path = ""
	if flag, ok := fieldFlags[field]; ok {
		c.Path = flag
	}
	return &c
}

// fieldFlags are the Compose fields' flags.
var fieldFlags = map[string]string{
	"cap_add": "--cap-add", "cap_drop": "--cap-drop", "privileged": "--privileged", "security_opt": "--security-opt",
	"user": "--user", "read_only": "--read-only", "pid": "--pid", "ipc": "--ipc", "network_mode": "--network",
	"userns_mode": "--userns", "devices": "--device", "volumes": "--volume", "group_add": "--group-add",
	"device_cgroup_rules": "--device-cgroup-rule", "uts": "--uts", "cgroup": "--cgroupns", "image": "the image",
}

// word is a shell word and where it starts.
type word struct {
	text      string
	line, col int
}

// shellWords splits a command line as sh does for the quoting a command
// is written with: blanks, single and double quotes, backslashes and
// continued lines. What the shell would expand or run (variables,
// substitutions, globs, redirections, several commands) is refused:
// rampart reads the command as written, not what a shell makes of it.
func shellWords(s string) ([]word, error) {
	var (
		out     []word
		cur     strings.Builder
		in      bool
		start   word
		line    = 1
		col     = 0
		quote   byte
		escaped bool
	)
	refuse := func(why string) error {
		return &Error{File: "docker run", Line: line, Col: col, Err: errors.New(why)}
	}
	begin := func() {
		if !in {
			in, start = true, word{line: line, col: col}
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		col++
		switch {
		case escaped:
			escaped = false
			if c == '\n' {
				line, col = line+1, 0 // a continued line
				continue
			}
			begin()
			cur.WriteByte(c)
		case quote == '\'':
			if c == '\'' {
				quote = 0
				continue
			}
			if c == '\n' {
				line, col = line+1, 0
			}
			cur.WriteByte(c)
		case quote == '"':
			switch c {
			case '"':
				quote = 0
			case '\\':
				if i+1 < len(s) && strings.IndexByte("\"\\$`\n", s[i+1]) >= 0 {
					i++
					col++
					if s[i] == '\n' {
						line, col = line+1, 0
						continue
					}
					cur.WriteByte(s[i])
					continue
				}
				cur.WriteByte(c)
			case '$', '`':
				return nil, refuse("a substitution inside double quotes: the shell would replace it; write the value")
			default:
				if c == '\n' {
					line, col = line+1, 0
				}
				cur.WriteByte(c)
			}
		case c == '\\':
			escaped = true
		case c == '\'' || c == '"':
			begin()
			quote = c
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if in {
				start.text = cur.String()
				out = append(out, start)
				cur.Reset()
				in = false
			}
			if c == '\n' {
				line, col = line+1, 0
			}
		case strings.IndexByte("$`|&;<>(){}*?[", c) >= 0:
			return nil, refuse(fmt.Sprintf("%q: the shell would expand, redirect or run something here; give rampart one docker run command with its values written", string(c)))
		default:
			begin()
			cur.WriteByte(c)
		}
	}
	if quote != 0 || escaped {
		return nil, refuse("the command ends inside a quote or after a backslash")
	}
	if in {
		start.text = cur.String()
		out = append(out, start)
	}
	if len(out) == 0 {
		return nil, refuse("an empty command")
	}
	return out, nil
}
