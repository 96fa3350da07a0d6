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
// and never goes back. The breakpoint is debug register 2, shared with
// the boot trace, which catches the same address (boottrace.go).
var snapPoint struct {
	addr    uint64 // main.main's entry; 0 when not asked for
	reached atomic.Uint32
}

// snapshotInit records the snapshot point's address if on.
func snapshotInit(on bool, bb *bootabi.BootBlock) {
	if on {
		snapPoint.addr = bb.MainMain
	}
}

// mainBreak returns the address breakpoint 2 catches (main.main's entry)
// when the boot trace or the snapshot point wants it, else 0.
func mainBreak() uint64 {
	if bootTrace.on && bootTrace.mainMain != 0 {
		return bootTrace.mainMain
	}
	return snapPoint.addr
}

// snapshotWait runs in the debug exception at main.main, interrupts off:
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
