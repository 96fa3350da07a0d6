package kernel

import (
	"sync/atomic"

	"github.com/gotoro/gotoro/kernel/arch"
)

// rwSpin is a readers-writer spin lock for short critical sections of
// kernel code: any number of readers, or one writer. A writer announces
// itself before it waits for the readers to leave, and readers that come
// after wait for it, so a stream of readers (page faults on every core)
// cannot keep a writer (munmap) out. It is not reentrant: a reader must
// not take it again while it holds it (a writer may be waiting between
// the two). Like every spin loop in the kernel, the waits answer TLB
// shootdowns (spinWait).
type rwSpin struct {
	v uint32 // rwWriter | the number of readers
	_ [60]byte
}

// rwWriter is the bit of rwSpin.v that a writer holds or waits with.
const rwWriter = 1 << 31

// rlock takes l for reading; c is the running core (nil in hosted tests).
//
//go:nosplit
func (l *rwSpin) rlock(c *cpu) {
	for {
		s := atomic.LoadUint32(&l.v)
		if s&rwWriter == 0 && atomic.CompareAndSwapUint32(&l.v, s, s+1) {
			return
		}
		spinWait(c)
	}
}

// runlock releases a hold for reading.
func (l *rwSpin) runlock() { atomic.AddUint32(&l.v, ^uint32(0)) }

// lock takes l for writing: it claims the writer bit, then waits until the
// readers inside have left.
//
//go:nosplit
func (l *rwSpin) lock(c *cpu) {
	for {
		s := atomic.LoadUint32(&l.v)
		if s&rwWriter == 0 && atomic.CompareAndSwapUint32(&l.v, s, s|rwWriter) {
			break
		}
		spinWait(c)
	}
	for atomic.LoadUint32(&l.v) != rwWriter {
		spinWait(c)
	}
}

// unlock releases the hold for writing (no reader can have entered).
func (l *rwSpin) unlock() { atomic.StoreUint32(&l.v, 0) }

// spinWait is one turn of a spin loop on core c: a pause, and the TLB
// shootdown another core may be waiting for (c is nil in hosted tests,
// which have no TLB to flush).
func spinWait(c *cpu) {
	arch.Pause()
	if c != nil {
		tlbService(c)
	}
}
