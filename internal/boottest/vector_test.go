package boottest

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gotoro/gotoro/internal/bootabi"
)

// xsaveOff boots with the FXSAVE fallback: x87 and SSE only, no OSXSAVE.
var xsaveOff = []bootabi.Param{{Key: bootabi.KeyXsave, Value: "off"}}

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
