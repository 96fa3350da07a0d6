package qemu

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// virtio-fs through QEMU's vhost-user-fs-device, served by virtiofsd (the
// C one Debian ships with QEMU). See docs/virtio.md for why this backend
// and not one in Go.

// DefaultVirtiofsd is where Debian's qemu-system-x86 installs virtiofsd.
const DefaultVirtiofsd = "/usr/lib/qemu/virtiofsd"

// Share is a host directory shared with the guest.
type Share struct {
	HostDir  string
	GuestDir string
	ReadOnly bool
}

// ParseShare parses HOSTDIR:GUESTDIR[:ro]. GUESTDIR must be absolute.
func ParseShare(s string) (Share, error) {
	var sh Share
	if rest, ok := strings.CutSuffix(s, ":ro"); ok {
		s, sh.ReadOnly = rest, true
	}
	host, guest, ok := strings.Cut(s, ":")
	if !ok || host == "" || guest == "" {
		return Share{}, fmt.Errorf("want HOSTDIR:GUESTDIR[:ro], got %q", s)
	}
	if g, opt, ok := strings.Cut(guest, ":"); ok {
		return Share{}, fmt.Errorf("%q: unknown option %q after the guest directory %s (the only option is ro)", s, opt, g)
	}
	if !strings.HasPrefix(guest, "/") || filepath.Clean(guest) == "/" {
		return Share{}, fmt.Errorf("guest directory %q must be an absolute path other than /", guest)
	}
	sh.HostDir, sh.GuestDir = host, filepath.Clean(guest)
	return sh, nil
}

// fuseOptEscape escapes a value for virtiofsd's -o option list, which
// splits at commas unless a backslash escapes them: without it, a
// directory named "c,cache=always" would share c and set an option.
func fuseOptEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, ",", `\,`).Replace(s)
}

// FSTag is the virtio-fs tag of the n-th share.
func FSTag(n int) string { return DeviceID("fs", n) }

// FSDevice returns the n-th virtio-fs device, serving sh.HostDir with
// virtiofsd (the program at path, DefaultVirtiofsd if empty).
func FSDevice(n int, sh Share, virtiofsd string) (Device, error) {
	st, err := os.Stat(sh.HostDir)
	if err != nil {
		return Device{}, fmt.Errorf("shared directory: %w", err)
	}
	if !st.IsDir() {
		return Device{}, fmt.Errorf("shared directory %s is not a directory", sh.HostDir)
	}
	if virtiofsd == "" {
		virtiofsd = DefaultVirtiofsd
	}
	if _, err := os.Stat(virtiofsd); err != nil {
		return Device{}, fmt.Errorf("virtio-fs needs virtiofsd: %w (install qemu-system-x86 with scripts/setup.sh)", err)
	}
	abs, err := filepath.Abs(sh.HostDir)
	if err != nil {
		return Device{}, err
	}
	sock := SocketPath("fs")
	id := DeviceID("fsc", n)
	return Device{
		Name: "shared directory " + sh.HostDir,
		Args: []string{
			"-chardev", "socket,id=" + id + ",path=" + qemuOptEscape(sock),
			"-device", "vhost-user-fs-device,chardev=" + id + ",tag=" + FSTag(n),
		},
		VhostUser: true,
		Backend: &ProcessBackend{
			Name:   "virtiofsd",
			Path:   virtiofsd,
			Args:   []string{"--socket-path=" + sock, "-o", "source=" + fuseOptEscape(abs), "-o", "cache=none", "-o", "log_level=err"},
			Socket: sock,
		},
	}, nil
}

// ProcessBackend runs a backend program that listens on a Unix socket.
type ProcessBackend struct {
	Name   string   // for messages
	Path   string   // the program
	Args   []string // its arguments
	Socket string   // Start waits until this socket exists; Stop removes it

	cmd    *exec.Cmd
	exited chan struct{}
	stderr tailBuffer
}

// backendStartTimeout bounds how long a backend may take to listen.
const backendStartTimeout = 10 * time.Second

// Start starts the program and waits for its socket.
func (p *ProcessBackend) Start(ctx context.Context) error {
	p.stderr.max = 4 << 10
	p.cmd = &exec.Cmd{
		Path:   p.Path,
		Args:   append([]string{p.Name}, p.Args...),
		Stderr: &p.stderr,
		SysProcAttr: &syscall.SysProcAttr{
			Setpgid:   true,
			Pdeathsig: syscall.SIGKILL, // never outlive gotoro
		},
	}
	if err := p.cmd.Start(); err != nil {
		p.cmd = nil
		return fmt.Errorf("starting %s: %w", p.Path, err)
	}
	p.exited = make(chan struct{})
	go func() {
		p.cmd.Wait()
		close(p.exited)
	}()
	deadline := time.Now().Add(backendStartTimeout)
	for {
		if _, err := os.Stat(p.Socket); err == nil {
			return nil
		}
		select {
		case <-p.exited:
			msg := strings.TrimSpace(p.stderr.lastLines(5))
			if os.Geteuid() != 0 {
				msg += " (virtiofsd needs root for its sandbox)"
			}
			return fmt.Errorf("%s exited at start: %s", p.Name, msg)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not create %s within %s", p.Name, p.Socket, backendStartTimeout)
		}
	}
}

// Pid returns the process id of the running program (the leader of its
// process group), or 0 before Start.
func (p *ProcessBackend) Pid() int {
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// Stop ends the program (it normally exits by itself when QEMU closes the
// connection), then removes Dir.
func (p *ProcessBackend) Stop() error {
	var err error
	if p.cmd != nil {
		select {
		case <-p.exited:
		case <-time.After(500 * time.Millisecond):
			syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
			select {
			case <-p.exited:
			case <-time.After(time.Second):
				syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
				<-p.exited
			}
		}
	}
	if p.Socket != "" {
		if e := os.Remove(p.Socket); e != nil && !errors.Is(e, os.ErrNotExist) {
			err = e
		}
	}
	return err
}
