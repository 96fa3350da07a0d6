package bootcase

import (
	"encoding/binary"
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestParseDescRegs reads the register dump of a real reset (the KVM
// lane, 2026-12-07, fresh-memory: coordinator's notes laneB1.log): vCPU 0
// still in the kernel, vCPU 1 re-initialized by KVM and dumped in 32-bit
// form (EIP, not RIP), which the report once took for a vCPU with a
// foreign IDT.
func TestParseDescRegs(t *testing.T) {
	b, err := os.ReadFile("testdata/reset-regs-freshmem.txt")
	if err != nil {
		t.Fatal(err)
	}
	got := parseDescRegs(string(b))
	want := []descRegs{
		{cpu: 0, idt: 0x408ce0, idtLimit: 0xfff, cr3: 0xf27000},
		{cpu: 1, reset: true, idt: 0, idtLimit: 0xffff},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("parseDescRegs = %+v, want %+v", got, want)
	}
}

// fakeMem is guest physical memory made of 8-byte words.
type fakeMem map[uint64]uint64

func (m fakeMem) read(addr uint64, size int) ([]byte, error) {
	if size != 8 || addr%8 != 0 {
		return nil, fmt.Errorf("read %#x+%d", addr, size)
	}
	v, ok := m[addr]
	if !ok {
		return nil, fmt.Errorf("no memory at %#x", addr)
	}
	return binary.LittleEndian.AppendUint64(nil, v), nil
}

func TestWalkFetch(t *testing.T) {
	const (
		root = 0x10000
		pdpt = 0x11000
		pd   = 0x12000
		pt   = 0x13000
		p, w = ptePresent, 1 << 1
	)
	// The kernel's identity map as 2 MiB pages for the first 4 MiB, a
	// page table for 4-6 MiB; what a test changes is added to it.
	base := func() fakeMem {
		m := fakeMem{}
		for i := uint64(0); i < 512; i++ {
			m[root+8*i], m[pdpt+8*i], m[pd+8*i], m[pt+8*i] = 0, 0, 0, 0
		}
		m[root] = pdpt | p | w
		m[pdpt] = pd | p | w
		m[pd] = 0 | p | w | ptePS
		m[pd+8] = 0x200000 | p | w | ptePS
		m[pd+16] = pt | p | w
		for i := uint64(0); i < 512; i++ {
			m[pt+8*i] = (0x400000 + i<<12) | p | w
		}
		return m
	}
	tests := []struct {
		name   string
		va     uint64
		change func(fakeMem)
		want   string // "" or a part of the answer
	}{
		{"2 MiB page of text", 0x22d414, nil, ""},
		{"4 KiB page", 0x401234, nil, ""},
		{"page not present", 0x401234, func(m fakeMem) { m[pt+8] = 0 }, "not present (PT entry 1"},
		{"directory not present", 0x22d414, func(m fakeMem) { m[pd+8] = 0 }, "not present (PD entry 1"},
		{"no-execute on the way", 0x22d414, func(m fakeMem) { m[pdpt] |= pteNX }, "not executable (PDPT entry 0"},
		{"mapped elsewhere", 0x401234, func(m fakeMem) { m[pt+8] = 0x900000 | p }, "mapped to 0x900234, not to itself"},
		{"outside the tables", 0x7f0000000000, nil, "not present (PML4 entry 254"},
		{"unreadable table", 0x22d414, func(m fakeMem) { m[pdpt] = 0x77000 | p }, "unreadable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := base()
			if tt.change != nil {
				tt.change(m)
			}
			got := walkFetch(m, root|0x18, tt.va) // CR3's low bits are flags
			if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
				t.Errorf("walkFetch(%#x) = %q, want %q", tt.va, got, tt.want)
			}
		})
	}
}
