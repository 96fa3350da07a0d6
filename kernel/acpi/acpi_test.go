package acpi

import (
	"encoding/binary"
	"syscall"
	"testing"
	"unsafe"

	"github.com/gotoro/gotoro/internal/bootabi"
)

// arena is memory for hand-built ACPI tables, at a fixed address so the
// tests can place tables below 4 GiB (the RSDT holds 32-bit addresses).
type arena struct {
	mem  []byte
	base uintptr
	next uintptr
}

// newArena maps size bytes at addr (below 4 GiB, for the RSDT) or, with
// addr 0, wherever the kernel likes.
func newArena(t *testing.T, addr, size uintptr) *arena {
	t.Helper()
	flags := uintptr(syscall.MAP_ANON | syscall.MAP_PRIVATE)
	if addr != 0 {
		flags |= 0x100000 // MAP_FIXED_NOREPLACE
	}
	p, _, errno := syscall.Syscall6(syscall.SYS_MMAP, addr, size, syscall.PROT_READ|syscall.PROT_WRITE, flags, ^uintptr(0), 0)
	if errno != 0 || (addr != 0 && p != addr) {
		t.Skipf("mmap at %#x: %v", addr, errno)
	}
	t.Cleanup(func() { syscall.Syscall(syscall.SYS_MUNMAP, p, size, 0) })
	return &arena{mem: unsafe.Slice((*byte)(ptr(p)), size), base: p}
}

// put copies b into the arena at a 16-byte boundary and returns its address.
func (a *arena) put(b []byte) uintptr {
	off := (a.next + 15) &^ 15
	copy(a.mem[off:], b)
	a.next = off + uintptr(len(b))
	return a.base + off
}

// checksum sets b[at] so that b's bytes sum to 0.
func checksum(b []byte, at int) []byte {
	b[at] = 0
	var s uint8
	for _, c := range b {
		s += c
	}
	b[at] = -s
	return b
}

// sdt builds a system description table: the 36-byte header, then body.
func sdt(sig string, body []byte) []byte {
	b := make([]byte, 36+len(body))
	copy(b, sig)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(b)))
	b[8] = 1
	copy(b[10:], "GOTORO")
	copy(b[36:], body)
	return checksum(b, 9)
}

// madtBody is the MADT after its header: the local APIC address and flags,
// then entries.
func madtBody(entries ...[]byte) []byte {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint32(b, 0xFEE00000)
	for _, e := range entries {
		b = append(b, e...)
	}
	return b
}

func lapicEntry(id uint8, enabled bool) []byte {
	e := []byte{0, 8, id, id, 0, 0, 0, 0}
	if enabled {
		e[4] = 1
	}
	return e
}

func x2apicEntry(id uint32, enabled bool) []byte {
	e := make([]byte, 16)
	e[0], e[1] = 9, 16
	binary.LittleEndian.PutUint32(e[4:], id)
	if enabled {
		e[8] = 1
	}
	return e
}

func ioapicEntry(addr uint32) []byte {
	e := make([]byte, 12)
	e[0], e[1] = 1, 12
	binary.LittleEndian.PutUint32(e[4:], addr)
	return e
}

// rsdp builds an RSDP of revision rev pointing at rsdt and xsdt.
func rsdp(rev uint8, rsdt uint32, xsdt uint64) []byte {
	b := make([]byte, 36)
	copy(b, "RSD PTR ")
	copy(b[9:], "GOTORO")
	b[15] = rev
	binary.LittleEndian.PutUint32(b[16:], rsdt)
	binary.LittleEndian.PutUint32(b[20:], 36)
	binary.LittleEndian.PutUint64(b[24:], xsdt)
	checksum(b[:20], 8)
	return checksum(b, 32)
}

// withXSDT lays out RSDP (revision 2) → XSDT → tables and returns the
// RSDP's address.
func withXSDT(a *arena, tables ...[]byte) uintptr {
	var body []byte
	for _, tb := range tables {
		body = binary.LittleEndian.AppendUint64(body, uint64(a.put(tb)))
	}
	x := a.put(sdt("XSDT", body))
	return a.put(rsdp(2, 0, uint64(x)))
}

const noLimit = ^uintptr(0)

func TestReadMADT(t *testing.T) {
	a := newArena(t, 0, 1<<16)
	good := sdt("APIC", madtBody(
		lapicEntry(0, true),
		lapicEntry(1, false), // disabled: not a CPU
		ioapicEntry(0xFEC00000),
		ioapicEntry(0xFEC10000), // only the first I/O APIC is recorded
		lapicEntry(2, true),
		x2apicEntry(300, true),
		x2apicEntry(2, true),                        // the same processor twice
		[]byte{5, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, // an entry type the kernel skips
	))
	var m MADT
	ReadMADT(&m, withXSDT(a, sdt("FACP", make([]byte, 80)), good), noLimit)
	if !m.Found || m.FromScan {
		t.Fatalf("Found=%v FromScan=%v, want a MADT through the given RSDP", m.Found, m.FromScan)
	}
	if want := []uint32{0, 2, 300}; m.NumAPIC != len(want) || [3]uint32(m.APICIDs[:3]) != [3]uint32(want) || m.Extra != 0 {
		t.Errorf("APIC IDs %v (%d, extra %d), want %v", m.APICIDs[:m.NumAPIC], m.NumAPIC, m.Extra, want)
	}
	if m.IOAPIC != 0xFEC00000 {
		t.Errorf("IOAPIC = %#x, want 0xFEC00000", m.IOAPIC)
	}
}

func TestReadMADTTooManyCPUs(t *testing.T) {
	a := newArena(t, 0, 1<<16)
	var es [][]byte
	for i := 0; i < bootabi.MaxCPUs+3; i++ {
		es = append(es, lapicEntry(uint8(i), true))
	}
	var m MADT
	ReadMADT(&m, withXSDT(a, sdt("APIC", madtBody(es...))), noLimit)
	if m.NumAPIC != bootabi.MaxCPUs || m.Extra != 3 {
		t.Errorf("NumAPIC=%d Extra=%d, want %d and 3", m.NumAPIC, m.Extra, bootabi.MaxCPUs)
	}
	for i := 0; i < m.NumAPIC; i++ {
		if m.APICIDs[i] != uint32(i) {
			t.Fatalf("APICIDs[%d] = %d, want table order", i, m.APICIDs[i])
		}
	}
}

// TestReadMADTRejects: tables a VMM (or memory corruption) gets wrong are
// ignored, never followed out of bounds.
func TestReadMADTRejects(t *testing.T) {
	bad := sdt("APIC", madtBody(lapicEntry(0, true), lapicEntry(1, true)))
	bad[40]++ // checksum broken
	zeroLen := sdt("APIC", madtBody(lapicEntry(0, true), []byte{0, 0, 0, 0}, lapicEntry(1, true)))
	overrun := sdt("APIC", madtBody(lapicEntry(0, true), []byte{9, 200, 0, 0}))
	for _, tc := range []struct {
		name    string
		table   []byte
		limit   func(a *arena) uintptr
		found   bool
		numAPIC int
	}{
		{"bad checksum", bad, nil, false, 0},
		{"zero-length entry stops the walk", zeroLen, nil, true, 1},
		{"entry past the table's end", overrun, nil, true, 1},
		{"tables above the limit", sdt("APIC", madtBody(lapicEntry(0, true))), func(a *arena) uintptr { return a.base + 1 }, false, 0},
		{"no MADT", sdt("HPET", make([]byte, 20)), nil, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newArena(t, 0, 1<<16)
			p := withXSDT(a, tc.table)
			limit := noLimit
			if tc.limit != nil {
				// The tables lie above the limit, the RSDP is given.
				limit = tc.limit(a)
				if !validRSDP(p) {
					t.Fatal("test RSDP invalid")
				}
				if x := findTable(p, "APIC", limit); x != 0 {
					t.Fatalf("findTable returned %#x above the limit", x)
				}
				return
			}
			var m MADT
			ReadMADT(&m, p, limit)
			if m.Found != tc.found || m.NumAPIC != tc.numAPIC {
				t.Errorf("Found=%v NumAPIC=%d, want %v and %d", m.Found, m.NumAPIC, tc.found, tc.numAPIC)
			}
		})
	}
}

// TestReadMADTRSDT: an ACPI 1.0 RSDP (revision 0) leads through the RSDT,
// whose entries are 32-bit addresses.
func TestReadMADTRSDT(t *testing.T) {
	a := newArena(t, 0x3000_0000, 1<<16)
	m1 := a.put(sdt("APIC", madtBody(lapicEntry(4, true), lapicEntry(5, true))))
	var body []byte
	body = binary.LittleEndian.AppendUint32(body, uint32(m1))
	r := a.put(sdt("RSDT", body))
	p := a.put(rsdp(0, uint32(r), 0))
	var m MADT
	ReadMADT(&m, p, 1<<32)
	if !m.Found || m.NumAPIC != 2 || m.APICIDs[0] != 4 || m.APICIDs[1] != 5 {
		t.Errorf("Found=%v IDs=%v, want [4 5]", m.Found, m.APICIDs[:m.NumAPIC])
	}
}

// TestProbeTables: with one vCPU the kernel only checks that the VMM
// gave ACPI tables (for the power button) and reads no table; ReadMADT
// records the same.
func TestProbeTables(t *testing.T) {
	a := newArena(t, 0, 1<<16)
	p := withXSDT(a, sdt("APIC", madtBody(lapicEntry(0, true), lapicEntry(1, true))))
	m := MADT{NumAPIC: 7, Found: true}
	if got := ProbeTables(&m, p, noLimit); got != p {
		t.Errorf("ProbeTables returned %#x, want the RSDP %#x", got, p)
	}
	if !m.Tables || m.FromScan || m.Found || m.NumAPIC != 0 {
		t.Errorf("after ProbeTables %+v, want only Tables set", m)
	}
	ReadMADT(&m, p, noLimit)
	if !m.Tables || !m.Found || m.NumAPIC != 2 {
		t.Errorf("after ReadMADT Tables=%v Found=%v NumAPIC=%d, want true, true, 2", m.Tables, m.Found, m.NumAPIC)
	}
}

// TestRSDPSig checks the RSDP's signature as one word against its text.
func TestRSDPSig(t *testing.T) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], rsdpSig)
	if string(b[:]) != "RSD PTR " {
		t.Errorf("rsdpSig is %q, want \"RSD PTR \"", b[:])
	}
}
