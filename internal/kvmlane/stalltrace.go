package main

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// A gotoro guest that stops printing in the lane is looked at from L1's
// side before its QEMU is asked for registers (which stops it): one second
// of L1's KVM tracepoints — every exit with its guest RIP, every
// instruction KVM emulates, every exception it injects, every nested page
// fault and every walk of the guest's page tables KVM's emulator makes
// with each entry it read — and the kernel stacks of the L2 QEMU's busy
// threads. That tells a guest loop (the gotoro kernel returning to an
// instruction that faults again) from L1's (KVM failing to fetch or
// emulate an instruction whose mapping the guest's page tables hold), and
// shows where a vCPU thread that L1 reports as soft-locked spins.

// stallTraceEvents are the tracepoints read at a stall, as paths under
// events/.
var stallTraceEvents = []string{
	"kvm/kvm_exit",
	"kvm/kvm_emulate_insn",
	"kvm/kvm_inj_exception",
	"kvm/kvm_page_fault",
	"kvmmmu/kvm_mmu_pagetable_walk",
	"kvmmmu/kvm_mmu_paging_element",
	"kvmmmu/kvm_mmu_walker_error",
}

// stallTraceFor is how long the tracepoints record at a stall.
const stallTraceFor = time.Second

// stallTrace sets up a private tracefs instance with stallTraceEvents
// (disabled) and returns bootcase.Env.StallInfo, which records them for
// stallTraceFor and describes what they and L1's busy tasks show. It
// returns nil if tracing is not available.
func stallTrace() func() string {
	dir := "/sys/kernel/tracing/instances/lane-stall"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Printf("%s no trace of stalled guests: %v\n", markInfo, err)
		return nil
	}
	// 1 MiB a CPU holds a second of a vCPU that exits 25,000 times.
	if err := os.WriteFile(filepath.Join(dir, "buffer_size_kb"), []byte("1024"), 0); err != nil {
		fmt.Printf("%s no trace of stalled guests: %v\n", markInfo, err)
		return nil
	}
	var missing []string
	for _, ev := range stallTraceEvents {
		if err := os.WriteFile(filepath.Join(dir, "events", ev, "enable"), []byte("1"), 0); err != nil {
			missing = append(missing, ev)
		}
	}
	if len(missing) == len(stallTraceEvents) {
		fmt.Printf("%s no trace of stalled guests: no KVM tracepoints\n", markInfo)
		return nil
	}
	if len(missing) > 0 {
		fmt.Printf("%s the trace of stalled guests lacks %s\n", markInfo, strings.Join(missing, " "))
	}
	on := filepath.Join(dir, "tracing_on")
	if err := os.WriteFile(on, []byte("0"), 0); err != nil {
		fmt.Printf("%s no trace of stalled guests: %v\n", markInfo, err)
		return nil
	}
	trace := filepath.Join(dir, "trace")
	return func() string {
		var b strings.Builder
		os.WriteFile(trace, nil, 0) // opening it for writing clears it
		if err := os.WriteFile(on, []byte("1"), 0); err != nil {
			fmt.Fprintf(&b, "L1's KVM trace: %v\n", err)
		} else {
			time.Sleep(stallTraceFor)
			os.WriteFile(on, []byte("0"), 0)
			raw, err := os.ReadFile(trace)
			if err != nil {
				fmt.Fprintf(&b, "L1's KVM trace: %v\n", err)
			} else {
				syms, _ := os.ReadFile("/proc/kallsyms")
				b.WriteString(summarizeStallTrace(string(raw), string(syms), stallTraceFor))
			}
		}
		b.WriteString(busyTasksReport(busyTasks("/proc")))
		return b.String()
	}
}

// traceEvent is one line of a tracefs trace.
type traceEvent struct {
	task  string // "comm-pid"
	event string // "kvm_exit"
	msg   string // what follows "event: "
}

// parseTraceLine splits a tracefs line ("  comm-pid  [001] d.... 12.3:
// event: msg"); false for comments and lines of another form.
func parseTraceLine(line string) (traceEvent, bool) {
	t := strings.TrimSpace(line)
	if t == "" || t[0] == '#' {
		return traceEvent{}, false
	}
	cpu := strings.Index(t, " [")
	if cpu < 0 {
		return traceEvent{}, false
	}
	task := strings.TrimSpace(t[:cpu])
	rest := t[cpu:]
	// The event name follows the timestamp's colon: "12.345678: name: msg".
	i := strings.Index(rest, ": ")
	if i < 0 {
		return traceEvent{}, false
	}
	rest = rest[i+2:]
	name, msg, ok := strings.Cut(rest, ": ")
	if !ok {
		name, msg = strings.TrimSuffix(rest, ":"), ""
	}
	return traceEvent{task: task, event: name, msg: strings.TrimSpace(msg)}, true
}

// traceField returns the hexadecimal or decimal value after key (" rip ",
// " address ") in msg.
func traceField(msg, key string) (uint64, bool) {
	i := strings.Index(" "+msg, " "+key+" ")
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(msg[i+len(key):])
	if len(f) == 0 {
		return 0, false
	}
	v, err := strconv.ParseUint(strings.TrimSuffix(f[0], ","), 0, 64)
	return v, err == nil
}

// taskTrace is what one thread (one vCPU) did in the trace.
type taskTrace struct {
	task     string
	counts   map[string]int
	exitRIPs map[uint64]int // guest RIPs of its exits
	msgs     map[string]map[string]int
	first    []string // its first events, in order
}

// loopMin is how many emulations with an injected page fault one vCPU
// must show in the traced second, each at the same guest RIP, for the
// summary to call it an emulation loop: the wedges seen ran about 12,000
// a second; a guest that runs takes a few.
const loopMin = 200

// summarizeStallTrace describes a trace recorded over d: per thread, the
// count of each event, the guest RIPs of its exits, and the most frequent
// messages of each event (the page walks' addresses and entries, the
// injected exceptions). A thread that emulated and injected a page fault
// at least loopMin times, every exit at one guest RIP, is named on an
// "emulation loop:" line (emulationLoop), and when that RIP is L1's own
// code (kallsyms, L1's /proc/kallsyms) on an l1StateMark line.
func summarizeStallTrace(trace, kallsyms string, d time.Duration) string {
	byTask := map[string]*taskTrace{}
	var order []string
	total := 0
	for _, line := range strings.Split(trace, "\n") {
		ev, ok := parseTraceLine(line)
		if !ok {
			continue
		}
		total++
		// Keyed by the thread's id: tracefs prints "<...>" for a
		// command it did not record.
		id := ev.task[strings.LastIndex(ev.task, "-")+1:]
		tt := byTask[id]
		if tt == nil {
			tt = &taskTrace{task: ev.task, counts: map[string]int{}, exitRIPs: map[uint64]int{}, msgs: map[string]map[string]int{}}
			byTask[id] = tt
			order = append(order, id)
		}
		if strings.HasPrefix(tt.task, "<...>") {
			tt.task = ev.task
		}
		tt.counts[ev.event]++
		if ev.event == "kvm_exit" {
			if rip, ok := traceField(ev.msg, "rip"); ok {
				tt.exitRIPs[rip]++
			}
		}
		if tt.msgs[ev.event] == nil {
			tt.msgs[ev.event] = map[string]int{}
		}
		tt.msgs[ev.event][ev.msg]++
		if len(tt.first) < 12 {
			tt.first = append(tt.first, ev.event+": "+ev.msg)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "L1's KVM trace over %v: %d events\n", d, total)
	for _, name := range order {
		tt := byTask[name]
		fmt.Fprintf(&b, "  %s:", tt.task)
		for _, k := range sortedCounts(tt.counts) {
			fmt.Fprintf(&b, " %s=%d", k, tt.counts[k])
		}
		b.WriteString("\n")
		if len(tt.exitRIPs) > 0 {
			b.WriteString("    exits at guest rip:")
			for i, r := range sortedCounts(tt.exitRIPs) {
				if i == 6 {
					fmt.Fprintf(&b, " (%d more)", len(tt.exitRIPs)-6)
					break
				}
				fmt.Fprintf(&b, " %#x×%d", r, tt.exitRIPs[r])
			}
			b.WriteString("\n")
		}
		for _, ev := range sortedCounts(tt.counts) {
			ms := tt.msgs[ev]
			for i, m := range sortedCounts(ms) {
				if i == 4 {
					fmt.Fprintf(&b, "    %s: (%d more distinct)\n", ev, len(ms)-4)
					break
				}
				fmt.Fprintf(&b, "    %s ×%d: %s\n", ev, ms[m], m)
			}
		}
		if loop, ok := emulationLoop(tt); ok {
			fmt.Fprintf(&b, "  %s\n", loop)
			if l1, ok := l1StateLoop(tt, kallsyms); ok {
				fmt.Fprintf(&b, "  %s\n", l1)
			}
		}
		b.WriteString("    first events:\n")
		for _, l := range tt.first {
			fmt.Fprintf(&b, "      %s\n", l)
		}
	}
	return b.String()
}

// emulationLoopMark starts the summary's line for a vCPU that KVM keeps
// emulating at one guest RIP, injecting a page fault each time.
const emulationLoopMark = "emulation loop: "

// l1StateMark starts the line that names the emulation loop's guest RIP
// as L1's own code: the vCPU's saved state (the VMCB's save area, which
// L0 writes at every #VMEXIT of L2) holds L1's registers instead of the
// gotoro guest's. gotoro runs nowhere in the upper half of the address
// space (its kernel is identity-mapped low, its programs' half ends at
// 0x7fffffffffff), so the guest cannot have put that RIP there.
const l1StateMark = "guest state overwritten by L1's: "

// upperHalf is where a canonical kernel-half address starts.
const upperHalf = 0xffff800000000000

// l1Symbol names the text symbol of kallsyms (the /proc/kallsyms text of
// L1, modules included) that holds addr: "name+0xoff [module]".
func l1Symbol(kallsyms string, addr uint64) (string, bool) {
	var best kallsym
	for _, l := range strings.Split(kallsyms, "\n") {
		sym, ok, err := kallsymsText(l)
		if !ok || err != nil || sym.addr > addr || sym.addr < best.addr {
			continue
		}
		best = sym
	}
	// A symbol further than 1 MiB below is not the one that holds addr.
	if best.name == "" || addr-best.addr > 1<<20 {
		return "", false
	}
	s := fmt.Sprintf("%s+%#x", best.name, addr-best.addr)
	if best.module != "" {
		s += " " + best.module
	}
	return s, true
}

// emulationLoop describes tt if it is a vCPU that KVM emulated and
// injected a page fault into at least loopMin times, every exit at one
// guest RIP: the guest made no progress between them.
func emulationLoop(tt *taskTrace) (string, bool) {
	em, pf := tt.counts["kvm_emulate_insn"], 0
	for m, n := range tt.msgs["kvm_inj_exception"] {
		if strings.HasPrefix(m, "#PF") {
			pf += n
		}
	}
	if em < loopMin || pf < loopMin || len(tt.exitRIPs) != 1 {
		return "", false
	}
	rip := loopRIP(tt)
	walk := ""
	if ws := sortedCounts(tt.msgs["kvm_mmu_pagetable_walk"]); len(ws) > 0 {
		walk = ", walk " + ws[0]
	}
	werr := ""
	if es := sortedCounts(tt.msgs["kvm_mmu_walker_error"]); len(es) > 0 {
		werr = ", walker error " + es[0]
	}
	return fmt.Sprintf("%s%s emulated %d instructions and injected %d page faults, every exit at guest rip %#x%s%s", emulationLoopMark, tt.task, em, pf, rip, walk, werr), true
}

// loopRIP returns the one guest RIP of the exits of tt.
func loopRIP(tt *taskTrace) uint64 {
	for r := range tt.exitRIPs {
		return r
	}
	return 0
}

// l1StateLoop describes the emulation loop of tt as L0's artefact when its
// guest RIP is in the upper half and kallsyms (L1's) has a text symbol
// there: the guest's saved registers are L1's. The nested page fault of
// every exit is then on the guest-physical address of a page-table entry
// under L1's CR3, which the guest's memory does not have.
func l1StateLoop(tt *taskTrace, kallsyms string) (string, bool) {
	rip := loopRIP(tt)
	if rip < upperHalf {
		return "", false
	}
	sym, ok := l1Symbol(kallsyms, rip)
	if !ok {
		return "", false
	}
	gpa := ""
	if ms := sortedCounts(tt.msgs["kvm_page_fault"]); len(ms) > 0 {
		if a, ok := traceField(ms[0], "address"); ok {
			gpa = fmt.Sprintf("; every nested page fault at guest-physical %#x", a)
		}
	}
	return fmt.Sprintf("%s%s's vCPU is at guest rip %#x, which is L1's %s%s: L0's nested SVM wrote L1's registers into the gotoro guest's saved state at a #VMEXIT, and KVM emulates and injects a page fault there forever (docs/kvm.md)", l1StateMark, tt.task, rip, sym, gpa), true
}

// sortedCounts returns m's keys, most frequent first, then in order.
func sortedCounts[K cmp.Ordered](m map[K]int) []K {
	ks := make([]K, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool {
		if m[ks[i]] != m[ks[j]] {
			return m[ks[i]] > m[ks[j]]
		}
		return ks[i] < ks[j]
	})
	return ks
}

// busyTasksReport lists tasks (busyTasks) with their kernel stacks.
func busyTasksReport(tasks []busyTask) string {
	var b strings.Builder
	b.WriteString("L1's running, runnable and uninterruptible tasks:\n")
	if len(tasks) == 0 {
		b.WriteString("  (none)\n")
	}
	for _, t := range tasks {
		fmt.Fprintf(&b, "  pid %s tid %s %q state %s wchan %s%s\n", t.pid, t.tid, t.comm, t.state, t.wchan, t.where())
		for _, l := range strings.Split(t.stack, "\n") {
			if l != "" {
				fmt.Fprintf(&b, "    %s\n", l)
			}
		}
	}
	return b.String()
}
