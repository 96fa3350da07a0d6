package bootcase

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/gotoro/gotoro/host/qemu"
)

// snapshotRestore runs gotoro run -snapshot DIR twice on the runner's
// accelerator, as a user would: the first run boots, saves the machine at
// main.main and runs on; the second starts from the saved machine. Both
// must print the program's arguments, exit 0, and read the host's wall
// clock of their own run (the kernel takes it when it resumes; a
// restored guest that kept the snapshot's clock reads the first run's).
func snapshotRestore(t TB, e *Env) {
	img := e.Image(t, progSnapClock)
	dir := t.TempDir()
	var lastOut string
	run := func(want string) (msgs string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), e.limit(3*time.Minute))
		defer cancel()
		before := time.Now()
		out, msgs, err := e.RunCLI(t, ctx, img, "-v", "-ktrace", "1", "-accel", string(e.Accel), "-net", "none",
			"-timeout", e.limit(2*time.Minute).String(), "-snapshot", dir, img, "a", "b")
		after := time.Now()
		lastOut = out
		if err != nil {
			t.Fatalf("gotoro run -snapshot (%s): %v\nstdout:\n%s\nstderr:\n%s", want, err, out, msgs)
		}
		if !strings.Contains(msgs, want) && !strings.Contains(msgs, missed) {
			t.Errorf("gotoro run -snapshot did not say %q:\n%s", want, msgs)
		}
		Contains(t, out, `args ["a" "b"]`)
		wall, ok := snapField(out, "wall")
		if !ok {
			t.Fatalf("no wall clock in the output:\n%s", out)
		}
		if w := time.Unix(0, wall); w.Before(before.Add(-50*time.Millisecond)) || w.After(after.Add(50*time.Millisecond)) {
			t.Errorf("%s: guest wall clock %s, not within the run (%s to %s)", want, w.Format(time.RFC3339Nano), before.Format(time.RFC3339Nano), after.Format(time.RFC3339Nano))
		}
		if since, ok := snapField(out, "since-init"); !ok || since < 0 || since > int64(e.limit(10*time.Second)) {
			t.Errorf("%s: monotonic time since the package initialization %d ns (want from 0 to %s)\n%s", want, since, e.limit(10*time.Second), out)
		}
		return msgs
	}
	// The saving run must reach the snapshot point, under KVM too: the
	// kernel's INT3 at main.main does not depend on the hypervisor's
	// debug registers (with debug register 2, 7 of 29 saving boots in the
	// nested lane missed; with INT3, 0 of 70: docs/boot.md). -ktrace 1
	// puts the kernel's report on a failed run's console.
	if msgs := run("saved the snapshot"); strings.Contains(msgs, missed) {
		t.Fatalf("the saving run missed the snapshot point:\n%s", msgs+lastOut)
	}
	if msgs := run("starting from the snapshot"); !strings.Contains(msgs, "starting from the snapshot") {
		t.Errorf("the second run did not start from the snapshot:\n%s", msgs)
	}
}

// missed is what gotoro run -snapshot says when the run ended without
// reaching the snapshot point (qemu.ErrNoSnapshotPoint).
var missed = qemu.ErrNoSnapshotPoint.Error()

// snapField returns the integer after "name " on a line of out.
func snapField(out, name string) (int64, bool) {
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(l, name+" "); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}
