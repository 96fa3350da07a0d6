package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gotoro/gotoro/host/qmp"
)

// provokeL1Reset makes the nested guest reset itself the way L0's
// emulation does now and then, to show the lane's recovery
// (l1reboot.go) end to end (-provoke-l1-reset): it clears L1's interrupt
// descriptor table through L0's gdbstub, as a vCPU that runs L1's own
// kernel sees it (a vCPU in a gotoro guest shows that guest's IDT, and
// clearing it would reset the guest, not L1). L1's next interrupt finds
// no gate, nor one for the fault that raises, nor for the double fault:
// a triple fault, which L0 logs as it logs the real ones. The stub
// writes guest RAM whatever L1's page protections say. It returns
// errNoL1CPU when no vCPU is in L1's kernel at the moment.
func provokeL1Reset(ctx context.Context, c *qmp.Client, work string, started *bool) error {
	regs, err := c.HMP("info registers -a")
	if err != nil {
		return fmt.Errorf("reading L1's registers: %w", err)
	}
	cpu, base, limit, err := l1IDT(regs)
	if err != nil {
		return err
	}
	if !*started {
		if err := startGDBStub(c, gdbSocket(work)); err != nil {
			return err
		}
		*started = true
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	g, err := dialGDB(dctx, gdbSocket(work), 30*time.Second)
	cancel()
	if err != nil {
		return err
	}
	defer g.Close()
	if _, err := g.stopReason(); err != nil {
		return err
	}
	if err := g.selectCPU(cpu); err != nil {
		return fmt.Errorf("selecting vCPU %d: %w", cpu, err)
	}
	zero := make([]byte, gdbChunk)
	for a, end := base, base+limit+1; a < end; a += gdbChunk {
		if err := g.writeMem(a, zero[:min(gdbChunk, end-a)]); err != nil {
			g.detach()
			return fmt.Errorf("clearing L1's IDT at %#x (vCPU %d): %w", a, cpu, err)
		}
	}
	return g.detach()
}

// errNoL1CPU: every vCPU of L1 runs a gotoro guest at the moment.
var errNoL1CPU = errors.New("no vCPU of L1 is in L1's kernel now (all run a guest)")

// l1IDT returns the first vCPU in L0's "info registers -a" dump whose
// IDT ("IDT=     fffffe0000000000 00000fff") lies in the kernel half, L1's
// own, and that IDT's base and limit.
func l1IDT(regs string) (cpu int, base, limit uint64, err error) {
	found := false
	for _, l := range strings.Split(regs, "\n") {
		l = strings.TrimSpace(l)
		if n, ok := vcpuHeader(l, cpu); ok {
			cpu = n
			continue
		}
		rest, ok := strings.CutPrefix(l, "IDT=")
		if !ok {
			continue
		}
		found = true
		f := strings.Fields(rest)
		if len(f) != 2 {
			continue
		}
		b, err1 := strconv.ParseUint(f[0], 16, 64)
		n, err2 := strconv.ParseUint(f[1], 16, 64)
		if err1 == nil && err2 == nil && b >= kernelHalf && n > 0 && n <= 0xfff {
			return cpu, b, n, nil
		}
	}
	if found {
		return 0, 0, 0, errNoL1CPU
	}
	return 0, 0, 0, fmt.Errorf("no IDT in L1's registers (QEMU's info registers -a said %q)", short(regs))
}
