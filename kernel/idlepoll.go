package kernel

import (
	"sync/atomic"

	"github.com/gotoro/gotoro/kernel/arch"
	"github.com/gotoro/gotoro/kernel/ktime"
)

// A short poll before the idle halt.
//
// A thread woken from another core reaches this core's inbox, and the
// waker sends an IPI to bring the core out of HLT. Under QEMU, leaving
// HLT is the slow part of a cross-core wake-up: the vCPU's host thread
// sleeps and must be woken and scheduled by the host (under TCG, or a
// KVM exit and entry). So a core with nothing to run first watches its
// inbox for a little while (idlePollNs) before it halts, with the flag
// polling set; a waker that sees the flag skips the IPI, and the woken
// thread runs without either core leaving the guest.
//
// The poll is bounded: it ends at idlePollNs, or at the core's next timer
// deadline if that comes first, and it costs at most that much host CPU
// per halt. Interrupts stay off while it runs (kernel code never takes
// them), so a device interrupt that arrives meanwhile waits at most
// idlePollNs, until the halt. The poll counts as idle time. Cmdline
// idlepoll=N sets the bound in µs; idlepoll=0 turns the poll off.
//
// The hand-off cannot be lost: the waker publishes the thread on the
// inbox with a compare-and-swap and then reads polling; the core clears
// polling with an exchange and then reads the inbox. Both are full
// fences, so either the waker sees polling still set (and the core then
// sees the thread) or the core's clearing came first and the waker sends
// the IPI, which the halt takes as before.

// idlePollNs bounds the poll before the idle halt, in ns (0: no poll).
var idlePollNs int64 = defaultIdlePollUs * 1000

// defaultIdlePollUs is idlePollNs's default, in µs.
const defaultIdlePollUs = 50

// maxIdlePollUs bounds the cmdline's idlepoll.
const maxIdlePollUs = 10_000

// idlePoll watches c's inbox until something arrives, until idlePollNs has
// passed, or until the core's timer deadline, and reports whether a
// thread arrived.
func idlePoll(c *cpu, now int64) bool {
	if idlePollNs == 0 || ncpu == 1 {
		return false
	}
	end := now + idlePollNs
	if d := c.sched().timerArmed; d != 0 && d < end {
		end = d
	}
	atomic.StoreUint32(&c.polling, 1)
	for atomic.LoadInt32(&c.sched().inbox) == 0 && now < end {
		arch.Pause()
		tlbService(c)
		now = ktime.Now()
	}
	atomic.SwapUint32(&c.polling, 0) // a full fence before the inbox is read
	return atomic.LoadInt32(&c.sched().inbox) != 0
}

// setIdlePoll applies cmdline idlepoll=N (µs).
func setIdlePoll(raw string) {
	us := parseUint(raw)
	if raw != "0" && us == 0 || us > maxIdlePollUs {
		kprint("kernel: idlepoll=")
		kprint(raw)
		kprint(" ignored (want 0 to ")
		kprintDec(maxIdlePollUs)
		kprint(" µs)\n")
		return
	}
	idlePollNs = int64(us) * 1000
}
