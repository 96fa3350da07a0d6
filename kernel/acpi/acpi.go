// Package acpi reads what the gotoro kernel needs from the ACPI tables a
// VMM builds: the MADT ("APIC" table) that QEMU builds for microvm (and
// Firecracker and Cloud Hypervisor for their guests), with one Processor
// Local APIC (type 0) or Local x2APIC (type 9) entry per vCPU and the
// I/O APICs (type 1). The RSDP is found through hvm_start_info.rsdp_paddr,
// or by the classic scan of the BIOS area when the VMM leaves that field
// zero.
//
// Tables are read in place through the kernel's identity map of physical
// memory. The package keeps no state (the caller owns the MADT it fills)
// and, like the rest of the kernel, allocates nothing and has no package
// initialisation.
package acpi

import (
	"unsafe"

	"github.com/gotoro/gotoro/internal/bootabi"
)

// MADT is what the kernel takes from the MADT.
type MADT struct {
	NumAPIC int                     // enabled processors recorded in APICIDs
	APICIDs [bootabi.MaxCPUs]uint32 // enabled processors, in table order
	Extra   int                     // enabled processors beyond MaxCPUs (ignored)
	IOAPIC  uint64                  // first I/O APIC's address, 0 if none
	Found   bool                    // the MADT was found and read
	// Tables: the VMM provides ACPI tables (a valid RSDP was found).
	Tables bool
	// FromScan: the RSDP came from the BIOS-area scan, not hvm_start_info.
	FromScan bool
}

// ReadMADT fills m from the MADT. rsdp is hvm_start_info's RSDP address
// (0 if the VMM gave none); only tables below limit (the end of the
// identity map) are read. Without a MADT m.Found stays false and the
// machine runs on the boot CPU.
func ReadMADT(m *MADT, rsdp, limit uintptr) {
	rsdp = ProbeTables(m, rsdp, limit)
	if rsdp == 0 {
		return
	}
	t := findTable(rsdp, "APIC", limit)
	if t == 0 {
		return
	}
	parseMADT(m, t)
}

// ProbeTables resets m and records whether the VMM provides ACPI tables
// (m.Tables, m.FromScan) without reading any: it returns the valid RSDP's
// address, or 0. The kernel calls it instead of ReadMADT when the host
// says the machine has one vCPU: the MADT then has nothing it needs (the
// processors are known, and the I/O APIC's address is fixed on the
// machines gotoro runs on), and walking it is only translated code under
// TCG.
//
//go:nosplit
func ProbeTables(m *MADT, rsdp, limit uintptr) uintptr {
	*m = MADT{}
	if rsdp == 0 || rsdp >= limit || !validRSDP(rsdp) {
		rsdp = scanRSDP()
		m.FromScan = true
	}
	m.Tables = rsdp != 0
	return rsdp
}

// ptr converts a physical address (identity-mapped, never the Go heap)
// into a pointer.
func ptr(p uintptr) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(&p))
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

// rsdpSig is the RSDP's signature, "RSD PTR ", as a little-endian word.
const rsdpSig = 0x2052545020445352

// validRSDP reports whether p holds an RSDP: its signature (one 8-byte
// compare where sigIs would test each byte: under QEMU's TCG each test
// is a block at boot) and the checksum of its first 20 bytes.
func validRSDP(p uintptr) bool {
	return *(*uint64)(ptr(p)) == rsdpSig && sum8(p, 20) == 0
}

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
func findTable(rsdp uintptr, sig string, limit uintptr) uintptr {
	rev := *(*uint8)(ptr(rsdp + 15))
	root, entSize := uintptr(*(*uint32)(ptr(rsdp + 16))), uintptr(4)
	if rev >= 2 {
		if x := uintptr(*(*uint64)(ptr(rsdp + 24))); x != 0 && x < limit {
			root, entSize = x, 8
		}
	}
	if root == 0 || root >= limit {
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
		if t != 0 && t < limit && sigIs(t, sig) {
			if l := uintptr(*(*uint32)(ptr(t + 4))); l >= 36 && sum8(t, l) == 0 {
				return t
			}
		}
	}
	return 0
}

// parseMADT records the enabled processors' APIC IDs and the I/O APIC.
func parseMADT(m *MADT, t uintptr) {
	end := t + uintptr(*(*uint32)(ptr(t + 4)))
	for p := t + 44; p+2 <= end; {
		typ, l := *(*uint8)(ptr(p)), uintptr(*(*uint8)(ptr(p + 1)))
		if l < 2 || p+l > end {
			break
		}
		switch {
		case typ == 0 && l >= 8:
			if *(*uint32)(ptr(p + 4))&1 != 0 {
				m.addCPU(uint32(*(*uint8)(ptr(p + 3))))
			}
		case typ == 9 && l >= 16:
			if *(*uint32)(ptr(p + 8))&1 != 0 {
				m.addCPU(*(*uint32)(ptr(p + 4)))
			}
		case typ == 1 && l >= 12 && m.IOAPIC == 0:
			m.IOAPIC = uint64(*(*uint32)(ptr(p + 4)))
		}
		p += l
	}
	m.Found = true
}

func (m *MADT) addCPU(id uint32) {
	for i := 0; i < m.NumAPIC; i++ {
		if m.APICIDs[i] == id {
			return
		}
	}
	if m.NumAPIC == len(m.APICIDs) {
		m.Extra++
		return
	}
	m.APICIDs[m.NumAPIC] = id
	m.NumAPIC++
}
