package prof

import (
	"encoding/binary"
	"fmt"
)

// Memory reads guest virtual memory as vCPU cpu sees it.
type Memory interface {
	Read(cpu int, addr uint64, size int) ([]byte, error)
}

// pageSize is the unit in which the unwinder reads guest stacks: one read
// through the monitor costs about the same for 64 bytes as for 4 KiB, and
// reads never cross a page (whose neighbour may be unmapped).
const pageSize = 4096

// stackMem caches the guest pages one sample's walk has read.
type stackMem struct {
	m     Memory
	cpu   int
	pages map[uint64][]byte // page address -> contents; nil if unreadable
	reads int
}

func newStackMem(m Memory, cpu int) *stackMem {
	return &stackMem{m: m, cpu: cpu, pages: make(map[uint64][]byte)}
}

// word returns the 64-bit word at addr (8-byte aligned).
func (s *stackMem) word(addr uint64) (uint64, bool) {
	if addr&7 != 0 {
		return 0, false
	}
	base := addr &^ (pageSize - 1)
	p, ok := s.pages[base]
	if !ok {
		b, err := s.m.Read(s.cpu, base, pageSize)
		s.reads++
		if err == nil && len(b) == pageSize {
			p = b
		}
		s.pages[base] = p
	}
	if p == nil {
		return 0, false
	}
	return binary.LittleEndian.Uint64(p[addr-base:]), true
}

// Frame is one frame of a sampled stack.
type Frame struct {
	// PC is the address to symbolize: the sampled instruction for the
	// innermost frame, and one byte before the return address for callers
	// (so it lies in the call instruction). 0 for a pseudo-frame.
	PC uint64
	// Kernel names a pseudo-frame: how the kernel was entered, or idle.
	Kernel string
}

func (f Frame) String() string {
	if f.Kernel != "" {
		return f.Kernel
	}
	return fmt.Sprintf("%#x", f.PC)
}
