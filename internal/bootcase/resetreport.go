package bootcase

import (
	"bytes"
	"debug/elf"
	"fmt"
	"strings"
)

// The structured part of a reset's report, for a runner that decides from
// it (the KVM lane's classifier of L0's reset signatures): what the host
// recorded of the shutdown, the image's text and idle halt, and every
// check of ResetState that found something wrong or could not be made.

// ShutdownExit is the host's record of one vCPU's shutdown exit (the KVM
// lane: kvm:kvm_exit with SVM's shutdown reason): the guest's RIP as the
// exit left it and the event being delivered then (SVM's EXITINTINFO:
// bit 31 valid, bits 8-10 the type, bit 11 error code valid, bits 0-7
// the vector).
type ShutdownExit struct {
	VCPU      int
	RIP       uint64
	IntrInfo  uint64
	ErrorCode uint64
}

// HostReset is what the host knows of a guest's reset (Env.ResetInfo).
type HostReset struct {
	// Text is written into the reset's report as it is.
	Text string
	// Traced is set when the host could record shutdown exits at all;
	// Exits are the ones it recorded during the boot, in order.
	Traced bool
	Exits  []ShutdownExit
}

// ResetReport is what ResetState found of a guest stopped at a reset.
type ResetReport struct {
	// Text is the whole report for the log (Host.Text included).
	Text string
	// Host is what the host knew (Env.ResetInfo).
	Host HostReset
	// TextStart and TextEnd bound the image's .text section; IdleHLT is
	// the address of the idle loop's HLT (kernel.stiHlt's), 0 if the
	// image's symbols did not give it.
	TextStart, TextEnd uint64
	IdleHLT            uint64
	// Reinitialized lists the vCPUs found re-initialized (CS f000, RIP
	// fff0): under KVM, the one that shut down.
	Reinitialized []int
	// Problems lists every check that found a kernel table, stack or
	// mapping not as the kernel left it, and every check that could not
	// be made: no problem means every table was seen intact.
	Problems []string
	// Fetch holds, for the RIP of each of Host.Exits, what a walk of the
	// kernel's page tables found for an instruction fetch there: "" when
	// the page is mapped present, executable and to itself (the identity
	// map), else what is wrong.
	Fetch map[uint64]string
}

// InText reports whether addr lies in the image's .text section.
func (r *ResetReport) InText(addr uint64) bool {
	return r.TextEnd > r.TextStart && addr >= r.TextStart && addr < r.TextEnd
}

// problem records a failed check in r (its text already says it).
func (r *ResetReport) problem(format string, args ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

// idleHaltSym is the kernel's idle halt (kernel/percpu_amd64.s: STI; HLT).
const idleHaltSym = kernelPkg + "stiHlt"

// imageText returns the bounds of the image's .text section and the
// address of the HLT in kernel.stiHlt (the HLT right after its STI),
// read from the image's section headers and symbol table.
func imageText(image string) (start, end, hlt uint64, err error) {
	f, err := elf.Open(image)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("image text: %w", err)
	}
	defer f.Close()
	text := f.Section(".text")
	if text == nil {
		return 0, 0, 0, fmt.Errorf("image text: %s has no .text section", image)
	}
	start, end = text.Addr, text.Addr+text.Size
	syms, err := f.Symbols()
	if err != nil {
		return start, end, 0, fmt.Errorf("image symbols: %w", err)
	}
	for _, s := range syms {
		if s.Name != idleHaltSym && s.Name != idleHaltSym+".abi0" {
			continue
		}
		if s.Value < start || s.Value+s.Size > end || s.Size == 0 {
			return start, end, 0, fmt.Errorf("%s at %#x+%d is not in .text", s.Name, s.Value, s.Size)
		}
		code := make([]byte, s.Size)
		if _, err := text.ReadAt(code, int64(s.Value-start)); err != nil {
			return start, end, 0, fmt.Errorf("reading %s: %w", s.Name, err)
		}
		i := bytes.Index(code, []byte{0xFB, 0xF4}) // STI; HLT
		if i < 0 {
			return start, end, 0, fmt.Errorf("%s holds no STI; HLT: % x", s.Name, code)
		}
		return start, end, s.Value + uint64(i) + 1, nil
	}
	return start, end, 0, fmt.Errorf("no symbol %s in %s", idleHaltSym, image)
}

// Page-table entry bits (x86-64, 4-level paging).
const (
	ptePresent = 1 << 0
	ptePS      = 1 << 7
	pteNX      = 1 << 63
	pteAddr    = 0x000F_FFFF_FFFF_F000
)

// memReader reads guest physical memory.
type memReader interface {
	read(addr uint64, size int) ([]byte, error)
}

// walkFetch walks the page tables at root for an instruction fetch at va
// in ring 0 and returns "" when the page is present, executable (no NX
// bit on the way, with EFER.NXE set as the kernel sets it) and mapped to
// va itself, else what it found.
func walkFetch(mem memReader, root, va uint64) string {
	table := root & pteAddr
	var levels = [...]struct {
		name  string
		shift uint
	}{{"PML4", 39}, {"PDPT", 30}, {"PD", 21}, {"PT", 12}}
	for i, l := range levels {
		idx := (va >> l.shift) & 511
		b, err := mem.read(table+8*idx, 8)
		if err != nil {
			return fmt.Sprintf("%s entry %d at %#x unreadable: %v", l.name, idx, table+8*idx, err)
		}
		e := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
		if e&ptePresent == 0 {
			return fmt.Sprintf("not present (%s entry %d at %#x is %#x)", l.name, idx, table+8*idx, e)
		}
		if e&pteNX != 0 {
			return fmt.Sprintf("not executable (%s entry %d at %#x is %#x, NX)", l.name, idx, table+8*idx, e)
		}
		leaf := i == len(levels)-1 || (i > 0 && e&ptePS != 0)
		if !leaf {
			table = e & pteAddr
			continue
		}
		mask := uint64(1)<<l.shift - 1
		pa := e&pteAddr&^mask | va&mask
		if pa != va {
			return fmt.Sprintf("mapped to %#x, not to itself (%s entry %d is %#x)", pa, l.name, idx, e)
		}
		return ""
	}
	return "no leaf entry"
}

// describeFetch formats the fetch walks for the report.
func describeFetch(fetch map[uint64]string, exits []ShutdownExit) string {
	var b strings.Builder
	seen := map[uint64]bool{}
	for _, x := range exits {
		if seen[x.RIP] {
			continue
		}
		seen[x.RIP] = true
		what, ok := fetch[x.RIP]
		switch {
		case !ok:
			fmt.Fprintf(&b, "fetch at rip %#x: not walked\n", x.RIP)
		case what == "":
			fmt.Fprintf(&b, "fetch at rip %#x: page present, executable, identity-mapped\n", x.RIP)
		default:
			fmt.Fprintf(&b, "fetch at rip %#x: %s\n", x.RIP, what)
		}
	}
	return b.String()
}
