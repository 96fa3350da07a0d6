package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gotoro/gotoro/host/qmp"
)

// L1's local APICs, for the question a lost wake-up of L1 leaves open
// (docs/kvm.md, "Recovering the lost wake-up"): did L0 lose an interrupt?
// A vCPU of L1 halted with interrupts on and a vector pending in its IRR
// above its processor priority is one L0 should have woken and did not;
// one with nothing pending never had the wake-up reach its APIC (the
// sender's IPI lost on the way, or never sent).

// lapicState is one vCPU's local APIC in L0's "info lapic" dump.
type lapicState struct {
	IRR, ISR []int // vectors pending, in service
	TPR, PPR int
	Timer    string // the LVTT line after its value: mode, mask, vector
	Enabled  bool   // SPIV's software enable
}

// parseLAPIC reads QEMU's "info lapic" dump (target/i386's format: one
// "NAME\t VALUE…" line per register, IRR and ISR as vector numbers or
// "(none)", then "APR … TPR 0x.. … PPR 0x..").
func parseLAPIC(dump string) (lapicState, error) {
	var l lapicState
	seen := 0
	for _, line := range strings.Split(dump, "\n") {
		line = strings.TrimSpace(line)
		name, rest, _ := strings.Cut(line, "\t")
		rest = strings.TrimSpace(rest)
		switch name {
		case "IRR", "ISR":
			var vs []int
			for _, f := range strings.Fields(rest) {
				if f == "(none)" {
					break
				}
				n, err := strconv.Atoi(strings.TrimSuffix(f, "(level)"))
				if err != nil {
					return l, fmt.Errorf("info lapic: %s %q", name, rest)
				}
				vs = append(vs, n)
			}
			if name == "IRR" {
				l.IRR = vs
			} else {
				l.ISR = vs
			}
			seen++
		case "LVTT":
			if _, mode, ok := strings.Cut(rest, " "); ok {
				l.Timer = strings.Join(strings.Fields(mode), " ")
			}
		case "SPIV":
			l.Enabled = strings.Contains(rest, "APIC enabled")
		}
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "APR" {
			for i := 0; i+1 < len(f); i += 2 {
				v, err := strconv.ParseInt(strings.TrimPrefix(f[i+1], "0x"), 16, 32)
				if err != nil {
					continue
				}
				switch f[i] {
				case "TPR":
					l.TPR = int(v)
				case "PPR":
					l.PPR = int(v)
				}
			}
			seen++
		}
	}
	if seen < 3 {
		return l, fmt.Errorf("info lapic: no IRR, ISR and priority lines in %q", short(dump))
	}
	return l, nil
}

// lapicVerdict says what a vCPU of L1 and its local APIC, looked at
// together, show about an interrupt it should be taking.
func lapicVerdict(v vcpuSample, l lapicState) string {
	vecs := func(vs []int) string {
		if len(vs) == 0 {
			return "none"
		}
		var s []string
		for _, x := range vs {
			s = append(s, fmt.Sprintf("%#x", x))
		}
		return strings.Join(s, " ")
	}
	state := fmt.Sprintf("IRR %s, ISR %s, TPR %#x, PPR %#x, timer %s", vecs(l.IRR), vecs(l.ISR), l.TPR, l.PPR, l.Timer)
	// The highest pending vector is delivered when its priority class
	// (bits 4-7) is above the processor priority's.
	deliverable := -1
	for _, x := range l.IRR {
		if x>>4 > l.PPR>>4 && x > deliverable {
			deliverable = x
		}
	}
	switch {
	case !v.Halted:
		return fmt.Sprintf("running at %#x (IF=%v); %s", v.RIP, b2i(v.IF), state)
	case !v.IF:
		return fmt.Sprintf("halted with interrupts off; %s", state)
	case deliverable >= 0:
		return fmt.Sprintf("halted with interrupts on and vector %#x pending above PPR: an interrupt L0 holds and does not deliver; %s", deliverable, state)
	case len(l.IRR) > 0:
		return fmt.Sprintf("halted with interrupts on, pending vectors at or below PPR (waiting for an EOI); %s", state)
	default:
		return fmt.Sprintf("halted with interrupts on, nothing pending: no wake-up reached its APIC; %s", state)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// lookAtLAPICs reads every vCPU's registers and local APIC through L0's
// monitor and returns both as dumped (for the file of the silent L1's
// register samples, kept as l1-wakeup-N.txt or l1-lockup-N.txt) and one
// verdict line per vCPU (lapicVerdict).
func lookAtLAPICs(c *qmp.Client) (dump string, verdicts []string) {
	regs, err := c.HMP("info registers -a")
	if err != nil {
		return "", []string{"info registers: " + err.Error()}
	}
	var all strings.Builder
	fmt.Fprintf(&all, "=== registers and local APICs at %s\n%s\n", time.Now().Format(time.RFC3339Nano), regs)
	for _, v := range parseVCPUs(regs) {
		// The argument is an APIC ID; L1's are its CPU numbers.
		lapic, err := c.HMP(fmt.Sprintf("info lapic %d", v.CPU))
		if err != nil {
			verdicts = append(verdicts, fmt.Sprintf("L1 CPU %d: info lapic: %v", v.CPU, err))
			continue
		}
		fmt.Fprintf(&all, "local APIC of CPU#%d:\n%s\n", v.CPU, lapic)
		l, err := parseLAPIC(lapic)
		if err != nil {
			verdicts = append(verdicts, fmt.Sprintf("L1 CPU %d: %v", v.CPU, err))
			continue
		}
		verdicts = append(verdicts, fmt.Sprintf("L1 CPU %d: %s", v.CPU, lapicVerdict(v, l)))
	}
	return all.String(), verdicts
}

// appendFile appends s to the file name.
func appendFile(name, s string) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	_, err = f.WriteString(s)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
