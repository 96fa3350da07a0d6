package boottest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gotoro/gotoro/host/bench"
	"github.com/gotoro/gotoro/internal/bootabi"
)

// TestBootTrace runs `gotoro run -boottrace FILE` and checks the timeline:
// every boot step happened, in order, between gotoro's start and QEMU's
// exit; the counters are plausible; and the trace line does not reach the
// console.
func TestBootTrace(t *testing.T) {
	needQEMU(t)
	cli := buildCLI(t)
	for _, c := range []struct {
		name   string
		args   []string
		status int
		out    string
	}{
		{"one core", []string{"./testdata/exitcode", "0"}, 0, "exiting with 0\n"},
		{"two cores", []string{"-cpus", "2", "./testdata/exitcode", "0"}, 0, "exiting with 0\n"},
		{"exit status", []string{"./testdata/exitcode", "7"}, 7, "exiting with 7\n"},
		{"no output", []string{"./testdata/quiet"}, 0, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(t.TempDir(), "trace.json")
			cmd := exec.Command(cli, append([]string{"run", "-accel", "tcg", "-boottrace", file}, c.args...)...)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			started := time.Now()
			out, err := cmd.Output()
			ended := time.Now()
			if status := exitStatus(t, err); status != c.status || string(out) != c.out {
				t.Fatalf("status %d, output %q; want %d, %q\nstderr:\n%s", status, out, c.status, c.out, stderr.String())
			}
			tr, err := bench.ReadRunTrace(file)
			if err != nil {
				t.Fatal(err)
			}
			checkTrace(t, tr, started, ended)
		})
	}
}

func checkTrace(t *testing.T, tr bench.RunTrace, started, ended time.Time) {
	t.Helper()
	b := tr.Boot
	if b == nil {
		t.Fatal("no boot timeline in the trace")
	}
	// The guest's steps are placed on the host clock through the console
	// (host/qemu/boottrace.go), from the earliest arrival: none can fall
	// after the arrival of the trace line, whose counter is the latest.
	order := []struct {
		name string
		at   time.Time
	}{
		{"process start", started},
		{"gotoro main", tr.Started},
		{"QEMU start", b.Launched},
		{"machine start", b.VMStart},
	}
	for i, n := range bootabi.StepNames {
		if i == bootabi.StepFirstOutput {
			continue
		}
		at, ok := b.Step(i)
		if !ok {
			t.Errorf("step %s did not happen", n)
			continue
		}
		order = append(order, struct {
			name string
			at   time.Time
		}{n, at})
	}
	// After the steps, host times: the boot-trace line's end (the guest
	// prints it after its exit step), QEMU's exit, the end of gotoro's
	// work (before it wrote the trace) and gotoro's exit.
	if b.TraceLineEnd.IsZero() || tr.Finished.IsZero() {
		t.Errorf("no boot-trace line end (%v) or end of gotoro's work (%v)", b.TraceLineEnd, tr.Finished)
	}
	order = append(order, []struct {
		name string
		at   time.Time
	}{{"boot-trace line's end", b.TraceLineEnd}, {"QEMU exit", b.Exited}, {"gotoro's work done", tr.Finished}, {"gotoro exit", ended}}...)
	for i := 1; i < len(order); i++ {
		if order[i].at.Before(order[i-1].at) {
			t.Errorf("%s (%v) before %s (%v)", order[i].name, order[i].at.Sub(started), order[i-1].name, order[i-1].at.Sub(started))
		}
	}
	if b.Exited.After(ended) || b.Launched.Before(started) {
		t.Errorf("QEMU ran %v..%v, outside gotoro's run %v..%v", b.Launched, b.Exited, started, ended)
	}
	if b.TSCHz < 1e8 {
		t.Errorf("TSC rate %d Hz", b.TSCHz)
	}
	// The Go runtime makes about 200 system calls and 100 page faults
	// before main on Linux and in the guest.
	if s := b.CountsAtMain[bootabi.CountSyscalls]; s < 50 || s > 2000 {
		t.Errorf("%d system calls before main.main", s)
	}
	if pf := b.CountsAtMain[bootabi.CountPageFaults]; pf < 10 {
		t.Errorf("%d page faults before main.main", pf)
	}
	for i, n := range bootabi.CountNames {
		if b.CountsAtMain[i] > b.Counts[i] {
			t.Errorf("%s: %d at main.main, %d in all", n, b.CountsAtMain[i], b.Counts[i])
		}
	}
	t.Logf("gotoro start → main.main %v, → exit %v (QEMU %v); %d system calls, %d page faults, %d interrupts",
		mustStep(b.Step(bootabi.StepMain)).Sub(started), ended.Sub(started), b.Exited.Sub(b.Launched),
		b.Counts[bootabi.CountSyscalls], b.Counts[bootabi.CountPageFaults], b.Counts[bootabi.CountInterrupts])
}

func mustStep(at time.Time, _ bool) time.Time { return at }

// TestBootTraceFault: a guest that faults has no timeline, and says so in
// the file instead of leaving an old one.
func TestBootTraceFault(t *testing.T) {
	needQEMU(t)
	cli := buildCLI(t)
	file := filepath.Join(t.TempDir(), "trace.json")
	if err := os.WriteFile(file, []byte("stale"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(cli, "run", "-accel", "tcg", "-boottrace", file, "./testdata/fault").CombinedOutput()
	if status := exitStatus(t, err); status != 126 {
		t.Fatalf("status %d, want 126\n%s", status, out)
	}
	tr, err := bench.ReadRunTrace(file)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Boot != nil || tr.Started.IsZero() {
		t.Errorf("trace of a faulted guest: %+v", tr)
	}
}

// TestMappingNamesTriedOnce: images bake in no //go:debug setting, so the
// Go runtime tries to name its memory mappings (prctl PR_SET_VMA); the
// kernel's EINVAL must stop it after the first try rather than cost a
// system call per mapping.
func TestMappingNamesTriedOnce(t *testing.T) {
	needQEMU(t)
	cli := buildCLI(t)
	out, err := exec.Command(cli, "run", "-accel", "tcg", "-ktrace", "2", "./testdata/gc").CombinedOutput()
	if status := exitStatus(t, err); status != 0 {
		t.Fatalf("status %d\n%s", status, out)
	}
	if n := strings.Count(string(out), "] prctl("); n != 1 {
		t.Errorf("%d prctl calls, want 1 (then EINVAL stops the runtime):\n%s", n, out)
	}
}
