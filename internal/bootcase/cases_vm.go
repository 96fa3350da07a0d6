package bootcase

import "time"

// Programs the TCG tests TestMmapFiles and TestProcFS check against Linux
// (the same program run natively); as boot cases they run under every
// runner's accelerator, the nested KVM lane's included, where the guest's
// own verdict counts.
const (
	progMmap    = testdata + "mmap"
	progProcFS  = testdata + "procfs"
	progPaths   = testdata + "paths"
	progStatx   = testdata + "statx"
	progTimerfd = testdata + "timerfd"
	progMemfd   = testdata + "memfd"
)

// mmapChecks boots the mmap program on two cores with /tmp as its
// directory: shared and private file mappings and their coherence with
// read and write, msync, truncation and SIGBUS, the argument checks,
// mlock, MAP_FIXED over untouched and touched anonymous memory (the
// kernel's fresh-VMA fast path) and a thread on the other core writing
// into memory the first replaces.
func mmapChecks(t TB, e *Env) {
	out, res := e.Boot(t, Spec{Prog: progMmap, Args: []string{"/tmp"}, CPUs: 2, Timeout: 4 * time.Minute, Stall: time.Minute})
	WantExit(t, out, res, 0)
	Matches(t, out, `(?m)^mmap ok$`)
}

// procFSChecks boots the procfs program on two cores: /proc's files as
// the Go runtime and common libraries read them, the path forms and
// flags that name them, and the empty /proc/self/cgroup.
func procFSChecks(t TB, e *Env) {
	out, res := e.Boot(t, Spec{Prog: progProcFS, CPUs: 2, Timeout: 4 * time.Minute, Stall: time.Minute})
	WantExit(t, out, res, 0)
	Matches(t, out, `(?m)^procfs ok$`)
}

// pathsChecks boots the paths program on one core with /tmp as its
// directory and its own sources packed at /pkg: symlinks of /tmp and of
// the packed tree into /proc, /dev, /tmp and the packed tree, loops
// through /proc/self/cwd, and paths at the edges of mapped memory and of
// PATH_MAX.
func pathsChecks(t TB, e *Env) {
	out, res := e.Boot(t, Spec{Prog: progPaths, Args: []string{"/tmp", "/pkg/main.go"}, CPUs: 1, Timeout: 2 * time.Minute, Stall: time.Minute})
	WantExit(t, out, res, 0)
	Matches(t, out, `(?m)^paths ok$`)
}

// statxChecks boots the statx program on one core with /tmp as its
// directory and its own source packed at /pkg: statx(2) through
// golang.org/x/sys/unix by every path and descriptor form, links into
// /proc and /dev, flags, masks, bad addresses and mount ids (TestStatx
// compares the checks with Linux's).
func statxChecks(t TB, e *Env) {
	out, res := e.Boot(t, Spec{Prog: progStatx, Args: []string{"/tmp", "/pkg/main.go"}, CPUs: 1, Timeout: 2 * time.Minute, Stall: time.Minute})
	WantExit(t, out, res, 0)
	Matches(t, out, `(?m)^statx ok$`)
}

// timerfdChecks boots the timerfd program on two cores: timers armed for
// a reader blocked on the other core, whose wake-up crosses cores through
// the kernel's inbox and IPI (the path the lane's lost wake-ups were
// found on), epoll readiness, a 1 ns interval and 10,000 timerfds
// (TestTimerfd compares the checks with Linux's).
func timerfdChecks(t TB, e *Env) {
	out, res := e.Boot(t, Spec{Prog: progTimerfd, CPUs: 2, Timeout: 4 * time.Minute, Stall: time.Minute})
	WantExit(t, out, res, 0)
	Matches(t, out, `(?m)^timerfd ok$`)
}

// memfdChecks boots the memfd program on two cores with /tmp as its
// directory: I/O, sparse truncation, shared mappings seen from both
// cores, SIGBUS past an end truncated under a mapping, and seals
// (TestMemfd compares the checks with Linux's).
func memfdChecks(t TB, e *Env) {
	out, res := e.Boot(t, Spec{Prog: progMemfd, Args: []string{"/tmp"}, CPUs: 2, Timeout: 4 * time.Minute, Stall: time.Minute})
	WantExit(t, out, res, 0)
	Matches(t, out, `(?m)^memfd ok$`)
}
