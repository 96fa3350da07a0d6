//go:build gotoro

package main

// lapicReaders reads the local APIC ID the two architectural ways: the
// xAPIC register at 0xFEE00020 (memory-mapped) and the x2APIC ID MSR 0x802
// (only when the local APIC runs in x2APIC mode), plus CPUID leaf 1.
func lapicReaders() []idReader {
	x2 := rdmsr(0x1B)&(1<<10) != 0
	return []idReader{
		{name: "xAPIC-MMIO", read: func() int { return int(xapicID()) }, ok: func() bool { return !x2 }, why: "local APIC in x2APIC mode"},
		{name: "x2APIC-MSR", read: func() int { return int(rdmsr(0x802)) }, ok: func() bool { return x2 }, why: "local APIC in xAPIC mode; QEMU 7.2 TCG has no x2APIC"},
		{name: "CPUID.1", read: func() int { return int(cpuidAPICID()) }, ok: func() bool { return true }},
	}
}

func xapicID() uint32
func rdmsr(msr uint32) uint64
func cpuidAPICID() uint32
