package boottest

import (
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gotoro/gotoro/internal/bootabi"
	"github.com/gotoro/gotoro/internal/vectorwork"
)

// xsaveOff boots with the FXSAVE fallback: x87 and SSE only, no OSXSAVE.
var xsaveOff = []bootabi.Param{{Key: bootabi.KeyXsave, Value: "off"}}

// TestVectorFeatures checks that the Go runtime sees AVX and AVX2 under
// TCG's -cpu max (golang.org/x/sys/cpu makes the same OSXSAVE and XCR0
// checks as the runtime's internal/cpu), and none of it with xsave=off.
func TestVectorFeatures(t *testing.T) {
	t.Parallel()
	out, res := boot(t, "vector", bootOpts{args: []string{"features"}})
	wantExit(t, out, res, 0)
	for _, w := range []string{"avx=true", "avx2=true", "osxsave=true", "xcr0=0x7"} {
		if !strings.Contains(out, w) {
			t.Errorf("guest reports no %s under -cpu max:\n%s", w, out)
		}
	}
	out, res = boot(t, "vector", bootOpts{args: []string{"features"}, params: xsaveOff})
	wantExit(t, out, res, 0)
	for _, w := range []string{"avx=false", "avx2=false", "osxsave=false"} {
		if !strings.Contains(out, w) {
			t.Errorf("with xsave=off the guest does not report %s:\n%s", w, out)
		}
	}
}

// TestVectorSignalFrame checks the FPU/vector state in signal frames
// against Linux's layout (XSAVE format with its markers; FXSAVE with
// xsave=off) and that rt_sigreturn loads it back, including a frame a
// handler turned into the legacy format. The same check runs natively
// first: Linux is the reference.
func TestVectorSignalFrame(t *testing.T) {
	t.Parallel()
	if out := nativeRun(t, "vector", "sigframe"); !strings.Contains(out, "sigframe ok") {
		t.Fatalf("the check fails natively:\n%s", out)
	}
	for _, c := range []struct {
		name   string
		params []bootabi.Param
		want   string
	}{
		{"xsave", nil, "magic1=0x46505853 extended_size=836 xfeatures=0x7 xstate_size=832"},
		{"fxsave", xsaveOff, "uc_flags=0x6 fpstate 512 bytes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, res := boot(t, "vector", bootOpts{args: []string{"sigframe"}, params: c.params})
			wantExit(t, out, res, 0)
			if !strings.Contains(out, "sigframe ok") || !strings.Contains(out, c.want) {
				t.Fatalf("want %q and sigframe ok:\n%s", c.want, out)
			}
		})
	}
}

// TestVectorStress runs vector-heavy code (memmove, bytes.IndexByte,
// sha256, AES-GCM, float64 math) on several threads over 4 cores while
// the threads are interrupted, switched and sent SIGURG, with AVX2 and
// with the SSE fallback, and compares every worker's results with the
// same work done natively here (internal/vectorwork). The program also
// checks that all sixteen vector registers and MXCSR survive a long loop.
func TestVectorStress(t *testing.T) {
	t.Parallel()
	const workers, rounds = 6, 8
	want := vectorwork.Digests(workers, rounds) // computed here, natively
	for _, c := range []struct {
		name   string
		params []bootabi.Param
		regs   string
	}{
		{"avx", nil, "Y0-Y15"},
		{"sse", xsaveOff, "X0-X15"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, res := boot(t, "vector", bootOpts{args: []string{"stress", strconv.Itoa(workers), strconv.Itoa(rounds)}, cpus: 4, params: c.params, timeout: 5 * time.Minute})
			wantExit(t, out, res, 0)
			if !strings.Contains(out, "corrupted registers: 0 ("+c.regs) {
				t.Errorf("register check failed or used the wrong registers (want %s):\n%s", c.regs, out)
			}
			got := digests(out)
			for w, d := range want {
				if g := got[strconv.Itoa(w)]; g != d {
					t.Errorf("worker %d: guest digest %q, native %q", w, g, d)
				}
			}
			if t.Failed() {
				t.Logf("guest output:\n%s", out)
			}
		})
	}
}

var digestRE = regexp.MustCompile(`(?m)^worker (\d+) digest ([0-9a-f]+)`)

// digests returns the per-worker digests a vector stress run printed.
func digests(out string) map[string]string {
	m := map[string]string{}
	for _, s := range digestRE.FindAllStringSubmatch(out, -1) {
		m[s[1]] = s[2]
	}
	return m
}

// nativeRun builds testdata/name for the host and runs it with args.
func nativeRun(t *testing.T, name string, args ...string) string {
	t.Helper()
	bin := filepath.Join(imageDir, name+".native")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./testdata/"+name).CombinedOutput(); err != nil {
		t.Fatalf("building %s natively: %v\n%s", name, err, out)
	}
	out, err := exec.CommandContext(ctx, bin, args...).Output()
	if err != nil {
		t.Fatalf("native %s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}
