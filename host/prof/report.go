package prof

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
)

// FuncCount is a function's share of the samples in a report.
type FuncCount struct {
	Func  string // function or pseudo-frame name
	Where string // file:line of the function's most sampled line
	Count int
}

// leafName returns the function name and file:line of a stack's leaf.
func (s *Symbols) leafName(st []Frame) (name, where string) {
	if len(st) == 0 {
		return "?", ""
	}
	f := st[0]
	if f.Kernel != "" {
		return f.Kernel, ""
	}
	fn, ok := s.FuncAt(f.PC)
	if !ok {
		return fmt.Sprintf("?? %#x", f.PC), ""
	}
	file, line := s.Line(f.PC)
	return fn.Name, fmt.Sprintf("%s:%d", file, line)
}

// Top returns the sampled functions of the samples for which keep
// returns true, counted by leaf (self) samples, hottest first (ties by
// name).
func (s *Symbols) Top(samples []Sample, keep func(Sample) bool) []FuncCount {
	type acc struct {
		count int
		lines map[string]int
	}
	byFunc := map[string]*acc{}
	for _, sm := range samples {
		if keep != nil && !keep(sm) {
			continue
		}
		name, where := s.leafName(sm.Stack)
		a := byFunc[name]
		if a == nil {
			a = &acc{lines: map[string]int{}}
			byFunc[name] = a
		}
		a.count++
		a.lines[where]++
	}
	var out []FuncCount
	for name, a := range byFunc {
		best, bestN := "", -1
		for w, n := range a.lines {
			if n > bestN || (n == bestN && w < best) {
				best, bestN = w, n
			}
		}
		out = append(out, FuncCount{Func: name, Where: best, Count: a.count})
	}
	slices.SortFunc(out, func(a, b FuncCount) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return cmp.Compare(a.Func, b.Func)
	})
	return out
}

// WriteReport writes the Qprofiler-style report: a summary of the
// sampling (rate taken versus requested, time the guest was paused), then
// for every vCPU and for all together the time by mode and the functions
// the samples were in, hottest first, at most top lines each (0: all).
func WriteReport(w io.Writer, s *Symbols, r *Result, top int) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintf(w, "gotoro prof: %d ticks in %.2fs: %.1f/s taken, %d/s requested (%.0f%%); %d failed; ended: %s\n",
		r.Ticks, r.Elapsed.Seconds(), r.TakenHz(), r.Hz, pct(r.Ticks, r.Requested()), r.Missed, r.Ended)
	if r.Paused > 0 {
		fmt.Fprintf(w, "guest paused by the profiler %.1f%% of the time (%.2f ms per tick), %.1f memory reads per tick\n",
			100*r.Paused.Seconds()/r.Elapsed.Seconds(), float64(r.Paused.Microseconds())/1000/float64(max(r.Ticks, 1)), float64(r.Reads)/float64(max(r.Ticks, 1)))
	}
	var cpus []int
	for _, sm := range r.Samples {
		if !slices.Contains(cpus, sm.CPU) {
			cpus = append(cpus, sm.CPU)
		}
	}
	slices.Sort(cpus)
	section := func(title string, keep func(Sample) bool) {
		n := 0
		modes := map[Mode]int{}
		for _, sm := range r.Samples {
			if keep(sm) {
				n++
				modes[sm.Mode]++
			}
		}
		fmt.Fprintf(w, "\n%s: %d samples", title, n)
		for _, m := range []Mode{User, Kernel, Idle, Offline} {
			if modes[m] > 0 {
				fmt.Fprintf(w, ", %s %.1f%%", m, pct(modes[m], n))
			}
		}
		fmt.Fprintln(w)
		fmt.Fprintf(tw, "%7s %6s\t%s\t%s\n", "count", "pct", "function", "file:line")
		for i, fc := range s.Top(r.Samples, keep) {
			if top > 0 && i == top {
				break
			}
			fmt.Fprintf(tw, "%7d %5.1f%%\t%s\t%s\n", fc.Count, pct(fc.Count, n), fc.Func, fc.Where)
		}
		tw.Flush()
	}
	for _, c := range cpus {
		section(fmt.Sprintf("vCPU %d", c), func(sm Sample) bool { return sm.CPU == c })
	}
	if len(cpus) != 1 {
		section("all vCPUs", func(Sample) bool { return true })
	}
	return tw.Flush()
}

func pct(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return 100 * float64(n) / float64(of)
}
