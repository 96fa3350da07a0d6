package bootcase

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gotoro/gotoro/host/qemu"
)

// Disk creates a zeroed raw disk image of size bytes in a test directory.
func Disk(t TB, size int64) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "disk.img")
	f, err := os.Create(p)
	if err != nil {
		t.Fatalf("%v", err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatalf("%v", err)
	}
	f.Close()
	return p
}

// DiskDevices returns the virtio-blk device of the disk image path.
func DiskDevices(t TB, path string, ro bool) []qemu.Device {
	t.Helper()
	d, err := qemu.DiskDevice(0, path, ro)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return []qemu.Device{d}
}

// blkPersists writes a pattern with flush in one boot, reads it back in a
// second (read-only) boot, and compares both sha256 sums with the host's
// view of the file; with interrupts or with polling.
func blkPersists(poll bool) func(t TB, e *Env) {
	return func(t TB, e *Env) {
		img := Disk(t, 3<<20+512)
		out, res := e.Boot(t, Spec{Prog: progBlk, Args: []string{"write", "42"}, Devices: DiskDevices(t, img, false), Poll: poll})
		WantExit(t, out, res, 0)
		data, err := os.ReadFile(img)
		if err != nil {
			t.Fatalf("%v", err)
		}
		host := fmt.Sprintf("sha256 %x", sha256.Sum256(data))
		if !strings.Contains(out, host) {
			t.Fatalf("the host sees %s; guest wrote:\n%s", host, out)
		}
		out, res = e.Boot(t, Spec{Prog: progBlk, Args: []string{"verify"}, Devices: DiskDevices(t, img, true), Poll: poll})
		WantExit(t, out, res, 0)
		if !strings.Contains(out, host) {
			t.Fatalf("second boot read back something else than %s:\n%s", host, out)
		}
	}
}

// netdev checks /dev/net0 on QEMU user networking with raw system calls:
// the interface configuration, frame limits, epoll, an ARP exchange with
// slirp's gateway, blocking and truncating reads, resolv.conf.
func netdev(cpus int, poll bool) func(t TB, e *Env) {
	return func(t TB, e *Env) {
		out, res := e.Boot(t, Spec{Prog: progNetdev, CPUs: cpus, Poll: poll, Devices: []qemu.Device{qemu.UserNetDevice(nil)}})
		WantExit(t, out, res, 0)
		Contains(t, out, "netdev ok")
	}
}

// netdevNone: without a network device, ENODEV and no resolv.conf.
func netdevNone(t TB, e *Env) {
	out, res := e.Boot(t, Spec{Prog: progNetdev, Args: []string{"none"}})
	WantExit(t, out, res, 0)
	Contains(t, out, "netdev none ok")
}

// vsockCLIForward runs `gotoro run -p 127.0.0.1:PORT:8000 IMAGE recv 8000`:
// 1 MiB sent to the host port reaches the guest's vsock listener (through
// the vsock backend inside gotoro) intact.
func vsockCLIForward(t TB, e *Env) {
	img := e.Image(t, progVsock)
	port := FreePort(t)
	ctx, cancel := context.WithTimeout(t.Context(), e.limit(3*time.Minute))
	defer cancel()
	cmd := exec.CommandContext(ctx, e.CLI(t), "run", "-accel", string(e.Accel), "-net", "none",
		"-p", fmt.Sprintf("127.0.0.1:%d:8000", port), img, "recv", "8000")
	listening := make(chan struct{})
	out := &seenWriter{want: "listening on", seen: listening}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("%v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-listening:
	case err := <-done:
		t.Fatalf("gotoro run ended before the guest listened: %v\n%s", err, out.String())
	}
	data := bytes.Repeat([]byte("forwarded through TCP and vsock\n"), 1<<15) // 1 MiB
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		cancel()
		<-done
		t.Fatalf("dialing the forwarded port: %v\n%s", err, out.String())
	}
	if _, err := c.Write(data); err != nil {
		t.Errorf("writing: %v", err)
	}
	c.Close()
	if err := <-done; err != nil {
		t.Fatalf("gotoro run: %v\n%s", err, out.String())
	}
	want := fmt.Sprintf("received %d sha256 %x", len(data), sha256.Sum256(data))
	Contains(t, out.String(), want)
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("%v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// seenWriter keeps what is written and closes seen once want appeared.
type seenWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
	done bool
}

func (w *seenWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.done && bytes.Contains(w.buf.Bytes(), []byte(w.want)) {
		w.done = true
		close(w.seen)
	}
	return len(p), nil
}

func (w *seenWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// NeedVirtiofsd skips t when virtiofsd is missing or cannot run (it needs
// root), unless e requires every case to run.
func NeedVirtiofsd(t TB, e *Env) {
	t.Helper()
	if _, err := os.Stat(qemu.DefaultVirtiofsd); err != nil {
		if e.Require {
			t.Fatalf("virtiofsd: %v", err)
		}
		t.Skipf("skipping: %v", err)
	}
	if os.Geteuid() != 0 && !e.Require {
		t.Skipf("skipping: virtiofsd needs root")
	}
}

// Share makes a shared directory with in/hello.txt and symlinks that point
// out of it.
func Share(t TB) string {
	t.Helper()
	dir := t.TempDir()
	must := func(err error) {
		if err != nil {
			t.Fatalf("%v", err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "in"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "in", "hello.txt"), []byte("hi\n"), 0o644))
	for name, target := range map[string]string{"abslink": "/etc/passwd", "dirlink": "../../../../etc", "outlink": "../..", "inlink": "hello.txt"} {
		must(os.Symlink(target, filepath.Join(dir, "in", name)))
	}
	return dir
}

// BootFS boots the fs test program with dir shared at /share.
func (e *Env) BootFS(t TB, dir string, ro bool, args ...string) (string, qemu.Result) {
	t.Helper()
	NeedVirtiofsd(t, e)
	sh := qemu.Share{HostDir: dir, GuestDir: "/share", ReadOnly: ro}
	d, err := qemu.FSDevice(0, sh, "")
	if err != nil {
		t.Fatalf("%v", err)
	}
	return e.Boot(t, Spec{Prog: progFS, Args: args, Mem: 512 * qemu.MiB, CPUs: 2, Timeout: 5 * time.Minute,
		Devices: []qemu.Device{d}, Shares: []qemu.Share{sh}})
}

// Pattern returns n pseudo-random bytes from seed.
func Pattern(n int, seed int64) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(b)
	return b
}

// virtioFS checks files of 0 B to 64 MiB, a 255-byte name, 1000 files
// listed, rename, append, truncate and removal, byte for byte from the
// host's side.
func virtioFS(t TB, e *Env) {
	dir := Share(t)
	out, res := e.BootFS(t, dir, false, "basic")
	WantExit(t, out, res, 0)
	for name, n := range map[string]int{"empty": 0, "one": 1, "mib": 1 << 20, "big": 64 << 20} {
		got, err := os.ReadFile(filepath.Join(dir, "out", name))
		if err != nil {
			t.Fatalf("%v", err)
		}
		if !bytes.Equal(got, Pattern(n, int64(n))) {
			t.Errorf("%s: the host sees %d different bytes", name, len(got))
		}
		if want := fmt.Sprintf("%s %x", name, sha256.Sum256(got)); !strings.Contains(out, want) {
			t.Errorf("guest did not print %q", want)
		}
	}
	Contains(t, out, `host file "hi\n"`, "listed 1000 walked 1000", "end 10", `dirfs "hi\n"`, "done")
	if b, _ := os.ReadFile(filepath.Join(dir, "out", "renamed")); string(b) != "0+a" {
		t.Errorf("renamed, appended, truncated file holds %q, want \"0+a\"", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "out", strings.Repeat("n", 255))); string(b) != "long" {
		t.Errorf("long name holds %q", b)
	}
	ents, _ := os.ReadDir(filepath.Join(dir, "out", "many"))
	if len(ents) != 998 {
		t.Errorf("%d files left in out/many, want 998", len(ents))
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "gone")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("out/gone: %v", err)
	}
}
