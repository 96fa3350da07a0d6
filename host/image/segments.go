package image

import (
	"cmp"
	"debug/elf"
	"fmt"
	"slices"

	"github.com/gotoro/gotoro/internal/bootabi"
)

// checkNoOverlap makes sure the kernel can map every read-only PT_LOAD
// segment (no PF_W) read-only with whole pages: it rounds each such
// segment out to pages (kernel/imagero.go), so no page of it may hold a
// writable segment's memory. The Go linker starts every segment on a page
// of its own; an image from another linker script could share one.
func checkNoOverlap(progs []*elf.Prog) error {
	span := func(p *elf.Prog) (uint64, uint64) {
		return p.Vaddr &^ (pageSize - 1), alignUp(p.Vaddr+p.Memsz, pageSize)
	}
	for _, ro := range progs {
		if ro.Type != elf.PT_LOAD || ro.Flags&elf.PF_W != 0 {
			continue
		}
		rs, re := span(ro)
		for _, rw := range progs {
			if rw.Type != elf.PT_LOAD || rw.Flags&elf.PF_W == 0 {
				continue
			}
			if ws, we := span(rw); ws < re && rs < we {
				return fmt.Errorf("the read-only segment at %#x and the writable one at %#x share a page: the kernel maps read-only segments in whole pages", ro.Vaddr, rw.Vaddr)
			}
		}
	}
	return nil
}

// readOnlyEnd returns the end of the read-only PT_LOAD segments that start
// at bootabi.ImageBase and follow one another (page-rounded): the ELF
// headers with text, then rodata. The kernel maps [ImageBase, end)
// read-only (kernel/imagero.go). A read-only segment elsewhere is an
// error: the kernel would leave it writable.
func readOnlyEnd(progs []*elf.Prog) (uint64, error) {
	var loads []*elf.Prog
	for _, p := range progs {
		if p.Type == elf.PT_LOAD {
			loads = append(loads, p)
		}
	}
	slices.SortFunc(loads, func(a, b *elf.Prog) int { return cmp.Compare(a.Vaddr, b.Vaddr) })
	end := uint64(bootabi.ImageBase)
	for _, p := range loads {
		if p.Flags&elf.PF_W != 0 {
			continue
		}
		if p.Vaddr&^(pageSize-1) != end {
			return 0, fmt.Errorf("the read-only segment at %#x does not follow the one before it (ending at %#x): the kernel maps only those from %#x read-only", p.Vaddr, end, bootabi.ImageBase)
		}
		end = alignUp(p.Vaddr+p.Memsz, pageSize)
	}
	return end, nil
}
