package bench

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Exits counts one boot's VM exits, as the host kernel's KVM tracepoints
// saw them (exits_linux.go records them).
type Exits struct {
	Total    int
	Reasons  map[string]int // exit reason as KVM names it → count
	Ports    map[string]int // "in 0x3fd", "out 0x3f8" → port accesses
	MSRs     map[string]int // "rdmsr 0x1b", "wrmsr 0x6e0" → accesses
	Lost     bool           // the trace buffer overflowed: the counts are low
	Recorded int            // events read (exits, port and MSR accesses)
}

// parseExitTrace reads the text of a tracefs trace buffer holding the
// kvm_exit, kvm_pio and kvm_msr events of one boot. Lines look like
//
//	CPU 0/KVM-1234 [001] ..... 12.345678: kvm_exit: vcpu 0 reason IO_INSTRUCTION rip 0x... info1 ...
//	CPU 0/KVM-1234 [001] ..... 12.345679: kvm_pio: pio_write at 0x3f8 size 1 count 1 val 0x48
//	CPU 0/KVM-1234 [001] ..... 12.345680: kvm_msr: msr_write 6e0 = 0x1234
//
// (older kernels print no "vcpu N"; AMD's reasons are lower case: io, msr,
// npf, hlt). The header's "entries-in-buffer/entries-written: A/B" with
// A < B means events were lost.
func parseExitTrace(r io.Reader) (Exits, error) {
	e := Exits{Reasons: map[string]int{}, Ports: map[string]int{}, MSRs: map[string]int{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			if _, rest, ok := strings.Cut(line, "entries-in-buffer/entries-written:"); ok {
				var in, written int
				if _, err := fmt.Sscanf(strings.TrimSpace(rest), "%d/%d", &in, &written); err == nil && in < written {
					e.Lost = true
				}
			}
			continue
		}
		switch {
		case cutField(line, " kvm_exit: ") != "":
			f := strings.Fields(cutField(line, " kvm_exit: "))
			i := slices.Index(f, "reason")
			if i < 0 || i+1 >= len(f) {
				return e, fmt.Errorf("kvm_exit event without a reason: %q", line)
			}
			e.Total++
			e.Reasons[f[i+1]]++
		case cutField(line, " kvm_pio: ") != "":
			// pio_write at 0x3f8 size 1 count 1 val 0x48
			f := strings.Fields(cutField(line, " kvm_pio: "))
			if len(f) < 3 {
				return e, fmt.Errorf("kvm_pio event: %q", line)
			}
			dir := "in"
			if f[0] == "pio_write" {
				dir = "out"
			}
			e.Ports[dir+" "+f[2]]++
		case cutField(line, " kvm_msr: ") != "":
			// msr_write 6e0 = 0x1234
			f := strings.Fields(cutField(line, " kvm_msr: "))
			if len(f) < 2 {
				return e, fmt.Errorf("kvm_msr event: %q", line)
			}
			op := "rdmsr"
			if f[0] == "msr_write" {
				op = "wrmsr"
			}
			e.MSRs[op+" 0x"+f[1]]++
		default:
			continue
		}
		e.Recorded++
	}
	return e, sc.Err()
}

// cutField returns what follows sep in line, or "".
func cutField(line, sep string) string {
	_, after, ok := strings.Cut(line, sep)
	if !ok {
		return ""
	}
	return after
}

// top returns m's keys by falling count (then name), at most n of them,
// formatted "key count".
func top(m map[string]int, n int) []string {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b string) int {
		if m[a] != m[b] {
			return m[b] - m[a]
		}
		return strings.Compare(a, b)
	})
	if len(keys) > n {
		keys = keys[:n]
	}
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k + " " + strconv.Itoa(m[k])
	}
	return out
}

// medianExits returns the boot whose total is the median of es.
func medianExits(es []Exits) Exits {
	s := slices.Clone(es)
	slices.SortFunc(s, func(a, b Exits) int { return a.Total - b.Total })
	return s[len(s)/2]
}

// printExits prints the exit counts of the floor's and the guest's boots.
func printExits(w io.Writer, name string, floor, guest []Exits) {
	if len(floor) == 0 || len(guest) == 0 {
		return
	}
	fmt.Fprintf(w, "\n# VM exits per boot (KVM's kvm_exit tracepoint; min/median/max over %d boots, the median boot's breakdown)\n", len(guest))
	for _, k := range []struct {
		label string
		es    []Exits
	}{{"empty PVH kernel", floor}, {name, guest}} {
		// A boot whose trace holds no event at all was not seen (every
		// boot exits at least to load its kernel): it is left out.
		var seen []Exits
		var all []string
		lost := false
		for _, e := range k.es {
			all = append(all, strconv.Itoa(e.Total))
			if e.Recorded == 0 {
				continue
			}
			seen = append(seen, e)
			lost = lost || e.Lost
		}
		if len(seen) == 0 {
			fmt.Fprintf(w, "%s: no boot's exits were recorded\n", k.label)
			continue
		}
		m := medianExits(seen)
		ts := make([]int, len(seen))
		for i, e := range seen {
			ts[i] = e.Total
		}
		slices.Sort(ts)
		fmt.Fprintf(w, "%-56s %8d %8d %8d\n", k.label+": exits", ts[0], ts[len(ts)/2], ts[len(ts)-1])
		fmt.Fprintf(w, "  per boot, in order: %s\n", strings.Join(all, " "))
		if n := len(k.es) - len(seen); n > 0 {
			fmt.Fprintf(w, "  (%d boots recorded no event at all and are left out)\n", n)
		}
		if lost {
			fmt.Fprintf(w, "  (the trace buffer overflowed in some boots: their counts are low)\n")
		}
		fmt.Fprintf(w, "  by reason: %s\n", strings.Join(top(m.Reasons, 12), ", "))
		if len(m.Ports) > 0 {
			fmt.Fprintf(w, "  port accesses: %s\n", strings.Join(top(m.Ports, 8), ", "))
		}
		if len(m.MSRs) > 0 {
			fmt.Fprintf(w, "  MSR accesses: %s\n", strings.Join(top(m.MSRs, 8), ", "))
		}
	}
}
