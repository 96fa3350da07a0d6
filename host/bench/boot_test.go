package bench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gotoro/gotoro/host/qemu"
	"github.com/gotoro/gotoro/internal/bootabi"
)

// The phases of the breakdown must tile a traced run: each starts where
// the previous one ended, from gotoro's launch to its exit.
func TestPhasesTileTheRun(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	b := &qemu.BootTrace{Launched: ms(3), VMStart: ms(20), Exited: ms(90), TraceLineEnd: ms(88)}
	for i := range b.Steps {
		b.Steps[i] = ms(25 + 4*i)
	}
	r := TracedRun{Launched: t0, Exited: ms(95), RunTrace: RunTrace{Started: ms(1), Finished: ms(91), Boot: b}}
	tile := func(r TracedRun, wantLeftOut int) {
		t.Helper()
		var sum time.Duration
		var prev time.Time
		leftOut := 0
		for i, p := range phases {
			from, ok1 := p.from(r)
			to, ok2 := p.to(r)
			if !ok1 || !ok2 {
				leftOut++
				continue
			}
			if i > 0 && !from.Equal(prev) {
				t.Errorf("phase %q starts at %v, the previous one ended at %v", p.name, from.Sub(t0), prev.Sub(t0))
			}
			if to.Before(from) {
				t.Errorf("phase %q ends before it starts", p.name)
			}
			prev = to
			sum += to.Sub(from)
		}
		if sum != r.Exited.Sub(r.Launched) {
			t.Errorf("phases sum to %v, the run took %v", sum, r.Exited.Sub(r.Launched))
		}
		if leftOut != wantLeftOut {
			t.Errorf("%d phases left out, want %d", leftOut, wantLeftOut)
		}
	}
	tile(r, 0)
	got := spans([]TracedRun{r}, traceLineEnd(false), at(func(r TracedRun) time.Time { return r.Boot.Exited }))
	if len(got) != 1 || got[0] != 2*time.Millisecond {
		t.Errorf("boot-trace line → QEMU exited: %v, want 2ms", got)
	}
	// A trace written by a gotoro without the line's end or the end of
	// its work: the phases after them are left out, the others still tile
	// the run.
	old := *b
	old.TraceLineEnd = time.Time{}
	r0 := r
	r0.Boot, r0.Finished = &old, time.Time{}
	tile(r0, 2)
	if got := spans([]TracedRun{r}, step(bootabi.StepEntry), step(bootabi.StepRuntime)); len(got) != 1 || got[0] != 32*time.Millisecond {
		t.Errorf("kernel boot span %v", got)
	}
	// A step that did not happen leaves its phases out.
	b.Steps[bootabi.StepMain] = time.Time{}
	if got := spans([]TracedRun{r}, step(bootabi.StepRuntimeMain), step(bootabi.StepMain)); len(got) != 0 {
		t.Errorf("span to a missing step: %v", got)
	}
}

func TestStats(t *testing.T) {
	lo, med, hi := Stats([]time.Duration{5, 1, 3, 2, 4})
	if lo != 1 || med != 3 || hi != 5 {
		t.Errorf("Stats = %v %v %v", lo, med, hi)
	}
	if lo, med, hi := Stats(nil); lo != 0 || med != 0 || hi != 0 {
		t.Errorf("Stats(nil) = %v %v %v", lo, med, hi)
	}
}

func TestMeasureImage(t *testing.T) {
	p := filepath.Join(t.TempDir(), "empty.img")
	img := qemu.EmptyKernelImage()
	if err := os.WriteFile(p, img, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := MeasureImage(p)
	if err != nil {
		t.Fatal(err)
	}
	if s.File != uint64(len(img)) || s.Loaded == 0 || s.Loaded > s.File || s.Text == 0 {
		t.Errorf("sizes of the empty kernel: %+v", s)
	}
	if _, err := MeasureImage(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Errorf("no error for a missing image")
	}
}

func TestRunTraceRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "t.json")
	in := RunTrace{Started: time.Now().Round(0), Boot: &qemu.BootTrace{TSCHz: 123, CPUs: 2}}
	in.Boot.Steps[bootabi.StepMain] = in.Started.Add(time.Millisecond)
	if err := WriteRunTrace(p, in); err != nil {
		t.Fatal(err)
	}
	out, err := ReadRunTrace(p)
	if err != nil {
		t.Fatal(err)
	}
	if !out.Started.Equal(in.Started) || out.Boot.TSCHz != 123 || !out.Boot.Steps[bootabi.StepMain].Equal(in.Boot.Steps[bootabi.StepMain]) {
		t.Errorf("round trip: %+v", out)
	}
	os.WriteFile(p, []byte("{"), 0o644)
	if _, err := ReadRunTrace(p); err == nil {
		t.Errorf("no error for a broken file")
	}
}

func TestRatioPairsRuns(t *testing.T) {
	// The machine slows down in the middle: pairing keeps the ratio at 3.
	r := &BootReport{
		Floor: []time.Duration{10, 10, 40, 40, 10},
		Total: []time.Duration{30, 30, 120, 120, 30},
	}
	if got := r.Ratio(); got != 3 {
		t.Errorf("Ratio() = %v, want 3", got)
	}
	if got := (&BootReport{}).Ratio(); got != 0 {
		t.Errorf("Ratio() of no runs = %v", got)
	}
}

// TestPairedRatios: the ratios are medians of per-pair quotients, for wall
// time and for CPU time alike.
func TestPairedRatios(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var ds []time.Duration
		for _, x := range v {
			ds = append(ds, time.Duration(x)*time.Millisecond)
		}
		return ds
	}
	r := &BootReport{
		Floor: ms(10, 20, 40), Total: ms(30, 40, 400), // 3, 2, 10
		FloorCPU: ms(10, 10, 10), CPU: ms(31, 35, 33),
	}
	if got := r.Ratio(); got != 3 {
		t.Errorf("Ratio = %v, want 3 (the median pair)", got)
	}
	if got := r.CPURatio(); got != 3.3 {
		t.Errorf("CPURatio = %v, want 3.3", got)
	}
	if got := (&BootReport{}).CPURatio(); got != 0 {
		t.Errorf("CPURatio of nothing = %v, want 0", got)
	}
}

func TestProgress(t *testing.T) {
	rep := &BootReport{
		Floor: []time.Duration{200 * time.Millisecond},
		Total: []time.Duration{900 * time.Millisecond},
		Exits: []Exits{{Total: 1234}}, FloorExits: []Exits{{Total: 56}},
	}
	var b strings.Builder
	progress(BootConfig{Runs: 10, Progress: &b}, 0, rep, 1100*time.Millisecond)
	want := "bench boot: run 1 of 10: empty kernel 200 ms, gotoro run 900 ms, traced 1100 ms, VM exits 1234 (empty kernel 56)\n"
	if b.String() != want {
		t.Errorf("got %q\nwant %q", b.String(), want)
	}
	b.Reset()
	progress(BootConfig{Runs: 10}, 0, rep, 0) // no writer: nothing, no panic
	rep.Exits, rep.FloorExits = nil, nil
	progress(BootConfig{Runs: 10, Progress: &b}, 0, rep, 0)
	if want := "bench boot: run 1 of 10: empty kernel 200 ms, gotoro run 900 ms\n"; b.String() != want {
		t.Errorf("got %q\nwant %q", b.String(), want)
	}
}
