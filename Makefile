# rampart — the two commands a newcomer needs:
#   make demo   the main job, live on this machine
#   make test   every test tier this machine can run (run as root)

GO      ?= go
TAGS    := seccomp
BIN     := bin/rampart
export CGO_ENABLED := 1
# One static binary (libseccomp linked in, pure-Go user lookup): it can be
# copied into any container, and it starts faster without ld.so.
STATIC  := -tags 'seccomp osusergo netgo' -ldflags '-s -w -linkmode external -extldflags "-static"' 

.PHONY: all build static demo test test-host lab test-short fuzz bench bench-audit vet clean

all: build

build: deps-demo
	$(GO) build $(STATIC) -o $(BIN) ./cmd/rampart

# `make static` is `make build`: the binary is always static, so it can be
# copied into any container (kubectl cp) and run there.
static: build

demo: build
	$(BIN) layers

# Every tier: unit, host and container tests, then the AppArmor lab.
test: test-host lab

# Unit, host (real enforcement) and container (runc) tests.
test-host: deps-test
	$(GO) vet -tags $(TAGS) ./...
	$(GO) test -tags $(TAGS) -count=1 ./...

# Pure tests only: no root, no kernel features needed.
test-short:
	$(GO) test -tags $(TAGS) -short ./...

FUZZTIME ?= 20s
fuzz:
	$(GO) test -tags $(TAGS) ./caps     -run '^$$' -fuzz '^FuzzParse$$'          -fuzztime $(FUZZTIME)
	$(GO) test -tags $(TAGS) ./policy   -run '^$$' -fuzz '^FuzzFlags$$'          -fuzztime $(FUZZTIME)
	$(GO) test -tags $(TAGS) ./seccomp  -run '^$$' -fuzz '^FuzzParse$$'          -fuzztime $(FUZZTIME)
	$(GO) test -tags $(TAGS) ./lsm/landlock -run '^$$' -fuzz '^FuzzPlanInvariants$$' -fuzztime $(FUZZTIME)
	$(GO) test -tags $(TAGS) ./lsm/apparmor -run '^$$' -fuzz '^FuzzParseRender$$' -fuzztime $(FUZZTIME)
	$(GO) test -tags $(TAGS) ./lsm/apparmor -run '^$$' -fuzz '^FuzzGlob$$'        -fuzztime $(FUZZTIME)
	$(GO) test -tags $(TAGS) ./kube     -run '^$$' -fuzz '^FuzzRead$$'           -fuzztime $(FUZZTIME)
	$(GO) test -tags $(TAGS) ./seccomp/bpf -run '^$$' -fuzz '^FuzzRun$$'         -fuzztime $(FUZZTIME)
	$(GO) test -tags $(TAGS) ./probe    -run '^$$' -fuzz '^FuzzAttribute$$'      -fuzztime $(FUZZTIME)

bench: deps-bench build
	./bench/launch.sh $(BIN) && ./bench/seccomp.sh $(BIN)

# rampart audit against kube-score, the Kyverno CLI and trivy config on the
# shared corpus; builds the peers with go install (slow: Kyverno and trivy
# take many minutes).
bench-audit: deps-bench build
	./bench/audit.sh $(BIN)

deps-%:
	@./scripts/deps.sh $*

clean:
	rm -rf bin

# The lab (DESIGN.md tier 4): Debian 12's kernel, AppArmor active, booted
# in qemu (TCG) with an initramfs holding bin/rampart; one boot runs every
# check. The kernel is downloaded with apt once, cached in
# /var/cache/rampart/lab. Needs root.
.PHONY: lab
lab: deps-lab build
	RAMPART_LAB=1 $(GO) test -tags $(TAGS) ./lab/ -v -count=1
