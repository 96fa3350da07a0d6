package kernel

// What TLB shootdowns cost (ktrace): each core counts the shootdowns it
// made, those of them that gave zero-page entries pages of their own
// (unshareZero), the cores it did not wait for because they were halted
// in the idle loop (ipi.go), and, with ktrace, how long it waited for the
// others' acknowledgements. Exit prints the sums with -ktrace
// (reportTLBStats).

// tlbStat is one core's shootdown counts.
type tlbStat struct {
	n      uint64 // shootdowns made
	zero   uint64 // of them, for zero-page unshares
	idle   uint64 // cores not waited for: halted in the idle loop
	waited uint64 // cores waited for
	waitNs int64  // time spent waiting (ktrace only)
}

// reportTLBStats prints the shootdowns all cores made, the zero-page
// unshares' part, and the mean wait.
func reportTLBStats() {
	var s tlbStat
	for i := 0; i < ncpu; i++ {
		c := &cpus[i].sched().tlb
		s.n += c.n
		s.zero += c.zero
		s.idle += c.idle
		s.waited += c.waited
		s.waitNs += c.waitNs
	}
	kprint("ktrace: ")
	kprintDec(s.n)
	kprint(" TLB shootdowns (")
	kprintDec(s.zero)
	kprint(" for zero-page unshares), ")
	kprintDec(s.waited)
	kprint(" cores waited for, ")
	kprintDec(s.idle)
	kprint(" idle cores not, waited ")
	kprintDec(uint64(s.waitNs / 1e6))
	kprint(" ms in all")
	if s.n != 0 {
		kprint(", ")
		kprintDec(uint64(s.waitNs / int64(s.n) / 1e3))
		kprint(" µs each")
	}
	kprint("\n")
}
