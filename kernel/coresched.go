package kernel

// coreSched is one core's scheduler state: its run queue and inbox, the
// threads placed on it, its timer deadline and time slice, idle
// accounting, the idle loop's counters, the description pinned by an
// unlocked read or write, and wake-up statistics. It is kept apart from
// the cpu struct, in scheds indexed by the core number (as kernel/mm
// keeps its per-core pools), so that cpu holds only what the assembly and
// the low layers read (docs/next.md, issue 15, "Subsystem packages" 5).
// Only this core changes most fields; the ones other cores touch (inbox,
// nthreads, pinned, the idle times /proc reads) are atomic.
type coreSched struct {
	runq runQueue
	// inbox is the head (thread index + 1) of a lock-free list of threads
	// other cores made runnable here; only this core takes them off.
	inbox    int32
	nthreads int32 // threads placed on this core (for clone placement)

	idleNs int64 // time halted in the idle loop (atomic; /proc/stat)
	// idleSince is when the current halt began, 0 while not halted
	// (atomic): /proc counts a halt in progress as idle time.
	idleSince int64
	// busyShown and idleShown are the largest busy and idle times /proc
	// has reported for this core (atomic), so that its figures never go
	// back when a reader races with the end of a halt.
	busyShown  int64
	idleShown  int64
	timerArmed int64 // deadline (ns) the local timer is programmed for, 0 if none
	sliceEnd   int64 // when the running thread's time slice ends
	// hltShadowed counts interrupts taken between the idle loop's STI and
	// HLT (idle.go).
	hltShadowed  uint64
	hltShadowVec uint64 // the vector of the last of them
	// doubleDelivered counts interrupts delivered a second time at the
	// entry of their own handler, over the idle halt's frame (idle.go).
	doubleDelivered uint64

	// switchedAt is when the running thread (or the idle context) was
	// switched in, for CPU time accounting (sched.go).
	switchedAt int64

	// pinned is the description (index + 1) an unlocked read or write on
	// this core is using, 0 if none (fdPin).
	pinned int32

	// hltLeftAt is when the core last left its idle halt, and wakeStats
	// its cross-core wake-ups by path (wakestat.go, ktrace only).
	hltLeftAt int64
	wakeStats [wakePathsNum]wakeStat

	// tlb counts the TLB shootdowns this core made (tlbstat.go).
	tlb tlbStat

	// One cache line of room, so that no two cores' fields share a line.
	_ [64]byte
}

// scheds holds each core's scheduler state, indexed by core number.
var scheds [maxCPUs]coreSched

// sched returns core c's scheduler state.
// c.id is below maxCPUs; the modulo (a mask, maxCPUs being a power of
// two) spares the index check at each inlined use.
func (c *cpu) sched() *coreSched { return &scheds[uint64(c.id)%maxCPUs] }
