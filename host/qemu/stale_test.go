package qemu

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestSocketPid(t *testing.T) {
	for name, want := range map[string]int{
		"gotoro-fs-123-a1b2c3.sock":      123,
		"gotoro-vsock-77-ffee.sock_1024": 77,
		"gotoro-fs-x-a1.sock":            0,
		"other-fs-12-a1.sock":            0,
		"gotoro-fs-12-a1":                0,
		"gotoro-qmp-5-00.sock":           5,
	} {
		got, ok := socketPid(name)
		if got != want || ok != (want != 0) {
			t.Errorf("socketPid(%q) = %d, %v; want %d", name, got, ok, want)
		}
	}
}

// TestRemoveStaleSockets: sockets of a process that is gone are removed;
// those of live processes and other files stay.
func TestRemoveStaleSockets(t *testing.T) {
	dir := t.TempDir()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	listen := func(name string) string {
		p := filepath.Join(dir, name)
		l, err := net.Listen("unix", p)
		if err != nil {
			t.Fatal(err)
		}
		l.(*net.UnixListener).SetUnlinkOnClose(false)
		l.Close()
		return p
	}
	stale := listen(SocketName("fs", dead.Process.Pid))
	staleport := listen(SocketName("vsock", dead.Process.Pid) + "_80")
	mine := listen(SocketName("fs", os.Getpid()))
	live := listen(SocketName("fs", os.Getppid()))
	file := filepath.Join(dir, SocketName("fs", dead.Process.Pid)+"x")
	os.WriteFile(file, nil, 0o644)
	removeStaleSockets(dir)
	for p, keep := range map[string]bool{stale: false, staleport: false, mine: true, live: true, file: true} {
		if _, err := os.Stat(p); (err == nil) != keep {
			t.Errorf("%s: kept %v, want %v", filepath.Base(p), err == nil, keep)
		}
	}
}
