package bootcase

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/gotoro/gotoro/host/prof"
	"github.com/gotoro/gotoro/host/qmp"
)

// DumpState returns what a hung guest's machine looks like, read through
// its QMP socket: every vCPU's registers (RIP, RFLAGS.IF, HLT) twice, two
// seconds apart, to tell a vCPU that is stuck from one that moves; with
// hostInfo (if not nil) read at both moments (the KVM lane passes KVM's
// exit counters); then, with the vCPUs stopped, every local APIC (TPR,
// ISR, IRR, timer), the kernel's per-core scheduler state and lock words
// (see kernelState) and every vCPU's symbolized stack (stackWalks). It
// never fails: problems are written into the text.
func DumpState(ctx context.Context, monitor, image string, hostInfo func() map[string]uint64) string {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c, err := qmp.Dial(ctx, monitor)
	if err != nil {
		return "no machine state: " + err.Error()
	}
	defer c.Close()
	var b strings.Builder
	var before map[string]uint64
	if hostInfo != nil {
		before = hostInfo()
	}
	if regs, err := c.HMP("info registers -a"); err != nil {
		fmt.Fprintf(&b, "info registers: %v\n", err)
	} else {
		b.WriteString("vCPUs, first look:\n" + summarizeRegs(regs))
	}
	if image != "" {
		b.WriteString("kernel globals, first look (running):\n" + kernelGlobals(c, image))
	}
	time.Sleep(2 * time.Second)
	// Stop the vCPUs so that the pieces of the dump agree.
	if _, err := c.Execute("stop", nil); err != nil {
		fmt.Fprintf(&b, "stop: %v\n", err)
	}
	if hostInfo != nil {
		after := hostInfo()
		b.WriteString("host counters over the 2 s between the looks:")
		for _, k := range sortedKeys(after) {
			if d := after[k] - before[k]; d != 0 {
				fmt.Fprintf(&b, " %s+%d", k, d)
			}
		}
		b.WriteString("\n")
	}
	regs, err := c.HMP("info registers -a")
	if err != nil {
		fmt.Fprintf(&b, "info registers: %v\n", err)
	}
	b.WriteString("vCPUs, second look:\n" + regs)
	n := 1
	if raw, err := c.Execute("query-cpus-fast", nil); err == nil {
		var cpus []json.RawMessage
		if json.Unmarshal(raw, &cpus) == nil && len(cpus) > 0 {
			n = len(cpus)
		}
	}
	for i := 0; i < n; i++ {
		// The argument is an APIC ID, which QEMU makes the CPU index.
		l, err := c.HMP(fmt.Sprintf("info lapic %d", i))
		if err != nil {
			fmt.Fprintf(&b, "info lapic (cpu %d): %v\n", i, err)
			continue
		}
		fmt.Fprintf(&b, "local APIC of CPU#%d:\n%s", i, l)
	}
	if image != "" {
		b.WriteString(kernelState(c, image, n))
	}
	b.WriteString(stackTops(c, regs))
	if image != "" {
		b.WriteString(stackWalks(c, image, regs))
	}
	return b.String()
}

// stackWalks prints each vCPU's stack, symbolized, walked through its own
// page tables with the profiler's unwinder (the pcln table's frame size
// for the innermost frame, frame pointers above, across the kernel's
// trap frames): what a spinning core waits in, and for whom.
func stackWalks(c *qmp.Client, image string, regs string) string {
	rs, err := qmp.ParseRegisters(regs)
	if err != nil {
		return fmt.Sprintf("stacks: %v\n", err)
	}
	syms, err := prof.LoadSymbols(image)
	if err != nil {
		return fmt.Sprintf("stacks: %v\n", err)
	}
	dir, err := os.MkdirTemp("", "gotoro-walk-")
	if err != nil {
		return fmt.Sprintf("stacks: %v\n", err)
	}
	defer os.RemoveAll(dir)
	mem, err := qmp.NewMemReader(c, dir)
	if err != nil {
		return fmt.Sprintf("stacks: %v\n", err)
	}
	return formatStacks(prof.NewWalker(syms), mem, rs)
}

// formatStacks walks and prints the stacks of the vCPUs rs.
func formatStacks(w *prof.Walker, mem prof.Memory, rs []qmp.Regs) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "stack of CPU#%d (RIP=%#x RSP=%#x RBP=%#x):\n", r.CPU, r.RIP, r.RSP, r.RBP)
		for _, f := range w.Stack(mem, r) {
			fmt.Fprintf(&b, "  %s\n", w.FrameString(f))
		}
	}
	return b.String()
}

// stackTops prints the first words on each vCPU's stack when it lies in
// the kernel's identity-mapped low memory: for a vCPU caught at an
// interrupt stub, the frame the CPU pushed (RIP, CS, RFLAGS, RSP, SS of
// what it interrupted).
func stackTops(c *qmp.Client, regs string) string {
	rs, err := qmp.ParseRegisters(regs)
	if err != nil {
		return ""
	}
	dir, err := os.MkdirTemp("", "gotoro-stack-")
	if err != nil {
		return ""
	}
	defer os.RemoveAll(dir)
	mem := physReader{c: c, file: filepath.Join(dir, "mem")}
	var b strings.Builder
	for _, r := range rs {
		if r.RSP == 0 || r.RSP >= 1<<32 {
			continue
		}
		w, err := mem.read(r.RSP, 48)
		if err != nil {
			continue
		}
		fmt.Fprintf(&b, "stack of CPU#%d at %#x:", r.CPU, r.RSP)
		for i := 0; i < 6; i++ {
			fmt.Fprintf(&b, " %#x", binary.LittleEndian.Uint64(w[8*i:]))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// summarizeRegs keeps the CPU headers and the RIP/RFL lines of a register
// dump.
func summarizeRegs(dump string) string {
	var b strings.Builder
	for _, l := range strings.Split(dump, "\n") {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "CPU#") || strings.HasPrefix(t, "RIP=") || strings.HasPrefix(t, "RSP=") || strings.Contains(t, " RSP=") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

func sortedKeys(m map[string]uint64) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
