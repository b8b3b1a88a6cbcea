//go:build linux

package lab

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Modules returns the host paths of the named kernel modules (name.ko,
// as "overlay" or "virtio_net") of the Debian kernel vmlinuz, which
// Kernel returned. Debian builds the drivers a guest with a network and
// containers needs (virtio-net, bridge, veth, overlayfs) as modules, and
// the lab's initramfs boots without any. They are extracted once from
// the same kernel package, matched by version, into
// modules-VERSION/ beside vmlinuz, and reused from there.
func Modules(ctx context.Context, vmlinuz string, names []string, log io.Writer) (map[string]string, error) {
	version := strings.TrimPrefix(filepath.Base(vmlinuz), "vmlinuz-")
	if !cachedKernel.MatchString(filepath.Base(vmlinuz)) {
		return nil, fmt.Errorf("lab: %s is not a Debian kernel the lab fetched (vmlinuz-6.1.0-N-amd64): its modules cannot be found", vmlinuz)
	}
	dir := filepath.Join(filepath.Dir(vmlinuz), "modules-"+version)
	have := func() (map[string]string, []string) {
		found, missing := map[string]string{}, []string(nil)
		for _, n := range names {
			p := filepath.Join(dir, n+".ko")
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				found[n] = p
			} else {
				missing = append(missing, n)
			}
		}
		return found, missing
	}
	if found, missing := have(); len(missing) == 0 {
		return found, nil
	}
	lock, err := os.OpenFile(filepath.Join(filepath.Dir(vmlinuz), ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lab: kernel cache: %w", err)
	}
	defer lock.Close()
	if err := flockContext(ctx, lock, 10*time.Minute); err != nil {
		return nil, fmt.Errorf("lab: kernel cache is locked by another run: %w", err)
	}
	defer unix.Flock(int(lock.Fd()), unix.LOCK_UN)
	if found, missing := have(); len(missing) == 0 {
		return found, nil
	}

	pkg := "linux-image-" + version
	logf(log, "lab: downloading %s for its modules", pkg)
	dl, err := os.MkdirTemp(filepath.Dir(vmlinuz), "download-")
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	defer os.RemoveAll(dl)
	if out, err := runTool(ctx, 10*time.Minute, dl, "apt-get", "download", "-q", "-o", "APT::Sandbox::User=root", pkg); err != nil {
		return nil, fmt.Errorf("lab: apt-get download %s (the modules of the cached %s): %v: %s", pkg, filepath.Base(vmlinuz), err, tail(out, 5))
	}
	debs, _ := filepath.Glob(filepath.Join(dl, pkg+"_*.deb"))
	if len(debs) != 1 {
		return nil, fmt.Errorf("lab: apt-get download %s left %d .deb files", pkg, len(debs))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n+".ko"] = true
	}
	prefix := "./lib/modules/" + version + "/kernel/"
	if err := extractFromDeb(ctx, debs[0], func(name string) string {
		if strings.HasPrefix(name, prefix) && want[path.Base(name)] {
			return filepath.Join(dir, path.Base(name))
		}
		return ""
	}); err != nil {
		return nil, err
	}
	found, missing := have()
	if len(missing) > 0 {
		return nil, fmt.Errorf("lab: %s has no module %s", pkg, strings.Join(missing, ", "))
	}
	return found, nil
}

// extractFromDeb streams the .deb's data archive and writes each
// regular file for which dst returns a host path there (atomically).
func extractFromDeb(ctx context.Context, deb string, dst func(member string) string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "dpkg-deb", "--fsys-tarfile", deb)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("lab: dpkg-deb: %w", err)
	}
	var copyErr error
	tr := tar.NewReader(pipe)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			copyErr = fmt.Errorf("lab: reading %s: %w", deb, err)
			break
		}
		to := dst(h.Name)
		if to == "" || h.Typeflag != tar.TypeReg {
			continue
		}
		if copyErr = writeAtomic(to, tr); copyErr != nil {
			copyErr = fmt.Errorf("lab: extracting %s: %w", h.Name, copyErr)
			break
		}
	}
	io.Copy(io.Discard, pipe)
	werr := cmd.Wait()
	switch {
	case copyErr != nil:
		return copyErr
	case werr != nil:
		return fmt.Errorf("lab: dpkg-deb --fsys-tarfile %s: %v: %s", deb, werr, strings.TrimSpace(stderr.String()))
	}
	return nil
}

func writeAtomic(dst string, r io.Reader) error {
	tmp := dst + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
