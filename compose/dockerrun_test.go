package compose

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/policy"
)

// A docker run command reads as the Compose service it amounts to:
// flags as fields, Docker's order, the image and its arguments left
// alone, and the place of every flag kept for messages.
func TestDockerRun(t *testing.T) {
	d, err := ParseDockerRun(`docker run --rm -it --name web \
  --cap-drop ALL --cap-add=net_bind_service -u 1000:1000 \
  --security-opt no-new-privileges -p 8080:80 -e 'A=$B' nginx:1 --cap-add SYS_ADMIN`, "/tmp")
	if err != nil {
		t.Fatal(err)
	}
	p, notes, err := d.Policy()
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Capabilities.Resolve(0, caps.Full); got != caps.Of(caps.NET_BIND_SERVICE) {
		t.Errorf("capabilities %s", got)
	}
	if p.User == nil || p.User.UID != 1000 || !p.WantsNoNewPrivs() || p.Seccomp.Kind != policy.SeccompRuntimeDefault {
		t.Errorf("%+v %+v", p, p.User)
	}
	if len(notes) == 0 {
		t.Error("no notes")
	}
	// --privileged is every capability and no filter, and the
	// Docker socket mounted is a hostPath volume
	d, err = ParseDockerRun(`docker run --privileged -v /var/run/docker.sock:/var/run/docker.sock img`, "/tmp")
	if err != nil {
		t.Fatal(err)
	}
	if p, _, err := d.Policy(); err != nil || !p.Capabilities.AddAll || p.Seccomp.Kind != policy.SeccompUnconfined {
		t.Errorf("privileged: %+v %v", p, err)
	}
	if svs := d.Pods(); len(svs) != 1 || svs[0].Err != nil || !strings.Contains(podYAML(t, svs[0]), "privileged: true") || !strings.Contains(podYAML(t, svs[0]), "/var/run/docker.sock") {
		t.Errorf("pod: %+v", svs)
	}
	// --privileged=false is no privilege; the last --user wins
	d, err = ParseDockerRun(`docker container run --privileged=false -u 5 -u 7 alpine`, "/tmp")
	if err != nil {
		t.Fatal(err)
	}
	if p, _, err := d.Policy(); err != nil || p.User.UID != 7 || p.Capabilities.Resolve(0, caps.Full).Has(caps.SYS_ADMIN) {
		t.Errorf("%+v %v", p, err)
	}
}

// What a shell or the daemon would make of the text, rampart does not
// guess: refused at the argument's line and column.
func TestDockerRunRefuses(t *testing.T) {
	for text, want := range map[string]string{
		`docker run --cap-add NET_ADMIN,SYS_ADMIN x`:        "1:12: --cap-add: --cap-add NET_ADMIN,SYS_ADMIN: docker takes one capability a flag",
		`docker run --cap-add $CAP x`:                       `1:22: "$": the shell would expand`,
		`docker run --frobnicate x`:                         "--frobnicate: not a flag of docker run",
		`docker run -z x`:                                   "-z: not a flag of docker run",
		`docker run --group-add docker x`:                   "supplementary groups",
		"docker run \\\n  --mount type=bind,src=/,dst=/h x": "2:3: --mount",
		`docker run --privileged=maybe x`:                   "not a boolean",
		`docker run --rm`:                                   "no image",
		`podman run x`:                                      "not a docker run command",
		`docker run x; rm -rf /`:                            `";": the shell would`,
		`docker run "--user=$(id -u)" x`:                    "a substitution inside double quotes",
		`docker run 'x`:                                     "ends inside a quote",
	} {
		d, err := ParseDockerRun(text, "/tmp")
		if err == nil {
			_, _, err = d.Policy()
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", text, err, want)
		}
	}
}

// Every word: quotes joined, escapes kept, continuations followed.
func TestShellWords(t *testing.T) {
	ws, err := shellWords("docker run -e \"a b\" 'c d'\\\n  e\\ f \"g\\\"h\"")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range ws {
		got = append(got, w.text)
	}
	if strings.Join(got, "|") != `docker|run|-e|a b|c d|e f|g"h` {
		t.Errorf("%q", got)
	}
	if ws[5].line != 2 || ws[5].col != 3 {
		t.Errorf("e f at %d:%d", ws[5].line, ws[5].col)
	}
}

func FuzzDockerRun(f *testing.F) {
	f.Add("docker run --cap-drop ALL -it --security-opt seccomp=unconfined img sh")
	f.Add("docker run -itv /a:/b --privileged x")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDockerRun(s, "/tmp")
		if err != nil {
			return
		}
		d.Policy()
		d.Pods()
	})
}

func podYAML(t *testing.T, sv Service) string {
	t.Helper()
	b, err := yaml.Marshal(sv.Pod)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
