package prof

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/google/pprof/profile"
)

// Profile converts r into a pprof profile of the image at imagePath:
// sample values are counts and CPU time (one tick period each), every
// sample is labelled with its vCPU and mode, and kernel pseudo-frames
// (entries, idle) are functions of their own.
func Profile(s *Symbols, r *Result, imagePath string, start time.Time) *profile.Profile {
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

// WriteProfile writes r as a gzipped pprof profile to w.
func WriteProfile(w io.Writer, s *Symbols, r *Result, imagePath string, start time.Time) error {
	p := Profile(s, r, imagePath, start)
	if err := p.CheckValid(); err != nil {
		return fmt.Errorf("pprof profile: %w", err)
	}
	return p.Write(w)
}
