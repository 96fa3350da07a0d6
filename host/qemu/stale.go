package qemu

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// removeStaleSockets removes backend sockets (see SocketPath) in dir left
// by gotoro processes that no longer run: a gotoro killed with SIGKILL
// cannot remove its own, and its backends die with it (Pdeathsig). A
// socket of a live process, or of one that cannot be checked, is kept.
func removeStaleSockets(dir string) {
	names, _ := filepath.Glob(filepath.Join(dir, "gotoro-*.sock*"))
	for _, p := range names {
		pid, ok := socketPid(filepath.Base(p))
		if !ok || pid == os.Getpid() || processExists(pid) {
			continue
		}
		if st, err := os.Lstat(p); err == nil && st.Mode()&os.ModeSocket != 0 {
			os.Remove(p)
		}
	}
}

// socketPid returns the process id in a SocketPath name
// (gotoro-KIND-PID-RANDOM.sock, maybe with a suffix such as _PORT).
func socketPid(name string) (int, bool) {
	base, _, ok := strings.Cut(name, ".sock")
	if !ok {
		return 0, false
	}
	f := strings.Split(base, "-")
	if len(f) < 4 || f[0] != "gotoro" {
		return 0, false
	}
	pid, err := strconv.Atoi(f[len(f)-2])
	return pid, err == nil && pid > 0
}

// processExists reports whether process pid exists (or may: anything but
// ESRCH counts as existing).
func processExists(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || !errors.Is(err, syscall.ESRCH)
}
