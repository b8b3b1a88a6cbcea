# rampart — the two commands a newcomer needs:
#   make demo   the main job, live on this machine
#   make test   every test tier this machine can run (run as root)

GO      ?= go
TAGS    := seccomp
BIN     := bin/rampart
export CGO_ENABLED := 1
# One static binary (libseccomp linked in, pure-Go user lookup): it can be
# copied into any container, and it starts faster without ld.so.
# The version every report names: git describe where there is a git tree,
# else the one Go records (see `rampart version`).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null)
STAMP   := -X github.com/rampart-sec/rampart/version.stamped=$(VERSION) -X github.com/rampart-sec/rampart/version.stampedCommit=$(COMMIT)
STATIC  := -tags 'seccomp osusergo netgo' -ldflags '-s -w $(STAMP) -linkmode external -extldflags "-static"' 

.PHONY: all build static image demo dist cross test test-host lab lab-arm64 kube-test kube-down test-short fuzz bench bench-audit vet clean

all: build

# bin/rampart-run is `rampart run` linking the launch path only (it
# starts faster; see cmd/rampart-run); it hands what it cannot do alone
# to the bin/rampart beside it.
build: deps-demo
	$(GO) build $(STATIC) -o $(BIN) ./cmd/rampart
	$(GO) build $(STATIC) -o $(BIN)-run ./cmd/rampart-run

# `make static` is `make build`: the binary is always static, so it can be
# copied into any container (kubectl cp) and run there.
static: build

demo: build
	$(BIN) layers

# Every tier: unit, host and container tests, the AppArmor lab (amd64,
# then arm64), then a real Kubernetes node.
test: test-host lab lab-arm64 kube-test

# Unit, host (real enforcement) and container (runc) tests.
test-host: deps-test cross
	$(GO) vet -tags $(TAGS) ./...
	$(GO) test -tags $(TAGS) -count=1 -timeout 30m ./...

# Every other platform rampart builds for (README "Platforms"):
# cmd/rampart built for each, go vet ./... once per other system (the
# other GOARCH of a system selects no file of rampart's own), and the pure
# packages' tests (which go test vets) run as linux/arm64 binaries under
# qemu-user. linux/arm64 is built as make dist and the arm64 lab build it
# (static, cgo, arm64's libseccomp, the lab's cross compiler), so the lab
# finds it compiled; darwin and windows have no cgo.
CROSS_TARGETS := darwin/amd64 darwin/arm64 windows/amd64 windows/arm64
CROSS_VET     := darwin/arm64 windows/amd64
ARM64_STATIC  := -tags 'seccomp osusergo netgo' -ldflags '-s -w -linkmode external -extldflags "-static"'
# (audit, harden and lsm/apparmor pass too, but take minutes under qemu;
# features, report and cmd/rampart ask the kernel or host programs, which
# qemu-user does not emulate: seccomp(2) is ENOSYS there.)
QEMU_PKGS     := ./caps ./kube ./audit/accept ./policy/... ./oci ./compose ./seccomp/bpf ./seccomp/lint \
	./internal/linuxabi ./internal/strictjson ./internal/k8syaml ./internal/unitfile ./internal/pathtree \
	./internal/bytesize ./runtimes ./systemd ./attack ./version
cross: deps-cross
	echo "cross: build linux/arm64"; CC="$$($(GO) run ./internal/lab/internal/crosscc)" && \
	CC="$$CC" PKG_CONFIG_LIBDIR=/usr/lib/aarch64-linux-gnu/pkgconfig CGO_ENABLED=1 GOARCH=arm64 $(GO) build $(ARM64_STATIC) -o /dev/null ./cmd/rampart
	@set -e; for t in $(CROSS_VET); do \
		echo "cross: vet $$t"; \
		CGO_ENABLED=0 GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) vet ./...; \
	done; for t in $(CROSS_TARGETS); do \
		echo "cross: build $$t"; \
		CGO_ENABLED=0 GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) build -o /dev/null ./cmd/rampart; \
	done
	CGO_ENABLED=0 GOARCH=arm64 $(GO) test -count=1 -short -exec qemu-aarch64-static $(QEMU_PKGS)

# Every platform's binary, and their SHA256SUMS, in dist/:
# rampart-VERSION-GOOS-GOARCH[.exe]. linux/amd64 is make build's; linux/arm64
# the same (static, cgo, libseccomp) through the lab's cross compiler and
# Debian's libseccomp-dev:arm64; darwin and windows without cgo.
DIST     := dist
PORTABLE := -tags 'osusergo netgo' -ldflags '-s -w $(STAMP)'
dist: deps-dist
	rm -rf $(DIST) && mkdir -p $(DIST)
	$(GO) build $(STATIC) -o $(DIST)/rampart-$(VERSION)-linux-amd64 ./cmd/rampart
	CC="$$($(GO) run ./internal/lab/internal/crosscc)" && \
	CC="$$CC" PKG_CONFIG_LIBDIR=/usr/lib/aarch64-linux-gnu/pkgconfig GOARCH=arm64 $(GO) vet -tags $(TAGS) ./... && \
	CC="$$CC" PKG_CONFIG_LIBDIR=/usr/lib/aarch64-linux-gnu/pkgconfig GOARCH=arm64 $(GO) build $(STATIC) -o $(DIST)/rampart-$(VERSION)-linux-arm64 ./cmd/rampart
	@set -e; for t in darwin/amd64 darwin/arm64 windows/amd64 windows/arm64; do \
		os=$${t%/*}; arch=$${t#*/}; ext=; [ $$os = windows ] && ext=.exe; \
		echo "dist: $$os/$$arch"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build $(PORTABLE) -o $(DIST)/rampart-$(VERSION)-$$os-$$arch$$ext ./cmd/rampart; \
	done
	./scripts/krew.sh $(DIST) $(VERSION)
	cd $(DIST) && sha256sum rampart-* kubectl-rampart-* > SHA256SUMS
	./scripts/dist-check.sh $(DIST) $(VERSION)

# Pure tests only: no root, no kernel features needed.
test-short:
	$(GO) test -tags $(TAGS) -short ./...

FUZZTIME ?= 20s
fuzz:
	$(GO) test -tags $(TAGS) ./caps     -run '^$$' -fuzz '^FuzzParse$$'          -fuzztime $(FUZZTIME)
	$(GO) test -tags $(TAGS) ./policy   -run '^$$' -fuzz '^FuzzFlags$$'          -fuzztime $(FUZZTIME)
	$(GO) test -tags $(TAGS) ./policy   -run '^$$' -fuzz '^FuzzDecode$$'         -fuzztime $(FUZZTIME)
	$(GO) test -tags $(TAGS) ./seccomp  -run '^$$' -fuzz '^FuzzParse$$'          -fuzztime $(FUZZTIME)
	$(GO) test -tags $(TAGS) ./lsm/landlock -run '^$$' -fuzz '^FuzzPlanInvariants$$' -fuzztime $(FUZZTIME)
	$(GO) test -tags $(TAGS) ./lsm/apparmor -run '^$$' -fuzz '^FuzzParseRender$$' -fuzztime $(FUZZTIME)
	$(GO) test -tags $(TAGS) ./lsm/apparmor -run '^$$' -fuzz '^FuzzGlob$$'        -fuzztime $(FUZZTIME)
	$(GO) test -tags $(TAGS) ./lsm/apparmor -run '^$$' -fuzz '^FuzzFileIndex$$'   -fuzztime $(FUZZTIME)
	$(GO) test -tags $(TAGS) ./lsm/apparmor -run '^$$' -fuzz '^FuzzClassRule$$'   -fuzztime $(FUZZTIME)
	$(GO) test -tags $(TAGS) ./kube     -run '^$$' -fuzz '^FuzzRead$$'           -fuzztime $(FUZZTIME)
	$(GO) test -tags $(TAGS) ./seccomp/bpf -run '^$$' -fuzz '^FuzzRun$$'         -fuzztime $(FUZZTIME)
	$(GO) test -tags $(TAGS) ./attack   -run '^$$' -fuzz '^FuzzAttribute$$'      -fuzztime $(FUZZTIME)
	$(GO) test -tags $(TAGS) ./record   -run '^$$' -fuzz '^FuzzGenerate$$'       -fuzztime $(FUZZTIME)
	$(GO) test -tags $(TAGS) ./internal/strictjson -run '^$$' -fuzz '^FuzzCheck$$'     -fuzztime $(FUZZTIME)
	$(GO) test -tags $(TAGS) ./internal/strictjson -run '^$$' -fuzz '^FuzzCheckYAML$$' -fuzztime $(FUZZTIME)

# Launch against bwrap and runc, the layers matrix, the filters' per-syscall
# cost, and audit's time and memory from 1x to 50x the corpus beside
# kube-score: bench/results/{launch,layers,seccomp,audit-scale}.md.
bench: deps-bench build
	./bench/launch.sh $(BIN) && ./bench/layers.sh $(BIN) && ./bench/seccomp.sh $(BIN) && ./bench/audit-scale.sh $(BIN)

# rampart audit against kube-score, the Kyverno CLI and trivy config on the
# shared corpus; builds the peers with go install (slow: Kyverno and trivy
# take many minutes).
bench-audit: deps-bench build
	./bench/audit.sh $(BIN)

deps-%:
	@./scripts/deps.sh $*

clean:
	rm -rf bin dist

# The lab (the AppArmor test tier, docs/ARCHITECTURE.md): Debian 12's kernel, AppArmor active, booted
# in qemu (TCG) with an initramfs holding bin/rampart; one boot runs every
# check. The kernel is downloaded with apt once, cached in
# /var/cache/rampart/lab. Needs root.
.PHONY: lab
lab: deps-lab build
	RAMPART_LAB=1 $(GO) test -tags $(TAGS) ./internal/lab/ -v -count=1

# The arm64 lab: Debian 12's arm64 kernel under qemu-system-aarch64 (TCG),
# with a static linux/arm64 rampart and seccomp test binary cross-built
# with cgo and libseccomp; one boot runs the seed's layers, AppArmor and
# seccomp's kernel differential on AArch64. The kernel, the arm64 debs and
# the cross compiler are cached in /var/cache/rampart/lab. Needs root.
lab-arm64: deps-lab-arm64
	RAMPART_LAB_ARM64=1 $(GO) test -tags $(TAGS) ./internal/lab/ -run '^TestARM64' -v -count=1 -timeout 30m

# The kube tier (docs/ARCHITECTURE.md): a real single-node Kubernetes on this
# machine — kubelet, containerd, runc — with the seed's manifests and the
# corpus run and dry-run on it. Kubernetes is built from the Go module
# proxy once (7-10 min cold) and cached in /var/cache/rampart/kube; the
# node comes up in seconds and is always torn down (kube-down clears what
# a killed run left). Needs root.
kube-test: deps-kube build
	RAMPART_KUBE=1 RAMPART_BIN=$(CURDIR)/$(BIN) $(GO) test -tags $(TAGS) -count=1 -timeout 45m ./internal/kubelab/ -v

kube-down:
	$(GO) run ./internal/kubelab/cmd/kubelab down

# An image with busybox and the static rampart at /usr/local/bin/rampart,
# as a docker-archive (ctr -n k8s.io images import, docker load, kind load
# image-archive): what `rampart layers --engine kubernetes` runs.
image: build
	$(GO) run ./internal/kubelab/cmd/kubelab image $(BIN) bin/rampart-image.tar

# Recording overhead of `rampart record` (eBPF) against the plain run and
# `strace -f -c`, one hyperfine run per workload: bench/results/record.md.
# Needs root; strace is optional (its column is left out without it).
.PHONY: bench-record
bench-record: deps-bench build
	./bench/record.sh $(BIN)
