package kernel

import "github.com/gotoro/gotoro/internal/bootabi"

// The report of a kernel stack overflow: a page fault in the guard page
// below a kernel stack (kstack.go). Whatever overflowed, the fault is an
// exception taken in kernel code, so it arrives on the core's exceptions
// interrupt stack (istExcept) and kintr calls stackOverflow before its
// generic report. When the exceptions' stack itself overflowed, the CPU
// starts the #PF handler again at the top of that same stack: the
// overflowing handler's newest frames (at the bottom) are intact, its
// oldest (at the top) are overwritten, so the report's backtrace shows
// the overflowing code and stops where the handler's frames begin. The
// handler never returns there, so nothing reads the lost frames.

// Which kind of kernel stack a guard page lies under (guardOwner).
const (
	guardNone   = iota
	guardThread // a thread's kernel stack: n is its tid
	guardIdle   // core's idle stack
	guardPool   // a pool block no thread or core holds (n: its index)
	guardIST    // core's interrupt stack n (1-based)
	guardBoot   // the boot stack, core 0's idle stack
)

// istNames describes the interrupt stacks by IST index (desc.go).
var istNames = [istStacks + 1]string{"", "external interrupts", "exceptions", "double fault, NMI, machine check"}

// guardOwner returns the stack whose guard page holds addr: its kind and,
// by kind, the core and a number (guardNone if addr is in no guard page).
func guardOwner(addr uintptr) (kind, core, n int) {
	if b := kstackPool.base; addr >= b && addr < b+uintptr(kstackPool.n)*kstackSlot {
		if (addr-b)%kstackSlot >= pageSize {
			return guardNone, 0, 0
		}
		i := int((addr - b) / kstackSlot)
		stack := kstackAt(i)
		for c := range cpus {
			if cpus[c].idleStack == stack {
				return guardIdle, c, 0
			}
		}
		for j := range threads {
			if threads[j].kstack == stack {
				return guardThread, 0, int(threads[j].tid())
			}
		}
		return guardPool, 0, i
	}
	if b := istAreaBase(); addr >= b && addr < b+maxCPUs*istCoreSize {
		if (addr-b)%istSlot >= pageSize {
			return guardNone, 0, 0
		}
		return guardIST, int((addr - b) / istCoreSize), int((addr-b)%istCoreSize/istSlot) + 1
	}
	if g := bootStackGuard(); addr >= g && addr < g+pageSize {
		return guardBoot, 0, 0
	}
	return guardNone, 0, 0
}

// stackOverflow stops the machine with a kernel stack overflow report if
// addr, the address of a page fault in kernel code, lies in a guard
// page; otherwise it returns.
func stackOverflow(f *trapFrame, addr uintptr) {
	kind, core, n := guardOwner(addr)
	if kind == guardNone {
		return
	}
	kprint("\n" + bootabi.FaultMarker + ": kernel stack overflow: ")
	switch kind {
	case guardThread:
		kprint("the kernel stack of thread ")
		kprintDec(uint64(n))
	case guardIdle:
		kprint("the idle stack of core ")
		kprintDec(uint64(core))
	case guardPool:
		kprint("kernel stack ")
		kprintDec(uint64(n))
		kprint(" of the pool (no thread holds it)")
	case guardIST:
		kprint("interrupt stack IST ")
		kprintDec(uint64(n))
		kprint(" (")
		kprint(istNames[n])
		kprint(") of core ")
		kprintDec(uint64(core))
	case guardBoot:
		kprint("the boot stack (core 0's idle stack)")
	}
	kprint(", guard page hit at ")
	kprintHex(uint64(addr))
	kprint(" on core ")
	kprintDec(uint64(thisCPU().id))
	kprint("\n")
	fatalStop(f)
}
