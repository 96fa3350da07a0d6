package kernel

import (
	"sync/atomic"
	"unsafe"

	"github.com/gotoro/gotoro/kernel/acpi"
	"github.com/gotoro/gotoro/kernel/apic"
	"github.com/gotoro/gotoro/kernel/arch"
	"github.com/gotoro/gotoro/kernel/ktime"
	"github.com/gotoro/gotoro/kernel/mm"
)

// Starting the application processors. The boot CPU finds the vCPUs in the
// MADT, copies the trampoline (trampoline.go) to a free page below 1 MiB and
// starts each AP in turn with INIT, SIPI, SIPI. Each AP loads its own GDT,
// TSS and GS base (setupCPU), enables its local APIC and enters its idle
// loop; from then on it runs its own instance of the scheduler.

// madt is what the boot CPU read from the ACPI MADT (acpi.ReadMADT in
// kmain, or only acpi.ProbeTables when the host says there is one vCPU):
// the processors to start, and whether the machine has ACPI tables at all
// (ged.go routes the power button only then).
var madt acpi.MADT

// apBoot is the hand-off from the boot CPU to the AP being started. APs
// start one at a time, so one slot is enough.
var apBoot struct {
	cpu    int     // index in cpus of the AP now starting
	fsBase uintptr // its initial FS base (idle TLS)
}

// apStartTimeoutNs bounds the wait for one AP to come up. An AP normally
// starts within a millisecond; the bound is generous because under TCG on
// a loaded host a vCPU thread can wait long for a host CPU.
const apStartTimeoutNs = 2_000_000_000

// startAPs starts every enabled processor of the MADT other than the boot
// CPU. It must run before mm.GuardLowMemory unmaps the trampoline page. It
// returns the number of cores running.
//
//go:nosplit
func startAPs(si *hvmStartInfo, cmdline uintptr, cmdlineLen uintptr) int {
	bsp := apic.SelfID()
	cpus[0].apicID = bsp
	n := 1
	if madt.NumAPIC <= 1 {
		return n
	}
	page := trampolinePage(si, cmdline, cmdlineLen)
	if page == 0 {
		kprint("gotoro: no free page below 1 MiB for the AP trampoline; running on one core\n")
		return n
	}
	writeTrampoline(unsafeSlice(page, pageSize), uint32(page), uint32(mm.PML4()))
	*(*uint64)(ptr(page + trampEntry)) = uint64(apEntryAddr())
	hypervisor := cpuidHypervisor()
	for i := 0; i < madt.NumAPIC && n < maxCPUs; i++ {
		id := madt.APICIDs[i]
		if id == bsp {
			continue
		}
		c := &cpus[n]
		c.id = int64(n)
		c.apicID = id
		c.setCur(-1)
		stack := kstackAlloc()
		if stack == 0 {
			kprint("gotoro: no kernel stack for an AP\n")
			break
		}
		if guardISTs(n) != 0 {
			kprint("gotoro: no memory for the page tables of an AP's interrupt stack guards\n")
			kstackFree(stack)
			break
		}
		c.idleStack = stack
		c.idleKG.SetStack(stack, stack+kstackSize)
		c.idleTLS[0] = uintptr(unsafe.Pointer(&c.idleKG))
		apBoot.cpu = n
		apBoot.fsBase = uintptr(unsafe.Pointer(&c.idleTLS[1]))
		*(*uint64)(ptr(page + trampStack)) = uint64(stack + kstackSize)
		if !startAP(id, page, hypervisor, c) {
			// INIT puts the vCPU back into wait-for-SIPI, so that it
			// cannot run the trampoline later on a reused stack.
			apic.SendIPI(id, apic.ICRInit|apic.ICRAssert|apic.ICRLevel)
			spinNs(1_000_000)
			kprint("gotoro: a vCPU (APIC ID ")
			kprintDec(uint64(id))
			kprint(") did not start; running without it\n")
			c.id, c.apicID, c.idleStack = 0, 0, 0
			c.setCur(0)
			kstackFree(stack)
			continue
		}
		n++
	}
	return n
}

// startAP sends INIT, SIPI, SIPI to the AP with APIC ID id and waits until
// it reports itself online.
func startAP(id uint32, page uintptr, hypervisor bool, c *cpu) bool {
	apic.SendIPI(id, apic.ICRInit|apic.ICRAssert|apic.ICRLevel)
	if !hypervisor {
		spinNs(10_000_000) // the architectural INIT delay on real hardware
	}
	for try := 0; try < 2; try++ {
		apic.SendIPI(id, apic.ICRStartup|uint32(page>>12))
		deadline := ktime.Now() + apStartTimeoutNs
		if try == 0 {
			deadline = ktime.Now() + 10_000_000
		}
		for ktime.Now() < deadline {
			if atomic.LoadUint32(&c.online) != 0 {
				return true
			}
			arch.Pause()
		}
	}
	return atomic.LoadUint32(&c.online) != 0
}

// trampolinePage picks a 4 KiB page of RAM in [0x1000, 0xA0000) that holds
// none of the boot information still needed.
func trampolinePage(si *hvmStartInfo, cmdline, cmdlineLen uintptr) uintptr {
	ents := si.memmap()
	busy := [...][2]uintptr{
		{startInfoPA, startInfoPA + unsafe.Sizeof(hvmStartInfo{})},
		{cmdline, cmdline + cmdlineLen + 1},
		{uintptr(si.memmapPaddr), uintptr(si.memmapPaddr) + uintptr(si.memmapEntries)*unsafe.Sizeof(mm.MemmapEntry{})},
		{uintptr(si.modlistPaddr), uintptr(si.modlistPaddr) + 64},
	}
	for p := uintptr(0x9F000); p >= 0x1000; p -= pageSize {
		ram := false
		for _, e := range ents {
			if e.Type == mm.MemmapRAM && uintptr(e.Addr) <= p && p+pageSize <= uintptr(e.Addr+e.Size) {
				ram = true
				break
			}
		}
		if !ram {
			continue
		}
		free := true
		for _, b := range busy {
			if b[0] != 0 && b[0] < p+pageSize && p < b[1] {
				free = false
				break
			}
		}
		if free {
			return p
		}
	}
	return 0
}

// apMain is where an AP's first Go code runs, on its idle stack.
func apMain() {
	c := &cpus[apBoot.cpu]
	setupCPU(c)
	c.kdepth = 1
	fpuInitCPU()
	ktime.InitCPU(c.id)
	bootTraceArm()
	apic.InitAP()
	atomic.StoreUint32(&c.online, 1)
	idleLoop()
}

// cpuidHypervisor reports whether CPUID says a hypervisor is present.
func cpuidHypervisor() bool {
	return arch.Features1()&(1<<31) != 0
}

// spinNs busy-waits for ns nanoseconds.
func spinNs(ns int64) {
	end := ktime.Now() + ns
	for ktime.Now() < end {
		arch.Pause()
	}
}

func apEntryAddr() uintptr
