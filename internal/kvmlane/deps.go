package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// The Debian packages L1 is made of: the cloud kernel (with kvm and
// kvm_amd as modules) and a static busybox for a debugging shell. They are
// fetched with apt-get download into the work directory and unpacked
// there with dpkg-deb, once; a newer kernel package replaces them.

const (
	kernelMeta  = "linux-image-cloud-amd64"
	busyboxPkg  = "busybox-static"
	aptDeadline = 15 * time.Minute
)

// debs is where the unpacked packages are.
type debs struct {
	kernelVersion string // e.g. 6.1.0-57-cloud-amd64
	kernelRoot    string // unpacked kernel package
	busyboxRoot   string // unpacked busybox-static
}

func (d debs) vmlinuz() string {
	return filepath.Join(d.kernelRoot, "boot", "vmlinuz-"+d.kernelVersion)
}

func (d debs) module(rel string) string {
	return filepath.Join(d.kernelRoot, "lib", "modules", d.kernelVersion, "kernel", rel)
}

func (d debs) busybox() string { return filepath.Join(d.busyboxRoot, "bin", "busybox") }

// fetchDebs makes sure the packages are downloaded and unpacked under dir.
func fetchDebs(ctx context.Context, dir string, log func(string, ...any)) (debs, error) {
	ctx, cancel := context.WithTimeout(ctx, aptDeadline)
	defer cancel()
	for _, tool := range []string{"apt-get", "apt-cache", "dpkg-deb"} {
		if _, err := exec.LookPath(tool); err != nil {
			return debs{}, fmt.Errorf("%s not found: the lane needs a Debian host", tool)
		}
	}
	pkg, err := kernelPackage(ctx)
	if err != nil {
		// The package lists may be missing on a fresh machine.
		log("apt-get update (%v)", err)
		if out, uerr := run(ctx, "", "apt-get", "update", "-qq"); uerr != nil {
			return debs{}, fmt.Errorf("apt-get update: %w\n%s", uerr, out)
		}
		if pkg, err = kernelPackage(ctx); err != nil {
			return debs{}, err
		}
	}
	d := debs{
		kernelVersion: strings.TrimPrefix(pkg, "linux-image-"),
		kernelRoot:    filepath.Join(dir, pkg),
		busyboxRoot:   filepath.Join(dir, busyboxPkg),
	}
	if _, err := os.Stat(d.vmlinuz()); err == nil {
		if _, err := os.Stat(d.busybox()); err == nil {
			return d, nil
		}
	}
	dl := filepath.Join(dir, "download")
	os.RemoveAll(dl)
	if err := os.MkdirAll(dl, 0o755); err != nil {
		return debs{}, err
	}
	defer os.RemoveAll(dl)
	log("downloading %s and %s", pkg, busyboxPkg)
	if out, err := run(ctx, dl, "apt-get", "download", "-q", pkg, busyboxPkg); err != nil {
		return debs{}, fmt.Errorf("apt-get download %s %s: %w\n%s", pkg, busyboxPkg, err, out)
	}
	for _, p := range []struct{ prefix, root string }{{pkg + "_", d.kernelRoot}, {busyboxPkg + "_", d.busyboxRoot}} {
		m, _ := filepath.Glob(filepath.Join(dl, p.prefix+"*.deb"))
		if len(m) != 1 {
			return debs{}, fmt.Errorf("apt-get download left %d files named %s*.deb", len(m), p.prefix)
		}
		tmp := p.root + ".tmp"
		os.RemoveAll(tmp)
		if out, err := run(ctx, "", "dpkg-deb", "-x", m[0], tmp); err != nil {
			return debs{}, fmt.Errorf("dpkg-deb -x %s: %w\n%s", m[0], err, out)
		}
		os.RemoveAll(p.root)
		if err := os.Rename(tmp, p.root); err != nil {
			return debs{}, err
		}
	}
	if _, err := os.Stat(d.vmlinuz()); err != nil {
		return debs{}, fmt.Errorf("the kernel package has no %s", d.vmlinuz())
	}
	return d, nil
}

// kernelPackage resolves the cloud kernel metapackage to the versioned
// image package it depends on.
func kernelPackage(ctx context.Context) (string, error) {
	out, err := run(ctx, "", "apt-cache", "depends", kernelMeta)
	if err != nil {
		return "", fmt.Errorf("apt-cache depends %s: %w", kernelMeta, err)
	}
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Depends: linux-image-"); ok {
			return "linux-image-" + v, nil
		}
	}
	return "", fmt.Errorf("apt-cache depends %s names no linux-image package", kernelMeta)
}

// run runs a command and returns its combined output.
func run(ctx context.Context, dir, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	var b bytes.Buffer
	cmd.Stdout, cmd.Stderr = &b, &b
	err := cmd.Run()
	return b.String(), err
}
