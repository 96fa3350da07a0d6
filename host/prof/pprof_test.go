package prof

import (
	"bytes"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

// referenceProfile builds r as a pprof profile with the reference package (what WriteProfile wrote before it had its own encoder) of the image at imagePath:
// sample values are counts and CPU time (one tick period each), every
// sample is labelled with its vCPU and mode, and kernel pseudo-frames
// (entries, idle) are functions of their own.
func referenceProfile(s *Symbols, r *Result, imagePath string, start time.Time) *profile.Profile {
	// A sample stands for the mean interval between the ticks actually
	// taken (the requested period if none were).
	period := int64(time.Second) / int64(max(r.Hz, 1))
	if r.Ticks > 1 && r.Elapsed > 0 {
		period = int64(r.Elapsed) / int64(r.Ticks)
	}
	p := &profile.Profile{
		SampleType: []*profile.ValueType{
			{Type: "samples", Unit: "count"},
			{Type: "cpu", Unit: "nanoseconds"},
		},
		PeriodType:    &profile.ValueType{Type: "cpu", Unit: "nanoseconds"},
		Period:        period,
		TimeNanos:     start.UnixNano(),
		DurationNanos: int64(r.Elapsed),
		Comments: []string{fmt.Sprintf("gotoro prof: %d ticks, %.1f/s taken of %d/s requested, ended: %s",
			r.Ticks, r.TakenHz(), r.Hz, r.Ended)},
	}
	m := &profile.Mapping{
		ID: 1, Start: s.textStart, Limit: s.textEnd, File: imagePath,
		HasFunctions: true, HasFilenames: true, HasLineNumbers: true,
	}
	p.Mapping = []*profile.Mapping{m}
	funcs := map[string]*profile.Function{}
	fn := func(name, file string) *profile.Function {
		f := funcs[name]
		if f == nil {
			f = &profile.Function{ID: uint64(len(p.Function) + 1), Name: name, SystemName: name, Filename: file}
			funcs[name] = f
			p.Function = append(p.Function, f)
		}
		return f
	}
	locs := map[Frame]*profile.Location{}
	loc := func(fr Frame) *profile.Location {
		if l := locs[fr]; l != nil {
			return l
		}
		l := &profile.Location{ID: uint64(len(p.Location) + 1)}
		switch {
		case fr.Kernel != "":
			l.Line = []profile.Line{{Function: fn(fr.Kernel, "")}}
		default:
			l.Address = fr.PC
			if f, ok := s.FuncAt(fr.PC); ok {
				file, line := s.Line(fr.PC)
				l.Mapping = m
				l.Line = []profile.Line{{Function: fn(f.Name, file), Line: int64(line)}}
			} else {
				l.Line = []profile.Line{{Function: fn(fmt.Sprintf("?? %#x", fr.PC), "")}}
			}
		}
		locs[fr] = l
		p.Location = append(p.Location, l)
		return l
	}
	for _, sm := range r.Samples {
		ps := &profile.Sample{
			Value: []int64{1, period},
			Label: map[string][]string{"vcpu": {strconv.Itoa(sm.CPU)}, "mode": {string(sm.Mode)}},
		}
		for _, fr := range sm.Stack {
			ps.Location = append(ps.Location, loc(fr))
		}
		p.Sample = append(p.Sample, ps)
	}
	return p
}

// TestProfileMatchesReference checks WriteProfile's own encoding
// against the reference package's: both parse to the same profile, field
// for field, and the result is valid.
func TestProfileMatchesReference(t *testing.T) {
	s := testSymbols(t)
	for _, tc := range []struct {
		name string
		r    *Result
	}{
		{"samples", testResult(t, s)},
		{"no ticks", &Result{Hz: 100}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Unix(1700000000, 12345)
			var buf bytes.Buffer
			if err := WriteProfile(&buf, s, tc.r, "/x/guest.img", start); err != nil {
				t.Fatal(err)
			}
			got, err := profile.Parse(&buf)
			if err != nil {
				t.Fatalf("parsing our profile: %v", err)
			}
			if err := got.CheckValid(); err != nil {
				t.Fatalf("our profile is not valid: %v", err)
			}
			var ref bytes.Buffer
			if err := referenceProfile(s, tc.r, "/x/guest.img", start).Write(&ref); err != nil {
				t.Fatal(err)
			}
			want, err := profile.Parse(&ref)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := got.String(), want.String(); g != w {
				t.Errorf("profile differs from the reference encoding:\n got:\n%s\nwant:\n%s", g, w)
			}
			if g, w := fmt.Sprint(got.Comments, got.TimeNanos, got.DurationNanos, got.Period), fmt.Sprint(want.Comments, want.TimeNanos, want.DurationNanos, want.Period); g != w {
				t.Errorf("header %s, want %s", g, w)
			}
			for i, m := range want.Mapping {
				if g := got.Mapping[i]; *g != *m {
					t.Errorf("mapping %+v, want %+v", g, m)
				}
			}
			for i, f := range want.Function {
				if g := got.Function[i]; *g != *f {
					t.Errorf("function %+v, want %+v", g, f)
				}
			}
		})
	}
}
