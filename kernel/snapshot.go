package kernel

import (
	"sync/atomic"

	"github.com/gotoro/gotoro/internal/bootabi"
	"github.com/gotoro/gotoro/kernel/arch"
	"github.com/gotoro/gotoro/kernel/ktime"
)

// The snapshot point (snapshot=1; bootabi/snapshot.go, docs/boot.md): the
// program stops at the entry of main.main, after the Go runtime's start-up
// and the package initializations, and waits there for the host, which
// saves the machine while it waits (QEMU migration to a file). A machine
// restored from that file is in the same wait. Either way the host ends
// it with a line on the serial console's input that carries its wall
// clock: a restored machine would otherwise keep the time at which the
// snapshot was taken. Monotonic time is not touched: QEMU restores the
// TSC (and kvmclock) where they were, so it continues from the snapshot
// and never goes back.
//
// The stop is a software breakpoint: at boot, before the other cores and
// the Go runtime start, the kernel replaces the first byte of main.main
// with INT3 (0xCC). That is one store, before the kernel maps the
// image's text read-only (protectImage, in memInit); the core that runs it
// next does so after the serializing instructions of its start (the
// first thread's IRET, an application processor's mode switches), and
// x86 keeps a core's instruction fetch coherent with its own stores, so
// no fetched copy of the old byte survives. At the trap (vector 3, the
// instruction pointer one past the INT3) the kernel puts the original
// byte back (CR0.WP cleared for that store: writeCodeByte) and rewinds the instruction pointer before it waits, so the
// machine saved during the wait, and every machine restored from it,
// returns (IRET, serializing) into main.main's real first instruction:
// a second snapshot of a restored machine or a stack walk sees the real
// code. A debug register would be simpler but depends on the
// hypervisor's emulation of the debug registers: under the nested KVM
// lane, DR2 at main.main did not fire in 7 of 29 saving boots
// (docs/boot.md).
var snapPoint struct {
	addr    uint64 // main.main's entry; 0 when not asked for
	orig    byte   // the byte the INT3 replaced
	reached atomic.Uint32
}

// int3 is the one-byte breakpoint instruction.
const int3 = 0xCC

// snapshotInit plants the snapshot point's breakpoint if on. It runs on
// the boot core before any other core or the Go runtime starts.
func snapshotInit(on bool, bb *bootabi.BootBlock) {
	if !on || bb.MainMain == 0 {
		return
	}
	snapPoint.addr = bb.MainMain
	snapPoint.orig = plantBreak((*byte)(ptr(uintptr(bb.MainMain))))
}

// plantBreak writes INT3 at code p and returns the byte it replaced.
func plantBreak(p *byte) byte {
	orig := *p
	*p = int3
	return orig
}

// snapshotTrap handles a breakpoint exception (vector 3) and reports
// whether it was the snapshot point's; the others are the program's
// (SIGTRAP). For the snapshot point it restores main.main's first byte
// from code, rewinds the instruction pointer to it and waits for the
// host (snapshotWait) before the trap returns into main.main.
func snapshotTrap(f *trapFrame) bool {
	if !snapshotUnplant(f, snapPoint.addr, snapPoint.orig, (*byte)(ptr(uintptr(snapPoint.addr))), writeCodeByte) {
		return false
	}
	snapshotWait()
	return true
}

// snapshotUnplant is snapshotTrap's check and repair, apart for the
// hosted tests: if the frame's instruction pointer is one past addr (an
// INT3 there trapped) and code (addr's byte) still holds the INT3, it
// puts orig back with store (the code is read-only: writeCodeByte), sets
// the instruction pointer to addr and reports true.
func snapshotUnplant(f *trapFrame, addr uint64, orig byte, code *byte, store func(*byte, byte)) bool {
	if addr == 0 || f.rip != addr+1 || *code != int3 {
		return false
	}
	store(code, orig)
	f.rip = addr
	return true
}

// snapshotWait runs in the breakpoint exception at main.main, interrupts off:
// it tells the host, then polls the serial console's receiver for the
// resume line and sets the wall clock from it. Lines that are not a
// resume line are dropped. Only the first core to get here waits.
func snapshotWait() {
	if snapPoint.addr == 0 || !snapPoint.reached.CompareAndSwap(0, 1) {
		return
	}
	kprint(bootabi.SnapshotMarker)
	var line [64]byte
	n := 0
	for {
		if arch.Inb(com1+5)&lsrDR == 0 {
			arch.Pause()
			continue
		}
		c := arch.Inb(com1)
		if c != '\n' {
			if n < len(line) {
				line[n] = c
			}
			n++
			continue
		}
		if wall, ok := parseResume(line[:min(n, len(line))]); ok && n <= len(line) {
			ktime.SetWallClock(wall)
			// Without RDRAND the kernel's generator is a TSC-seeded
			// xorshift, whose state is the snapshot's in every run
			// started from it: stir in the host's clock. (The Go
			// runtime's own seeds stay the snapshot's: docs/boot.md.)
			rng.state ^= uint64(wall) * 0x9E3779B97F4A7C15
			return
		}
		n = 0
	}
}

// parseResume parses a resume line without its '\n': ResumePrefix and the
// host's wall clock in decimal ns.
func parseResume(b []byte) (int64, bool) {
	p := bootabi.ResumePrefix
	if len(b) <= len(p) || len(b) > len(p)+19 {
		return 0, false
	}
	for i := 0; i < len(p); i++ {
		if b[i] != p[i] {
			return 0, false
		}
	}
	v := int64(0)
	for _, c := range b[len(p):] {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, v != 0
}
