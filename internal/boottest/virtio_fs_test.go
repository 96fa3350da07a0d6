package boottest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gotoro/gotoro/host/qemu"
	"github.com/gotoro/gotoro/host/tsc"
	"github.com/gotoro/gotoro/internal/bootcase"
)

// The share, the virtiofsd check and the fs boot are bootcase's, whose
// virtio-fs case (TestCases/virtio-fs) the KVM lane runs too.

func needVirtiofsd(t *testing.T) { bootcase.NeedVirtiofsd(t, caseEnv()) }

func share(t *testing.T) string { return bootcase.Share(t) }

func pattern(n int, seed int64) []byte { return bootcase.Pattern(n, seed) }

// bootFS boots testdata/fs with the share dir.
func bootFS(t *testing.T, dir string, ro bool, args ...string) (string, qemu.Result) {
	t.Helper()
	return caseEnv().BootFS(t, dir, ro, args...)
}

func fsDevice(t *testing.T, dir string, ro bool) ([]qemu.Device, qemu.Share) {
	t.Helper()
	sh := qemu.Share{HostDir: dir, GuestDir: "/share", ReadOnly: ro}
	d, err := qemu.FSDevice(0, sh, "")
	if err != nil {
		t.Fatal(err)
	}
	return []qemu.Device{d}, sh
}

// TestVirtioFSEscape: ".." and symlinks do not leave the share.
func TestVirtioFSEscape(t *testing.T) {
	out, res := bootFS(t, share(t), false, "escape")
	wantExit(t, out, res, 0)
	for _, want := range []string{
		"in/outlink: open /share/in/outlink: invalid cross-device link",
		"in/abslink: open /share/in/abslink: invalid cross-device link",
		"in/dirlink/secret: open /share/in/dirlink/secret: invalid cross-device link",
		`inlink "hi\n"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "root:") {
		t.Errorf("the host's /etc/passwd leaked:\n%s", out)
	}
}

// TestVirtioFSReadOnly: a read-only share refuses changes with EROFS.
func TestVirtioFSReadOnly(t *testing.T) {
	dir := share(t)
	out, res := bootFS(t, dir, true, "ro")
	wantExit(t, out, res, 0)
	for _, op := range []string{"create", "mkdir", "remove", "rename", "open"} {
		if !strings.Contains(out, op+" EROFS true") {
			t.Errorf("%s was not refused with EROFS:\n%s", op, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "in", "hello.txt")); err != nil {
		t.Error(err)
	}
}

// lineWaiter signals when the console has printed a line containing want.
type lineWaiter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	hit  chan struct{}
	once sync.Once
}

func (l *lineWaiter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	if strings.Contains(l.buf.String(), l.want) {
		l.once.Do(func() { close(l.hit) })
	}
	return len(p), nil
}

// TestVirtioFSKilledMidWrite kills the guest while it writes: files that
// were fsynced and closed are intact, and no virtiofsd or socket is left.
func TestVirtioFSKilledMidWrite(t *testing.T) {
	needQEMU(t)
	needVirtiofsd(t)
	dir := t.TempDir()
	img := buildImage(t, "fs", nil)
	devs, sh := fsDevice(t, dir, false)
	sock := devs[0].Backend.(*qemu.ProcessBackend).Socket
	lw := &lineWaiter{want: "synced 3\n", hit: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-lw.hit:
		case <-time.After(3 * time.Minute):
		}
		cancel()
	}()
	cfg := qemu.Config{Image: img, Accel: qemu.AccelTCG, Devices: devs, Stdout: lw}
	cfg.Cmdline = qemu.Guest{Args: []string{"fs", "write"}, Shares: []qemu.Share{sh}}.Cmdline(0, time.Now())
	_, err := qemu.Run(ctx, cfg)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("run ended with %v, want the cancellation\n%s", err, lw.buf.String())
	}
	for i := 0; i <= 3; i++ {
		b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("w%04d", i)))
		if err != nil || !bytes.Equal(b, pattern(256<<10, int64(i))) {
			t.Errorf("w%04d, synced before the kill, is damaged (%v)", i, err)
		}
	}
	if _, err := os.Stat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket %s left behind: %v", sock, err)
	}
	if out, _ := exec.Command("pgrep", "-f", "virtiofsd --socket-path="+sock).Output(); len(out) > 0 {
		t.Errorf("virtiofsd left running: pid %s", out)
	}
}

// lookupShare makes the share TestVirtioFSLookups uses.
func lookupShare(t *testing.T) string {
	t.Helper()
	dir := share(t)
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "in", "sub"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "in", "sub", "deep.txt"), []byte("deep\n"), 0o644))
	must(os.Symlink("..", filepath.Join(dir, "in", "toroot")))
	must(os.Symlink("sub", filepath.Join(dir, "in", "tosub")))
	return dir
}

// groupFDs counts the open files of every process in process group pgid.
func groupFDs(t *testing.T, pgid int) int {
	t.Helper()
	procs, _ := filepath.Glob("/proc/[0-9]*/stat")
	n := 0
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...; comm may hold spaces.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) < 3 || f[2] != fmt.Sprint(pgid) {
			continue
		}
		fds, _ := os.ReadDir(filepath.Join(filepath.Dir(p), "fd"))
		n += len(fds)
	}
	return n
}

// TestVirtioFSLookups opens and lists the share's root and subdirectories
// thousands of times from parallel goroutines, on 1 and 2 cores, through
// "..", symlinks and renames. A root forgotten by a close (the share then
// answered EBADF and ENOENT until the guest stopped) or any other node
// forgotten too often fails the guest's checks; nodes never forgotten
// show up as files virtiofsd keeps open afterwards.
func TestVirtioFSLookups(t *testing.T) {
	needQEMU(t)
	needVirtiofsd(t)
	img := buildImage(t, "fs", nil)
	hz, err := tsc.Hz()
	if err != nil {
		t.Fatal(err)
	}
	for _, cpus := range []int{1, 2} {
		t.Run(fmt.Sprintf("cpus=%d", cpus), func(t *testing.T) {
			dir := lookupShare(t)
			devs, sh := fsDevice(t, dir, false)
			backend := devs[0].Backend.(*qemu.ProcessBackend)
			lw := &lineWaiter{want: "lookups ok", hit: make(chan struct{})}
			fds := make(chan int, 1)
			go func() {
				select {
				case <-lw.hit:
					fds <- groupFDs(t, backend.Pid())
				case <-time.After(10 * time.Minute):
				}
			}()
			cfg := qemu.Config{Image: img, Memory: 512 * qemu.MiB, CPUs: cpus, Accel: qemu.AccelTCG, Timeout: 10 * time.Minute, Devices: devs, Stdout: lw}
			cfg.Cmdline = qemu.Guest{Args: []string{"fs", "lookups"}, Shares: []qemu.Share{sh}}.Cmdline(hz, time.Now())
			res, err := qemu.Run(context.Background(), cfg)
			out := lw.buf.String()
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			wantExit(t, out, res, 0)
			if !strings.Contains(out, "lookups ok") || !strings.Contains(out, "done") {
				t.Fatalf("guest output:\n%s", out)
			}
			t.Log(strings.TrimSpace(out))
			select {
			case <-time.After(time.Minute):
				t.Error("could not count virtiofsd's files")
			case n := <-fds:
				// virtiofsd holds a few files of its own and one per node
				// the guest still references: the root and nothing else.
				t.Logf("virtiofsd holds %d open files after the run", n)
				if n > 40 {
					t.Errorf("virtiofsd holds %d open files after the run: nodes were never forgotten", n)
				}
			}
		})
	}
}

// TestVirtioFSOddNames shares host directories whose names hold a comma
// and a backslash: virtiofsd splits its options at commas, and an
// unescaped "c,cache=always" shared the directory c instead.
func TestVirtioFSOddNames(t *testing.T) {
	base := t.TempDir()
	for name, content := range map[string]string{"c": "wrong", "c,cache=always": "comma", `d\e,f`: "backslash"} {
		if err := os.Mkdir(filepath.Join(base, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(base, name, "id.txt"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, want := range map[string]string{"c,cache=always": "comma", `d\e,f`: "backslash"} {
		out, res := bootFS(t, filepath.Join(base, name), true, "cat", "id.txt")
		wantExit(t, out, res, 0)
		if !strings.Contains(out, fmt.Sprintf("cat %q", want)) {
			t.Errorf("sharing %q: the guest read\n%s", name, out)
		}
	}
}

// String returns everything written so far.
func (l *lineWaiter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// TestVirtioFSUnmapMidRead unmaps the buffer of a read while the READ is
// in flight (virtiofsd is stopped with SIGSTOP meanwhile), maps fresh
// memory and fills it, then lets virtiofsd go on: the pages the device
// writes must not be the fresh mapping's (the kernel keeps them until the
// request is done), and the read must end with an error, not a kernel
// fault.
func TestVirtioFSUnmapMidRead(t *testing.T) {
	needQEMU(t)
	needVirtiofsd(t)
	img := buildImage(t, "fs", nil)
	hz, err := tsc.Hz()
	if err != nil {
		t.Fatal(err)
	}
	devs, sh := fsDevice(t, t.TempDir(), false)
	backend := devs[0].Backend.(*qemu.ProcessBackend)
	pr, pw := io.Pipe()
	defer pw.Close()
	devs = append(devs, qemu.StdinDevice(pr))
	console := &lineWaiter{hit: make(chan struct{})}
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		// Drive the rounds: stop virtiofsd, say go, and let it continue
		// once the guest has filled its fresh mapping.
		waitFor := func(s string, n int) bool {
			for strings.Count(console.String(), s) < n {
				select {
				case <-finished:
					return false
				case <-time.After(10 * time.Millisecond):
				}
			}
			return true
		}
		for round := 1; round <= 3; round++ {
			if !waitFor("dma: stop the server", round) {
				return
			}
			syscall.Kill(-backend.Pid(), syscall.SIGSTOP)
			io.WriteString(pw, "go\n")
			ok := waitFor("dma: filled", round)
			syscall.Kill(-backend.Pid(), syscall.SIGCONT)
			if !ok {
				return
			}
		}
	}()
	defer syscall.Kill(-backend.Pid(), syscall.SIGCONT)
	cfg := qemu.Config{Image: img, Memory: 256 * qemu.MiB, Accel: qemu.AccelTCG, Timeout: 5 * time.Minute, Devices: devs, Stdout: console}
	cfg.Cmdline = qemu.Guest{Args: []string{"fs", "dma"}, Shares: []qemu.Share{sh}}.Cmdline(hz, time.Now())
	res, err := qemu.Run(context.Background(), cfg)
	out := console.String()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	wantExit(t, out, res, 0)
	if !strings.Contains(out, "dma rounds 3 corrupted 0") {
		t.Errorf("the device wrote into memory the program mapped after unmapping its buffer:\n%s", out)
	}
	t.Log(strings.TrimSpace(out))
}
