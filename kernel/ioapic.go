package kernel

// The I/O APICs route device interrupt lines (GSIs) to local-APIC vectors.
// QEMU microvm has one at 0xFEC00000 (GSIs 0–23) and, with its second I/O
// APIC (the default), another at 0xFEC10000 (GSIs 24–47), where it wires
// its virtio-mmio transports. Firecracker has only the first.

const (
	ioapicBase0   = 0xFEC00000
	ioapicBase1   = 0xFEC10000
	ioapicPins    = 24
	ioapicRegSel  = 0x00
	ioapicRegWin  = 0x10
	ioapicRedTbl  = 0x10 // first redirection register
	ioapicMasked  = 1 << 16
	ioapicLevel   = 1 << 15
	ioapicLowActv = 1 << 13
)

//go:noinline
func ioapicWrite(base uintptr, reg, v uint32) {
	*(*uint32)(ptr(base + ioapicRegSel)) = reg
	*(*uint32)(ptr(base + ioapicRegWin)) = v
}

//go:noinline
func ioapicRead(base uintptr, reg uint32) uint32 {
	*(*uint32)(ptr(base + ioapicRegSel)) = reg
	return *(*uint32)(ptr(base + ioapicRegWin))
}

// ioapicRoute delivers gsi, edge-triggered and active high, as vector to
// the boot CPU's local APIC. It reports false for a GSI no I/O APIC serves.
func ioapicRoute(gsi uint32, vector uint8) bool {
	base := uintptr(ioapicBase0)
	pin := gsi
	if gsi >= ioapicPins {
		base, pin = ioapicBase1, gsi-ioapicPins
	}
	if pin >= ioapicPins {
		return false
	}
	dest := lapicRead(lapicID) >> 24
	ioapicWrite(base, ioapicRedTbl+2*pin+1, dest<<24)
	ioapicWrite(base, ioapicRedTbl+2*pin, uint32(vector))
	return ioapicRead(base, ioapicRedTbl+2*pin)&0xff == uint32(vector)
}

// ioapicMask stops delivery of gsi.
func ioapicMask(gsi uint32) {
	base := uintptr(ioapicBase0)
	pin := gsi
	if gsi >= ioapicPins {
		base, pin = ioapicBase1, gsi-ioapicPins
	}
	if pin < ioapicPins {
		ioapicWrite(base, ioapicRedTbl+2*pin, ioapicMasked)
	}
}
