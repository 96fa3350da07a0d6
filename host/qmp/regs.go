package qmp

import (
	"fmt"
	"strconv"
	"strings"
)

// Regs are the registers of one vCPU that a stack walk needs.
type Regs struct {
	CPU           int // the vCPU index (CPU#N in QEMU's dump)
	RIP, RSP, RBP uint64
	Halted        bool // the vCPU is in HLT (idle)
}

// Registers returns the registers of every vCPU, from one
// "info registers -a" dump.
func (c *Client) Registers() ([]Regs, error) {
	out, err := c.HMP("info registers -a")
	if err != nil {
		return nil, err
	}
	return ParseRegisters(out)
}

// ParseRegisters parses the x86-64 register dump of QEMU's
// "info registers" or "info registers -a" (CPU#N headers, then lines of
// NAME=HEX fields). It needs RIP, RSP and RBP (EIP, ESP, EBP outside long mode)
// for every CPU.
func ParseRegisters(dump string) ([]Regs, error) {
	var all []Regs
	var cur *Regs
	var seen int
	finish := func() error {
		if cur != nil && seen != 7 {
			return fmt.Errorf("register dump of CPU#%d lacks RIP, RSP or RBP", cur.CPU)
		}
		return nil
	}
	for _, line := range strings.Split(dump, "\n") {
		line = strings.TrimSpace(strings.TrimSuffix(line, "\r"))
		if rest, ok := strings.CutPrefix(line, "CPU#"); ok {
			if err := finish(); err != nil {
				return nil, err
			}
			n, err := strconv.Atoi(strings.Fields(rest + " ")[0])
			if err != nil {
				return nil, fmt.Errorf("register dump: bad CPU header %q", line)
			}
			all = append(all, Regs{CPU: n})
			cur, seen = &all[len(all)-1], 0
			continue
		}
		if cur == nil {
			if strings.HasPrefix(line, "RAX=") || strings.HasPrefix(line, "EAX=") {
				// A single-CPU dump has no header.
				all = append(all, Regs{})
				cur, seen = &all[0], 0
			} else {
				continue
			}
		}
		for _, f := range strings.Fields(line) {
			name, val, ok := strings.Cut(f, "=")
			if !ok {
				continue
			}
			var bit int
			switch name {
			// A vCPU not in long mode (an AP still halted at reset) is
			// dumped with 32-bit names.
			case "RIP", "EIP":
				bit = 1
			case "RSP", "ESP":
				bit = 2
			case "RBP", "EBP":
				bit = 4
			case "HLT":
				cur.Halted = val == "1"
				continue
			default:
				continue
			}
			v, err := strconv.ParseUint(val, 16, 64)
			if err != nil {
				return nil, fmt.Errorf("register dump: CPU#%d: bad %s value %q", cur.CPU, name, val)
			}
			switch bit {
			case 1:
				cur.RIP = v
			case 2:
				cur.RSP = v
			case 4:
				cur.RBP = v
			}
			seen |= bit
		}
	}
	if err := finish(); err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("register dump has no CPU: %.80q", dump)
	}
	return all, nil
}
