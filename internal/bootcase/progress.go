package bootcase

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"time"

	"github.com/gotoro/gotoro/host/qmp"
)

// A guest that prints nothing for its Stall is cut as hung, unless its
// kernel proves it is still moving: the count of TLB shootdowns it has
// made (kernel.tlbGen) changed since the last look. A phase of a program
// that silently backs memory on every core (the faults case's, with one
// shootdown per 64 KiB of zero page unshared) costs tens of ms a
// shootdown under TCG on a loaded host, where each shootdown waits for
// every vCPU thread to be scheduled: it can print nothing for more than a
// minute while its cores, caught spinning in arch.Pause with interrupts
// off, move (docs/debugging.md). A deadlock, a lost wake-up or an idle
// guest makes no shootdowns and is cut at Stall as before; a livelock
// that keeps shooting down runs until Timeout.

// progressEvery is how often a silent guest's kernel is looked at.
const progressEvery = 5 * time.Second

// progressProbe reads kernel.tlbGen from a running guest through its QMP
// socket; the variable's address comes from the image's DWARF, once.
type progressProbe struct {
	monitor, image string
	addr           uint64
	broken         bool // no tlbGen in the image: never look again
}

// read returns tlbGen; ok is false if it could not be read.
func (p *progressProbe) read(ctx context.Context) (v uint64, ok bool) {
	if p.broken {
		return 0, false
	}
	if p.addr == 0 {
		syms, err := readSymbols(p.image)
		if err != nil {
			p.broken = true
			return 0, false
		}
		addr, size, err := syms.locate("tlbGen", 0, "")
		if err != nil || size != 8 {
			p.broken = true
			return 0, false
		}
		p.addr = addr
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, err := qmp.Dial(ctx, p.monitor)
	if err != nil {
		return 0, false
	}
	defer c.Close()
	dir, err := os.MkdirTemp("", "gotoro-progress-")
	if err != nil {
		return 0, false
	}
	defer os.RemoveAll(dir)
	b, err := physReader{c: c, file: filepath.Join(dir, "mem")}.read(p.addr, 8)
	if err != nil {
		return 0, false
	}
	return binary.LittleEndian.Uint64(b), true
}

// moveClock remembers when a counter of the guest last changed. The
// first value seen is the baseline, not a move.
type moveClock struct {
	last  uint64
	seen  bool
	moved time.Time // zero until a change was seen
}

// note records value v read at now and reports whether it changed.
func (m *moveClock) note(v uint64, now time.Time) bool {
	if !m.seen {
		m.last, m.seen = v, true
		return false
	}
	if v == m.last {
		return false
	}
	m.last, m.moved = v, now
	return true
}

// silence returns how long the guest has neither printed (console, its
// console's silence) nor moved, at now.
func (m *moveClock) silence(console time.Duration, now time.Time) time.Duration {
	if m.moved.IsZero() {
		return console
	}
	return min(console, now.Sub(m.moved))
}
