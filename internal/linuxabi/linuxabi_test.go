package linuxabi

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// stdlibConsts reads NAME = value constants of the standard library's
// syscall package for linux/amd64 from file (in GOROOT/src/syscall).
func stdlibConsts(t *testing.T, file string, re *regexp.Regexp) map[string]uint64 {
	t.Helper()
	root, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	src, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(root)), "src", "syscall", file))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]uint64{}
	for _, s := range re.FindAllStringSubmatch(string(src), -1) {
		v, err := strconv.ParseUint(s[2], 0, 64)
		if err != nil {
			t.Fatalf("%s: %q: %v", file, s[0], err)
		}
		m[s[1]] = v
	}
	if len(m) < 100 {
		t.Fatalf("%s: found only %d constants", file, len(m))
	}
	return m
}

// Every system call the standard library's syscall package numbers has the
// same number and name here.
func TestSyscallNumbersMatchStdlib(t *testing.T) {
	std := stdlibConsts(t, "zsysnum_linux_amd64.go", regexp.MustCompile(`(?m)^\s*SYS_(\w+)\s*=\s*(\d+)`))
	for name, nr := range std {
		if got := SyscallName(nr); got != strings.ToLower(name) {
			t.Errorf("SyscallName(%d) = %q, syscall.SYS_%s = %d", nr, got, name, nr)
		}
	}
	// Numbers the kernel serves, checked at compile time: past the
	// syscall package's list against golang.org/x/sys/unix.
	for _, c := range []struct {
		ours, want uint64
		name       string
	}{
		{SysRead, syscall.SYS_READ, "read"},
		{SysRtSigreturn, syscall.SYS_RT_SIGRETURN, "rt_sigreturn"},
		{SysClone, syscall.SYS_CLONE, "clone"},
		{SysFutex, syscall.SYS_FUTEX, "futex"},
		{SysNewfstatat, syscall.SYS_NEWFSTATAT, "newfstatat"},
		{SysEpollPwait, syscall.SYS_EPOLL_PWAIT, "epoll_pwait"},
		{SysPrlimit64, syscall.SYS_PRLIMIT64, "prlimit64"},
		{SysRenameat2, unix.SYS_RENAMEAT2, "renameat2"},
		{SysGetrandom, unix.SYS_GETRANDOM, "getrandom"},
		{SysMembarrier, unix.SYS_MEMBARRIER, "membarrier"},
		{SysCopyFileRange, unix.SYS_COPY_FILE_RANGE, "copy_file_range"},
		{SysStatx, unix.SYS_STATX, "statx"},
		{SysRseq, unix.SYS_RSEQ, "rseq"},
		{SysCloseRange, unix.SYS_CLOSE_RANGE, "close_range"},
		{SysFaccessat2, unix.SYS_FACCESSAT2, "faccessat2"},
		{SysEpollPwait2, unix.SYS_EPOLL_PWAIT2, "epoll_pwait2"},
		{SysFchmodat2, unix.SYS_FCHMODAT2, "fchmodat2"},
	} {
		if c.ours != c.want || SyscallName(c.ours) != c.name {
			t.Errorf("%s: %d (%q), want %d", c.name, c.ours, SyscallName(c.ours), c.want)
		}
	}
	if SyscallName(NumSyscalls) != "" || SyscallName(1<<40) != "" || SyscallName(400) != "" {
		t.Error("SyscallName names a number Linux does not define")
	}
}

// Every errno value the syscall package defines has a name here that the
// syscall package gives the same value (EAGAIN and EWOULDBLOCK are one).
func TestErrnoMatchesStdlib(t *testing.T) {
	std := stdlibConsts(t, "zerrors_linux_amd64.go", regexp.MustCompile(`(?m)^\s*(E[A-Z0-9]+)\s*=\s*Errno\((0x[0-9a-f]+)\)`))
	for name, v := range std {
		got := ErrnoName(v)
		if got == "" || std[got] != v {
			t.Errorf("ErrnoName(%d) = %q; syscall.%s = %d", v, got, name, v)
		}
	}
	for _, c := range []struct {
		ours uint64
		want syscall.Errno
	}{
		{EPERM, syscall.EPERM}, {EBADF, syscall.EBADF}, {EAGAIN, syscall.EAGAIN},
		{EINVAL, syscall.EINVAL}, {ENOSYS, syscall.ENOSYS}, {ELOOP, syscall.ELOOP},
		{EOPNOTSUPP, syscall.EOPNOTSUPP}, {ECONNREFUSED, syscall.ECONNREFUSED},
		{ETIMEDOUT, syscall.ETIMEDOUT}, {EHWPOISON, unix.EHWPOISON},
	} {
		if c.ours != uint64(c.want) {
			t.Errorf("%s = %d, want %d", ErrnoName(c.ours), c.ours, uint64(c.want))
		}
	}
	if ErrnoName(0) != "" || ErrnoName(NumErrno) != "" {
		t.Error("ErrnoName names 0 or a value past the table")
	}
}

func TestNamesAllocateNothing(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { _ = SyscallName(SysFutex) + ErrnoName(EINTR) }); n > 1 {
		t.Errorf("%v allocations", n)
	}
}
