package boottest

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gotoro/gotoro/host/qemu"
	"github.com/gotoro/gotoro/internal/bootabi"
)

// TestReadOnlyBuffers gives ~20 system calls that write to memory a
// buffer in the program's read-only data or its code (read, pread, readv,
// a pipe's read, recvfrom, fstat, statx, getdents64, clock_gettime,
// getrandom, uname, sysinfo, getcwd, pipe2, prlimit64, rt_sigprocmask,
// readlinkat, epoll_pwait, getsockname): each must be EFAULT with nothing
// written, as on Linux, while write(2) and pwrite from that memory
// work. On one core and two, with the checks Linux passes.
func TestReadOnlyBuffers(t *testing.T) {
	checks := nativeChecks(t, "readonly", "readonly ok", t.TempDir())
	forCores(t, []int{1, 2}, func(t *testing.T, cpus int) {
		out, res := boot(t, "readonly", bootOpts{cpus: cpus, args: []string{"/tmp"}})
		wantExit(t, out, res, 0)
		wantNativeChecks(t, out, "readonly ok", checks)
	})
}

// TestReadOnlyWrite: a store by the program into its read-only data or
// its code faults at once, with the kernel's line naming the address,
// what it hit and the writer, then the Go runtime's "unexpected fault
// address" panic (SIGSEGV, SEGV_ACCERR) and exit status 2, the status of
// the same program on Linux; with debug.SetPanicOnFault the program
// recovers and goes on, the data unchanged.
func TestReadOnlyWrite(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "rowrite")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./testdata/rowrite").CombinedOutput(); err != nil {
		t.Fatalf("building rowrite natively: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		mode   string
		status int
		want   []string
	}{
		{"rodata", 2, []string{`write to read-only memory at 0x[0-9a-f]+ \(rodata\) by the program at main\.poke\+0x[0-9a-f]+\n`,
			`unexpected fault address 0x[0-9a-f]+\n`, `signal SIGSEGV: segmentation violation code=0x2 `}},
		{"text", 2, []string{`write to read-only memory at 0x[0-9a-f]+ \(text: main\.main\+0x0\) by the program at main\.poke\+0x[0-9a-f]+\n`,
			`unexpected fault address 0x[0-9a-f]+\n`, `signal SIGSEGV: segmentation violation code=0x2 `}},
		{"recover", 0, []string{`write to read-only memory at 0x[0-9a-f]+ \(rodata\) by the program at main\.poke`,
			`recovered: runtime error: invalid memory address or nil pointer dereference\n`,
			`literal: a string literal in the program's read-only data\n`, `rowrite ok\n`}},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			native, err := exec.CommandContext(ctx, bin, tc.mode).CombinedOutput()
			status := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				status = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if status != tc.status {
				t.Fatalf("natively: exit status %d, want %d\n%s", status, tc.status, native)
			}
			out, res := boot(t, "rowrite", bootOpts{args: []string{tc.mode}})
			wantExit(t, out, res, tc.status)
			for _, w := range tc.want {
				if !regexp.MustCompile(w).MatchString(out) {
					t.Errorf("no %q in the guest's output:\n%s", w, out)
				}
			}
			if strings.Contains(out, "the write went through") {
				t.Errorf("the write went through:\n%s", out)
			}
		})
	}
}

// TestReadOnlyKernelWrite: a store by the kernel into the read-only data
// (ktest=rowrite) stops the machine with the fault report: what was
// written, by which kernel function, the registers and the stack.
func TestReadOnlyKernelWrite(t *testing.T) {
	out, res := boot(t, "exitcode", bootOpts{params: []bootabi.Param{{Key: "ktest", Value: "rowrite"}}})
	if res.Outcome != qemu.Faulted {
		t.Fatalf("outcome %v (status %d), want a fault\n%s", res.Outcome, res.Status, out)
	}
	want := regexp.MustCompile(bootabi.FaultMarker + `: write to read-only memory at 0x[0-9a-f]+ \(rodata\) by the kernel at .*kernel\.ktestReadOnlyWrite\+0x[0-9a-f]+\n`)
	if !want.MatchString(out) || !strings.Contains(out, "rip=") || !strings.Contains(out, "kernel.ktestStart") {
		t.Errorf("no fault report naming the write:\n%s", out)
	}
}
