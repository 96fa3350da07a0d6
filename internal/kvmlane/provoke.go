package main

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gotoro/gotoro/host/qmp"
	"golang.org/x/sys/unix"
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
	g, err := stopL1CPU(ctx, c, work, started, cpu)
	if err != nil {
		return err
	}
	defer g.Close()
	zero := make([]byte, gdbChunk)
	for a, end := base, base+limit+1; a < end; a += gdbChunk {
		if err := g.writeMem(a, zero[:min(gdbChunk, end-a)]); err != nil {
			g.detach()
			return fmt.Errorf("clearing L1's IDT at %#x (vCPU %d): %w", a, cpu, err)
		}
	}
	return g.detach()
}

// stopL1CPU stops L1 through L0's gdbstub (starting the stub on first
// use, *started) and selects vCPU cpu; the caller closes the client
// after detaching.
func stopL1CPU(ctx context.Context, c *qmp.Client, work string, started *bool, cpu int) (*gdbClient, error) {
	if !*started {
		if err := startGDBStub(c, gdbSocket(work)); err != nil {
			return nil, err
		}
		*started = true
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	g, err := dialGDB(dctx, gdbSocket(work), 30*time.Second)
	cancel()
	if err != nil {
		return nil, err
	}
	if _, err := g.stopReason(); err != nil {
		g.Close()
		return nil, err
	}
	if err := g.selectCPU(cpu); err != nil {
		g.Close()
		return nil, fmt.Errorf("selecting vCPU %d: %w", cpu, err)
	}
	return g, nil
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

// provokeLostWakeup makes the last CPU of the nested guest (cpu) take
// no interrupt any more, the state L1's lost wake-up shows
// (lostwake.go), to show the lane's recovery end to end
// (-provoke-lost-wakeup): through L0's gdbstub it clears the interrupt
// flag of that vCPU while it halts in L1's idle loop. It then halts for
// good: no IPI and no tick wakes it (an NMI would). Linux 6.1 queues a
// task woken onto an idle CPU on that CPU's wake list and lets the CPU
// activate it, so the stopped CPU keeps looking idle and takes in every
// task woken there, none of which runs: L1's runner keeps its own
// threads off that CPU (ProvokeLostWakeup in its config; stopping CPU
// 0 or 3 without that stopped the whole of L1, runner and heartbeat
// included, 2026-12-07 22:05-22:20), while a gotoro guest's vCPU
// threads, kernel threads and the rest may land there. It is a fault
// injection: it makes the symptom, not the unknown fault of L0 behind
// the real ones, and not necessarily the real one's whole picture (in
// the CI of 5f91a30 only the vCPU thread was caught). It returns
// errNoL1CPU while that vCPU is not halted in L1's kernel.
func provokeLostWakeup(ctx context.Context, c *qmp.Client, work string, started *bool, cpu int) error {
	regs, err := c.HMP("info registers -a")
	if err != nil {
		return fmt.Errorf("reading L1's registers: %w", err)
	}
	if !idleL1(parseVCPUs(regs), cpu) {
		return errNoL1CPU
	}
	g, err := stopL1CPU(ctx, c, work, started, cpu)
	if err != nil {
		return err
	}
	defer g.Close()
	err = clearIF(g)
	if derr := g.detach(); err == nil {
		err = derr
	}
	if err != nil {
		return fmt.Errorf("vCPU %d: %w", cpu, err)
	}
	return nil
}

// idleL1 reports whether the vCPU cpu is halted in L1's kernel with
// interrupts on: in its idle loop.
func idleL1(vs []vcpuSample, cpu int) bool {
	for _, v := range vs {
		if v.CPU == cpu {
			return v.Halted && v.IF && v.CPL == 0 && v.RIP >= kernelHalf
		}
	}
	return false
}

// gdbEflags is eflags' number in QEMU's x86-64 register layout for its
// gdbstub (16 general registers, rip, then eflags, 32 bits).
const gdbEflags = 0x11

// clearIF clears the interrupt flag of the selected vCPU. QEMU's stub
// answers the single-register packets (p, P) only to a debugger that
// has read its target description, so that is read first.
func clearIF(g *gdbClient) error {
	if reply, err := g.command("qXfer:features:read:target.xml:0,400"); err != nil || reply == "" || (reply[0] != 'm' && reply[0] != 'l') {
		return fmt.Errorf("reading the target description: reply %q, %v", short(reply), err)
	}
	reply, err := g.command(fmt.Sprintf("p%x", gdbEflags))
	if err != nil {
		return fmt.Errorf("reading eflags: %w", err)
	}
	b, err := hex.DecodeString(reply)
	if err != nil || len(b) != 4 {
		return fmt.Errorf("reading eflags: reply %q is not 4 hex bytes", short(reply))
	}
	fl := binary.LittleEndian.Uint32(b) &^ (1 << 9)
	binary.LittleEndian.PutUint32(b, fl)
	return g.expectOK(fmt.Sprintf("P%x=%s", gdbEflags, hex.EncodeToString(b)))
}

// keepOffCPU keeps every thread of this process (in L1: the runner) off
// the CPU cpu, the one -provoke-lost-wakeup stops; threads made later
// inherit it. It returns how many threads it moved.
func keepOffCPU(cpu, ncpu int) (int, error) {
	var set unix.CPUSet
	for c := range ncpu {
		if c != cpu {
			set.Set(c)
		}
	}
	if set.Count() == 0 {
		return 0, fmt.Errorf("no CPU left besides CPU %d of %d", cpu, ncpu)
	}
	tids, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, t := range tids {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		if err := unix.SchedSetaffinity(tid, &set); err != nil {
			return n, fmt.Errorf("thread %d: %w", tid, err)
		}
		n++
	}
	return n, nil
}

// cpuTicks returns the count of local timer interrupts of the CPU cpu
// in /proc/interrupts's text ("LOC:  123  456 ...  Local timer
// interrupts").
func cpuTicks(interrupts string, cpu int) (uint64, bool) {
	for _, l := range strings.Split(interrupts, "\n") {
		f := strings.Fields(l)
		if len(f) < cpu+2 || f[0] != "LOC:" {
			continue
		}
		n, err := strconv.ParseUint(f[cpu+1], 10, 64)
		return n, err == nil
	}
	return 0, false
}

// pinWhenStopped waits until the CPU cpu has taken no timer interrupt
// for two seconds (L1 ticks every 4 ms with nohz=off): the host has
// stopped it (-provoke-lost-wakeup). Then it pins the guests' QEMU
// threads to it, every second from then on (pinGuests), and says so.
func pinWhenStopped(cpu int) {
	var last uint64
	same := 0
	for same < 2 {
		time.Sleep(time.Second)
		b, err := os.ReadFile("/proc/interrupts")
		if err != nil {
			fmt.Printf("%s -provoke-lost-wakeup: %v\n", markInfo, err)
			return
		}
		n, ok := cpuTicks(string(b), cpu)
		if ok && n == last {
			same++
		} else {
			same = 0
		}
		last = n
	}
	fmt.Printf("%s -provoke-lost-wakeup: CPU %d has taken no timer interrupt for 2s (%d in all); pinning the guests' QEMU threads to it from now on\n", markInfo, cpu, last)
	for {
		pinGuests(cpu)
		time.Sleep(time.Second)
	}
}

// pinGuests pins every thread of the gotoro guests' QEMUs to the CPU
// cpu, the one -provoke-lost-wakeup stopped. Left free, they did not
// stay lost there: L1's load balancing pulled the woken threads to the
// other CPUs, and wake/cpus=2 passed in 118 s instead of 25-34
// (2026-12-07 22:22); the real lost wake-up held its thread for 12
// minutes, which a thread queued behind a stopped CPU's idle task would
// not be. Pinned before the CPU stopped, they kept it busy, and the
// host found it halted only after the case (22:27).
func pinGuests(cpu int) {
	var set unix.CPUSet
	set.Set(cpu)
	tasks, _ := filepath.Glob("/proc/[0-9]*/task/[0-9]*/stat")
	for _, p := range tasks {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		comm, _, ok := taskState(string(b))
		if !ok || !strings.HasPrefix(comm, "qemu-system") {
			continue
		}
		if tid, err := strconv.Atoi(filepath.Base(filepath.Dir(p))); err == nil {
			unix.SchedSetaffinity(tid, &set)
		}
	}
}
