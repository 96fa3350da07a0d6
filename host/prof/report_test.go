package prof

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

// testResult is 10 ticks of two vCPUs: vCPU 0 in leafA 7 times (called
// from midB) and in midB 3 times, vCPU 1 idle.
func testResult(t *testing.T, s *Symbols) *Result {
	a, b := fn(t, s, leafA), fn(t, s, midB)
	r := &Result{Hz: 100, Ticks: 10, Elapsed: 100 * time.Millisecond, Paused: 10 * time.Millisecond, Ended: "duration"}
	for i := 0; i < 10; i++ {
		st := []Frame{{PC: a.entry}, {PC: b.entry + 4}}
		if i >= 7 {
			st = st[1:]
		}
		r.Samples = append(r.Samples,
			Sample{CPU: 0, Tick: i, Mode: User, Stack: st},
			Sample{CPU: 1, Tick: i, Mode: Idle, Stack: []Frame{{Kernel: IdleFrame}, {PC: a.entry}}})
	}
	return r
}

func TestWriteReport(t *testing.T) {
	s := testSymbols(t)
	var buf bytes.Buffer
	if err := WriteReport(&buf, s, testResult(t, s), 0); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"10 ticks in 0.10s: 100.0/s taken, 100/s requested (100%)",
		"paused by the profiler 10.0% of the time",
		"vCPU 0: 10 samples, user 100.0%",
		"vCPU 1: 10 samples, idle 100.0%",
		"all vCPUs: 20 samples, user 50.0%, idle 50.0%",
		"helpers_test.go:",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	sec := out[strings.Index(out, "vCPU 0:"):strings.Index(out, "vCPU 1:")]
	ia, ib := strings.Index(sec, pkgPath+"leafA"), strings.Index(sec, pkgPath+"midB")
	if ia < 0 || ib < 0 || ia > ib {
		t.Errorf("vCPU 0 section does not list leafA (7) before midB (3):\n%s", sec)
	}
	if !strings.Contains(out[strings.Index(out, "vCPU 1:"):], IdleFrame) {
		t.Errorf("vCPU 1 is not idle:\n%s", out)
	}
}

func TestTop(t *testing.T) {
	s := testSymbols(t)
	top := s.Top(testResult(t, s).Samples, func(sm Sample) bool { return sm.CPU == 0 })
	if len(top) != 2 || top[0].Func != pkgPath+"leafA" || top[0].Count != 7 || top[1].Count != 3 {
		t.Errorf("Top = %+v", top)
	}
}

func TestProfile(t *testing.T) {
	s := testSymbols(t)
	r := testResult(t, s)
	var buf bytes.Buffer
	if err := WriteProfile(&buf, s, r, "/x/guest.img", time.Unix(1, 0)); err != nil {
		t.Fatal(err)
	}
	p, err := profile.Parse(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Sample) != 20 || p.Period != int64(10*time.Millisecond) {
		t.Fatalf("%d samples, period %d", len(p.Sample), p.Period)
	}
	counts := map[string]int64{}
	for _, sm := range p.Sample {
		leaf := sm.Location[0].Line[0].Function.Name
		counts[leaf+"@"+sm.Label["vcpu"][0]+"/"+sm.Label["mode"][0]] += sm.Value[0]
		if sm.Value[1] != p.Period {
			t.Errorf("cpu value %d, want the period", sm.Value[1])
		}
	}
	want := map[string]int64{pkgPath + "leafA@0/user": 7, pkgPath + "midB@0/user": 3, IdleFrame + "@1/idle": 10}
	for k, v := range want {
		if counts[k] != v {
			t.Errorf("%s: %d samples, want %d (all: %v)", k, counts[k], v, counts)
		}
	}
	if p.Mapping[0].File != "/x/guest.img" {
		t.Errorf("mapping file %q", p.Mapping[0].File)
	}
	// An empty run still makes a valid profile.
	buf.Reset()
	if err := WriteProfile(&buf, s, &Result{Hz: 100}, "g.img", time.Now()); err != nil { // no ticks
		t.Fatal(err)
	}
	if _, err := profile.Parse(&buf); err != nil {
		t.Errorf("empty profile: %v", err)
	}
}
