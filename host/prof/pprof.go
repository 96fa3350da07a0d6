package prof

import (
	"compress/gzip"
	"fmt"
	"io"
	"strconv"
	"time"
)

// The profile is written in pprof's format (a gzipped profile.proto
// message) by this package's own encoder: the reference package for the
// format compiles dozens of regular expressions at its initialization,
// which every gotoro command paid at start-up (0.4 ms), profiling or not.

// pprofLine is one line of a location: a function and a line number.
type pprofLine struct {
	fn   uint64 // function ID
	line int64
}

// pprofLocation is a profile location: an address in the image, or a
// kernel pseudo-frame (no address, no mapping).
type pprofLocation struct {
	addr   uint64
	mapped bool
	line   pprofLine
}

// pprofFunction is a profile function; its strings are string-table
// indices.
type pprofFunction struct{ name, file int64 }

// pprofSample is one tick: its stack (location IDs, innermost first),
// its vCPU and mode.
type pprofSample struct {
	locs []int64
	vcpu int64 // string-table indices
	mode int64
}

// pprofBuilder collects a profile's tables: strings, functions and
// locations each numbered in the order they first appear.
type pprofBuilder struct {
	strs    []string
	strIdx  map[string]int64
	funcs   []pprofFunction
	funcIdx map[string]uint64
	locs    []pprofLocation
	locIdx  map[Frame]int64
}

func newPprofBuilder() *pprofBuilder {
	b := &pprofBuilder{strIdx: map[string]int64{}, funcIdx: map[string]uint64{}, locIdx: map[Frame]int64{}}
	b.str("") // index 0 is the empty string
	return b
}

func (b *pprofBuilder) str(s string) int64 {
	if i, ok := b.strIdx[s]; ok {
		return i
	}
	i := int64(len(b.strs))
	b.strs = append(b.strs, s)
	b.strIdx[s] = i
	return i
}

func (b *pprofBuilder) fn(name, file string) uint64 {
	if id, ok := b.funcIdx[name]; ok {
		return id
	}
	b.funcs = append(b.funcs, pprofFunction{name: b.str(name), file: b.str(file)})
	id := uint64(len(b.funcs))
	b.funcIdx[name] = id
	return id
}

func (b *pprofBuilder) loc(s *Symbols, fr Frame) int64 {
	if id, ok := b.locIdx[fr]; ok {
		return id
	}
	var l pprofLocation
	switch {
	case fr.Kernel != "":
		l.line = pprofLine{fn: b.fn(fr.Kernel, "")}
	default:
		l.addr = fr.PC
		if f, ok := s.FuncAt(fr.PC); ok {
			file, line := s.Line(fr.PC)
			l.mapped = true
			l.line = pprofLine{fn: b.fn(f.Name, file), line: int64(line)}
		} else {
			l.line = pprofLine{fn: b.fn(fmt.Sprintf("?? %#x", fr.PC), "")}
		}
	}
	b.locs = append(b.locs, l)
	id := int64(len(b.locs))
	b.locIdx[fr] = id
	return id
}

// Period returns the CPU time one sample of r stands for: the mean
// interval between the ticks actually taken (the requested period if
// none were).
func Period(r *Result) int64 {
	period := int64(time.Second) / int64(max(r.Hz, 1))
	if r.Ticks > 1 && r.Elapsed > 0 {
		period = int64(r.Elapsed) / int64(r.Ticks)
	}
	return period
}

// EncodeProfile returns r as a pprof profile.proto message (not
// gzipped) of the image at imagePath: sample values are counts and CPU
// time (one tick period each), every sample is labelled with its vCPU
// and mode, and kernel pseudo-frames (entries, idle) are functions of
// their own.
func EncodeProfile(s *Symbols, r *Result, imagePath string, start time.Time) []byte {
	period := Period(r)
	b := newPprofBuilder()
	samples, count, cpu, nanos := b.str("samples"), b.str("count"), b.str("cpu"), b.str("nanoseconds")
	vcpuKey, modeKey := b.str("vcpu"), b.str("mode")
	comment := b.str(fmt.Sprintf("gotoro prof: %d ticks, %.1f/s taken of %d/s requested, ended: %s",
		r.Ticks, r.TakenHz(), r.Hz, r.Ended))
	image := b.str(imagePath)
	ss := make([]pprofSample, 0, len(r.Samples))
	for _, sm := range r.Samples {
		ps := pprofSample{vcpu: b.str(strconv.Itoa(sm.CPU)), mode: b.str(string(sm.Mode))}
		for _, fr := range sm.Stack {
			ps.locs = append(ps.locs, b.loc(s, fr))
		}
		ss = append(ss, ps)
	}

	var p protoBuf
	valueType := func(typ, unit int64) func(*protoBuf) {
		return func(q *protoBuf) { q.int64(1, typ); q.int64(2, unit) }
	}
	p.message(1, valueType(samples, count)) // sample_type
	p.message(1, valueType(cpu, nanos))
	for _, sm := range ss { // sample
		p.message(2, func(q *protoBuf) {
			q.packed(1, sm.locs)
			q.packed(2, []int64{1, period})
			q.message(3, func(l *protoBuf) { l.int64(1, vcpuKey); l.int64(2, sm.vcpu) })
			q.message(3, func(l *protoBuf) { l.int64(1, modeKey); l.int64(2, sm.mode) })
		})
	}
	p.message(3, func(q *protoBuf) { // mapping 1: the image's text
		q.uint64(1, 1)
		q.uint64(2, s.textStart)
		q.uint64(3, s.textEnd)
		q.int64(5, image)
		q.bool(7, true) // has_functions, has_filenames, has_line_numbers
		q.bool(8, true)
		q.bool(9, true)
	})
	for i, l := range b.locs { // location
		p.message(4, func(q *protoBuf) {
			q.uint64(1, uint64(i+1))
			if l.mapped {
				q.uint64(2, 1)
			}
			q.uint64(3, l.addr)
			q.message(4, func(ln *protoBuf) { ln.uint64(1, l.line.fn); ln.int64(2, l.line.line) })
		})
	}
	for i, f := range b.funcs { // function
		p.message(5, func(q *protoBuf) {
			q.uint64(1, uint64(i+1))
			q.int64(2, f.name)
			q.int64(3, f.name) // system_name
			q.int64(4, f.file)
		})
	}
	for _, s := range b.strs { // string_table
		p.bytes(6, []byte(s))
	}
	p.int64(9, start.UnixNano())         // time_nanos
	p.int64(10, int64(r.Elapsed))        // duration_nanos
	p.message(11, valueType(cpu, nanos)) // period_type
	p.int64(12, period)
	p.packed(13, []int64{comment})
	return p.b
}

// WriteProfile writes r as a gzipped pprof profile to w (EncodeProfile).
func WriteProfile(w io.Writer, s *Symbols, r *Result, imagePath string, start time.Time) error {
	zw := gzip.NewWriter(w)
	if _, err := zw.Write(EncodeProfile(s, r, imagePath, start)); err != nil {
		return fmt.Errorf("writing the pprof profile: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("writing the pprof profile: %w", err)
	}
	return nil
}
