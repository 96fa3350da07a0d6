package vhostuser

import (
	"fmt"
	"syscall"
)

// Region is one range of guest memory as a memory table describes it.
type Region struct {
	GuestAddr  uint64 // guest-physical address
	Size       uint64
	UserAddr   uint64 // the frontend's virtual address of the range
	MmapOffset uint64 // offset of the range in its file
}

// mapped is a Region mapped into this process.
type mapped struct {
	Region
	whole []byte // the mapping, from file offset 0
	mem   []byte // the region: whole[MmapOffset:]
}

// Memory is the guest memory shared by the frontend, mapped into this
// process. Descriptor addresses are guest-physical; ring addresses are
// the frontend's virtual addresses.
type Memory struct {
	regions []mapped
}

// MapMemory maps regions, one file descriptor each (fds[i] for
// regions[i]). It does not close the descriptors.
func MapMemory(regions []Region, fds []int) (*Memory, error) {
	if len(regions) != len(fds) {
		return nil, fmt.Errorf("memory table has %d regions but %d file descriptors", len(regions), len(fds))
	}
	m := &Memory{}
	for i, r := range regions {
		if r.Size == 0 || r.Size > 1<<40 || r.MmapOffset > 1<<40 {
			m.Close()
			return nil, fmt.Errorf("memory region %d: bad size %#x or offset %#x", i, r.Size, r.MmapOffset)
		}
		whole, err := syscall.Mmap(fds[i], 0, int(r.Size+r.MmapOffset), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
		if err != nil {
			m.Close()
			return nil, fmt.Errorf("mapping memory region %d (%#x bytes at guest %#x): %w", i, r.Size, r.GuestAddr, err)
		}
		m.regions = append(m.regions, mapped{Region: r, whole: whole, mem: whole[r.MmapOffset:]})
	}
	return m, nil
}

// Close unmaps the memory. Nothing may use slices from it afterwards.
func (m *Memory) Close() {
	if m == nil {
		return
	}
	for _, r := range m.regions {
		syscall.Munmap(r.whole)
	}
	m.regions = nil
}

// Slice returns the n bytes of guest memory at guest-physical address
// gpa. The range must lie inside one region.
func (m *Memory) Slice(gpa uint64, n uint32) ([]byte, error) {
	for _, r := range m.regions {
		if gpa >= r.GuestAddr && gpa-r.GuestAddr < r.Size {
			off := gpa - r.GuestAddr
			if uint64(n) > r.Size-off {
				break
			}
			return r.mem[off : off+uint64(n) : off+uint64(n)], nil
		}
	}
	return nil, fmt.Errorf("guest range %#x+%#x is outside guest memory", gpa, n)
}

// guestAddr translates a frontend virtual address into a guest-physical
// one.
func (m *Memory) guestAddr(uva uint64) (uint64, error) {
	for _, r := range m.regions {
		if uva >= r.UserAddr && uva-r.UserAddr < r.Size {
			return r.GuestAddr + (uva - r.UserAddr), nil
		}
	}
	return 0, fmt.Errorf("frontend address %#x is outside guest memory", uva)
}
