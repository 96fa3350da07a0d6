// Package bootcase is the one list of boot cases that both the TCG boot
// tests (internal/boottest) and the nested KVM lane (internal/kvmlane) run:
// a case boots one or more guests and checks what they printed and how
// they exited. The expectations live here only; a runner supplies the
// accelerator, how images are built and how a test fails.
package bootcase

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/gotoro/gotoro/host/qemu"
)

// TB is the part of testing.TB a case uses. *testing.T implements it; the
// KVM lane has its own (see Runner).
type TB interface {
	Helper()
	Logf(format string, args ...any)
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
	Failed() bool
	TempDir() string
	Context() context.Context
}

// Case is one boot case.
type Case struct {
	// Name is unique and usable as a test name ("wake/cpus=2").
	Name string
	// Progs are the programs the case boots, as package directories
	// relative to the module root; the KVM lane builds them on the host
	// before it starts the nested machine.
	Progs []string
	// Serial cases measure time and run alone, before the parallel ones.
	Serial bool
	// TCGOnly cases are not run by the KVM lane (Why says why).
	TCGOnly bool
	// Why explains TCGOnly.
	Why string
	// Run boots and checks.
	Run func(t TB, e *Env)
}

// Env is what a runner provides.
type Env struct {
	// Accel is the accelerator every guest runs on.
	Accel qemu.Accel
	// Image returns the image of prog (a Case.Progs entry); it fails t if
	// the image cannot be had.
	Image func(t TB, prog string) string
	// Gotoro returns the path of the gotoro command, for cases that run
	// it; it fails t if there is none.
	Gotoro func(t TB) string
	// GoTool, if set, is the go command: cases may check their results
	// with its tools (go tool pprof).
	GoTool string
	// Require makes cases fail instead of skipping when something they
	// need (virtiofsd, root) is missing: CI, and the KVM lane.
	Require bool
	// Slow multiplies the time limits of guests (1 if 0): the nested KVM
	// lane runs guest code at emulation speed and pays ~0.2 ms per exit.
	Slow float64
	// Cmdline is added to every guest's kernel command line (ktrace=1…).
	Cmdline string
	// HostCounters, if not nil, returns counters of the host (KVM's exit
	// statistics in the nested lane) for the dump of a hung guest.
	HostCounters func() map[string]uint64
	// Log, if not nil, receives the console of every guest as it runs.
	Log func(name string, line []byte)
	// CatchReset keeps a guest that resets the machine (a triple fault:
	// QEMU would exit with status 0 and no report) stopped, and logs what
	// is left of it (ResetState) with the failure.
	CatchReset bool
	// ResetInfo, if not nil, adds what the host knows about a reset (the
	// KVM lane: KVM's trace of the vCPU's shutdown exit); it is called
	// before every guest boot with start set, to forget older events (its
	// result is then ignored).
	ResetInfo func(start bool) HostReset
	// OnReset, if not nil, receives the report of a guest that reset the
	// machine (ResetState) before the case fails: a runner decides from
	// its structured parts, never from the guest's output.
	OnReset func(ResetReport)
	// StallInfo, if not nil, adds what the host sees of a guest that
	// stopped printing (the KVM lane: a second of KVM's tracepoints and
	// the host's busy tasks); it is called while the guest still runs,
	// before its registers are read.
	StallInfo func() string
	// Wedged, if not nil, is asked about four times a second while a
	// guest runs whether the host sees it stuck for good (the KVM lane:
	// KVM injecting page faults into it thousands of times a second); a
	// non-empty answer, the reason, ends the run as a stall does, with
	// StallInfo and the state dump.
	Wedged func(now time.Time) string
}

// CLI returns the gotoro command.
func (e *Env) CLI(t TB) string {
	t.Helper()
	return e.Gotoro(t)
}

// limit scales d by e.Slow.
func (e *Env) limit(d time.Duration) time.Duration {
	if e.Slow > 1 {
		return time.Duration(float64(d) * e.Slow)
	}
	return d
}

// Contains fails t unless out contains every string of want.
func Contains(t TB, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("console lacks %q:\n%s", w, out)
		}
	}
}

// Matches fails t unless out matches every regular expression of want.
func Matches(t TB, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !regexp.MustCompile(w).MatchString(out) {
			t.Errorf("console does not match %q:\n%s", w, out)
		}
	}
}

// WantExit fails t now unless the guest exited normally with status.
func WantExit(t TB, out string, res qemu.Result, status int) {
	t.Helper()
	if res.Outcome != qemu.Exited || res.Status != status {
		t.Fatalf("outcome %v status %d, want exit status %d\nconsole:\n%s", res.Outcome, res.Status, status, out)
	}
}

// ModuleRoot returns the directory of the gotoro module (its go.mod), found
// from dir upwards.
func ModuleRoot(dir string) (string, error) {
	d, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && strings.HasPrefix(string(b), "module github.com/gotoro/gotoro\n") {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no gotoro go.mod above %s", dir)
		}
		d = parent
	}
}

// Select returns the cases whose names match re (all if re is nil), without
// the TCG-only ones if kvm is set.
func Select(cases []Case, re *regexp.Regexp, kvm bool) []Case {
	var out []Case
	for _, c := range cases {
		if re != nil && !re.MatchString(c.Name) {
			continue
		}
		if kvm && c.TCGOnly {
			continue
		}
		out = append(out, c)
	}
	return out
}
