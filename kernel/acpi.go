package kernel

// The CPU list comes from the ACPI MADT ("APIC" table) that QEMU builds for
// microvm (and Firecracker and Cloud Hypervisor for their guests): one
// Processor Local APIC (type 0) or Local x2APIC (type 9) entry per vCPU.
// The RSDP is found through hvm_start_info.rsdp_paddr, or by the classic
// scan of the BIOS area when the VMM leaves that field zero.

// madt is what the kernel takes from the MADT.
var madt struct {
	napic   int
	apicIDs [maxCPUs]uint32 // enabled processors, in table order
	extra   int             // enabled processors beyond maxCPUs (ignored)
	ioapic  uint64          // first I/O APIC's address, 0 if none
	found   bool
	// fromScan: the RSDP came from the BIOS-area scan, not hvm_start_info.
	fromScan bool
}

// acpiInit parses the MADT. Without one the machine runs on the boot CPU.
func acpiInit(si *hvmStartInfo) {
	rsdp := uintptr(si.rsdpPaddr)
	madt.fromScan = false
	if rsdp == 0 || !validRSDP(rsdp) {
		rsdp = scanRSDP()
		madt.fromScan = true
	}
	if rsdp == 0 {
		return
	}
	t := findTable(rsdp, "APIC")
	if t == 0 {
		return
	}
	parseMADT(t)
}

func sum8(p, n uintptr) uint8 {
	s := uint8(0)
	for i := uintptr(0); i < n; i++ {
		s += *(*uint8)(ptr(p + i))
	}
	return s
}

func sigIs(p uintptr, sig string) bool {
	for i := 0; i < len(sig); i++ {
		if *(*byte)(ptr(p + uintptr(i))) != sig[i] {
			return false
		}
	}
	return true
}

func validRSDP(p uintptr) bool { return sigIs(p, "RSD PTR ") && sum8(p, 20) == 0 }

// scanRSDP looks for the RSDP on 16-byte boundaries in 0xE0000–0xFFFFF.
func scanRSDP() uintptr {
	for p := uintptr(0xE0000); p < 0x100000; p += 16 {
		if validRSDP(p) {
			return p
		}
	}
	return 0
}

// findTable returns the address of the ACPI table with signature sig
// through the XSDT (ACPI 2+) or the RSDT.
func findTable(rsdp uintptr, sig string) uintptr {
	rev := *(*uint8)(ptr(rsdp + 15))
	root, entSize := uintptr(*(*uint32)(ptr(rsdp + 16))), uintptr(4)
	if rev >= 2 {
		if x := uintptr(*(*uint64)(ptr(rsdp + 24))); x != 0 && x < identityLimit {
			root, entSize = x, 8
		}
	}
	if root == 0 || root >= identityLimit {
		return 0
	}
	n := uintptr(*(*uint32)(ptr(root + 4)))
	if n < 36 || sum8(root, n) != 0 {
		return 0
	}
	for p := root + 36; p+entSize <= root+n; p += entSize {
		var t uintptr
		if entSize == 8 {
			t = uintptr(*(*uint64)(ptr(p)))
		} else {
			t = uintptr(*(*uint32)(ptr(p)))
		}
		if t != 0 && t < identityLimit && sigIs(t, sig) {
			if l := uintptr(*(*uint32)(ptr(t + 4))); l >= 36 && sum8(t, l) == 0 {
				return t
			}
		}
	}
	return 0
}

// parseMADT records the enabled processors' APIC IDs and the I/O APIC.
func parseMADT(t uintptr) {
	end := t + uintptr(*(*uint32)(ptr(t + 4)))
	for p := t + 44; p+2 <= end; {
		typ, l := *(*uint8)(ptr(p)), uintptr(*(*uint8)(ptr(p + 1)))
		if l < 2 || p+l > end {
			break
		}
		switch {
		case typ == 0 && l >= 8:
			if *(*uint32)(ptr(p + 4))&1 != 0 {
				madtAddCPU(uint32(*(*uint8)(ptr(p + 3))))
			}
		case typ == 9 && l >= 16:
			if *(*uint32)(ptr(p + 8))&1 != 0 {
				madtAddCPU(*(*uint32)(ptr(p + 4)))
			}
		case typ == 1 && l >= 12 && madt.ioapic == 0:
			madt.ioapic = uint64(*(*uint32)(ptr(p + 4)))
		}
		p += l
	}
	madt.found = true
}

func madtAddCPU(id uint32) {
	for i := 0; i < madt.napic; i++ {
		if madt.apicIDs[i] == id {
			return
		}
	}
	if madt.napic == len(madt.apicIDs) {
		madt.extra++
		return
	}
	madt.apicIDs[madt.napic] = id
	madt.napic++
}
