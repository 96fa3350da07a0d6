package apic

// The I/O APICs route device interrupt lines (GSIs) to local-APIC vectors.
// QEMU microvm has one at 0xFEC00000 (GSIs 0–23) and, with its second I/O
// APIC (the default), another at 0xFEC10000 (GSIs 24–47), where it wires
// its virtio-mmio transports. Firecracker has only the first.

const (
	ioapicBase0  = 0xFEC00000
	ioapicBase1  = 0xFEC10000
	ioapicPins   = 24
	ioapicRegSel = 0x00
	ioapicRegWin = 0x10
	ioapicRedTbl = 0x10 // first redirection register
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

// ioapicPin returns the I/O APIC that serves gsi and its pin there; ok
// is false for a GSI beyond the two.
func ioapicPin(gsi uint32) (base uintptr, pin uint32, ok bool) {
	base, pin = ioapicBase0, gsi
	if gsi >= ioapicPins {
		base, pin = ioapicBase1, gsi-ioapicPins
	}
	return base, pin, pin < ioapicPins
}

// Route delivers gsi, edge-triggered and active high, as vector to the
// local APIC of the core that calls it (the boot CPU). It reports false
// for a GSI no I/O APIC serves, or one whose redirection entry did not
// take the vector (no I/O APIC at that address). It runs at boot.
//
//go:nosplit
func Route(gsi uint32, vector uint8) bool {
	base, pin, ok := ioapicPin(gsi)
	if !ok {
		return false
	}
	dest := SelfID()
	ioapicWrite(base, ioapicRedTbl+2*pin+1, dest<<24)
	ioapicWrite(base, ioapicRedTbl+2*pin, uint32(vector))
	return ioapicRead(base, ioapicRedTbl+2*pin)&0xff == uint32(vector)
}
