package bench

import (
	"strings"
	"testing"
	"time"

	"github.com/gotoro/gotoro/host/qemu"
)

// TestPrintBootTracedLine checks that the QEMU start → exit line is
// printed from traced runs only, not as zeros when there were none.
func TestPrintBootTracedLine(t *testing.T) {
	traced := tracedFixture()
	for _, c := range []struct {
		name   string
		traces []TracedRun
		want   bool
	}{
		{"untraced", nil, false},
		{"traced", traced, true},
	} {
		var b strings.Builder
		r := &BootReport{Floor: msList(24), FirstOutput: msList(56), Total: msList(60), FloorCPU: msList(24), CPU: msList(61), Traces: c.traces}
		printBoot(BootConfig{Package: "./examples/hello", Accel: "tcg", Runs: 1, Out: &b}, r)
		got := strings.Contains(b.String(), "QEMU start → exit (traced runs)")
		if got != c.want {
			t.Errorf("%s: traced-runs line printed %v, want %v; output:\n%s", c.name, got, c.want, b.String())
		}
		if strings.Contains(b.String(), "(traced runs)                       0.00") {
			t.Errorf("%s: a zero traced line:\n%s", c.name, b.String())
		}
	}
}

// msList is one duration of n ms, as a report's list of runs.
func msList(n int) []time.Duration { return []time.Duration{time.Duration(n) * time.Millisecond} }

// tracedFixture is one traced run: gotoro launched, its main 2 ms later,
// QEMU from 3 to 58 ms, gotoro's exit at 60 ms.
func tracedFixture() []TracedRun {
	t0 := time.Unix(1000, 0)
	return []TracedRun{{Launched: t0, Exited: t0.Add(60 * time.Millisecond), RunTrace: RunTrace{
		Started: t0.Add(2 * time.Millisecond),
		Boot:    &qemu.BootTrace{Launched: t0.Add(3 * time.Millisecond), Exited: t0.Add(58 * time.Millisecond)},
	}}}
}

// A trace from a gotoro that records neither the boot-trace line's end
// nor the end of its work (bench boot -gotoro OLD) leaves two phases out:
// the report says the phases above them hold them.
func TestPrintBootOlderTraces(t *testing.T) {
	const note = "each phase marked - is inside the one above it"
	newer := tracedFixture()
	b := *newer[0].Boot
	b.TraceLineEnd = b.Exited.Add(-2 * time.Millisecond)
	newer[0].Boot, newer[0].Finished = &b, b.Exited.Add(time.Millisecond)
	for _, c := range []struct {
		name   string
		traces []TracedRun
		want   bool
	}{
		{"older gotoro", tracedFixture(), true},
		{"this gotoro", newer, false},
	} {
		var out strings.Builder
		r := &BootReport{Floor: msList(24), FirstOutput: msList(56), Total: msList(60), FloorCPU: msList(24), CPU: msList(61), Traces: c.traces}
		printBoot(BootConfig{Package: "./examples/hello", Accel: "tcg", Runs: 1, Out: &out}, r)
		if got := strings.Contains(out.String(), note); got != c.want {
			t.Errorf("%s: note printed %v, want %v; output:\n%s", c.name, got, c.want, out.String())
		}
	}
}
