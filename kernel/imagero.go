package kernel

import (
	"github.com/gotoro/gotoro/internal/bootabi"
	"github.com/gotoro/gotoro/kernel/arch"
	"github.com/gotoro/gotoro/kernel/mm"
)

// The image's read-only memory. Every PT_LOAD segment of the image that
// its program header does not mark writable (PF_W) — the ELF headers with
// the boot block and text, the read-only data with the pcln table, the
// packed file tree — is mapped read-only at boot (protectImage), and
// CR0.WP (set by both trampolines) makes that bind ring 0, where the
// kernel and the program run. So a store into code or rodata faults at
// the culprit: the program gets SIGSEGV (SEGV_ACCERR, as on Linux; the
// runtime's "unexpected fault address" panic) after a line naming the
// address and what it hit (readOnlyWrite), and a system call given such a
// buffer to write answers EFAULT (userPhys, userPages.translate and
// userRange ask mm.DirectAccess). image.Patch reads the program headers
// and puts the end of the read-only segments from ImageBase in the boot
// block (it refuses an image where a read-only segment shares a page with
// a writable one or lies elsewhere); the fault report reads them where
// the first PT_LOAD loads them, at bootabi.ImageBase.
//
// What writes into the image's read-only memory: before protectImage,
// the PVH loader and the trampoline (the CPU sets the accessed bits of
// the boot GDT's descriptors, in the first page) and the snapshot point's
// breakpoint (bootExtraCPU runs before memInit); after it, only the
// snapshot point's removal, with CR0.WP cleared (snapshotTrap). The boot
// tests boot every feature with the protection on.

// ELF constants (the ELF-64 object file format).
const (
	elfPhoff   = 32 // e_phoff: where the program headers start
	elfPhnum   = 56 // e_phnum: how many there are
	elfPhdrLen = 56 // the size of a program header
	ptLoad     = 1  // p_type PT_LOAD
	pfX        = 1  // p_flags PF_X
	pfW        = 2  // p_flags PF_W
)

// protectImage maps the image's read-only memory read-only: from
// ImageBase to the end of its read-only segments (bb.ReadOnlyEnd, which
// image.Patch read from the program headers) and the packed file tree.
// It returns how many pages it could not protect for want of a page for
// a table (memInit checks it with the guard pages'). Boot code, before
// the other cores start; the caller reloads CR3. Two calls of
// mm.ReadOnly, which shares its loop with mm.Guard: under TCG, a handful
// of translated blocks.
//
//go:nosplit
func protectImage(bb *bootabi.BootBlock) int {
	files := uintptr(bb.FilesAddr)
	return mm.ReadOnly(bootabi.ImageBase, uintptr(bb.ReadOnlyEnd), 0) |
		mm.ReadOnly(files, (files+uintptr(bb.FilesSize)+pageSize-1)&^(pageSize-1), 0)
}

// roSeg is a read-only PT_LOAD segment of the image, page-rounded.
type roSeg struct {
	start, end uintptr
	exec, ok   bool
}

// imageSegment returns the read-only segment of the image that holds
// addr (ok false if none), from the program headers where the first
// PT_LOAD loads them: for the fault report, not at boot.
func imageSegment(addr uintptr) roSeg {
	phoff := *(*uint64)(ptr(bootabi.ImageBase + elfPhoff))
	n := uintptr(*(*uint16)(ptr(bootabi.ImageBase + elfPhnum)))
	ph := bootabi.ImageBase + uintptr(phoff)
	for i := uintptr(0); i < n; i++ {
		p := ph + i*elfPhdrLen
		typ, flags := *(*uint32)(ptr(p)), *(*uint32)(ptr(p + 4))
		va := uintptr(*(*uint64)(ptr(p + 16)))
		start := va &^ (pageSize - 1)
		end := (va + uintptr(*(*uint64)(ptr(p + 40))) + pageSize - 1) &^ (pageSize - 1)
		if typ == ptLoad && flags&pfW == 0 && addr >= start && addr < end {
			return roSeg{start, end, flags&pfX != 0, true}
		}
	}
	return roSeg{}
}

// readOnlyFault reports whether a page fault with error code err at addr
// is a write to the image's read-only memory.
func readOnlyFault(addr uintptr, err uint64) bool {
	return err&3 == 3 && addr < userMinAddr() && imageSegment(addr).ok
}

// readOnlyWrite prints what a write at addr by the code at pc hit, after
// the prefix the caller printed:
//
//	write to read-only memory at 0x22a3c0 (rodata) by the program at main.main+0x2f
//
// by names the writer ("the program", "the kernel").
func readOnlyWrite(by string, addr, pc uintptr) {
	kprint("write to read-only memory at ")
	kprintHex(uint64(addr))
	kprint(" (")
	kprint(readOnlyWhat(addr))
	if s := imageSegment(addr); s.ok && s.exec && addr >= bootabi.TextAddr {
		kprint(": ")
		printFuncOffset(addr)
	}
	kprint(") by ")
	kprint(by)
	kprint(" at ")
	printFuncOffset(pc)
	kprint("\n")
}

// readOnlyWhat names the part of the read-only image that holds addr.
func readOnlyWhat(addr uintptr) string {
	s := imageSegment(addr)
	switch {
	case !s.ok:
		return "not the image"
	case addr < bootabi.TextAddr:
		return "the ELF headers and boot block"
	case s.exec:
		return "text"
	case addr >= pclnAt.addr && addr < pclnAt.addr+pclnAt.size:
		return "rodata: the pcln table"
	case addr >= imageEnd:
		return "the packed file tree"
	}
	return "rodata"
}

// writeCodeByte stores b at the read-only code address p, with CR0.WP
// cleared for the store: the snapshot point's breakpoint. Interrupts are
// off in the kernel, so nothing else runs on this core meanwhile.
func writeCodeByte(p *byte, b byte) {
	arch.WriteProtect(false)
	*p = b
	arch.WriteProtect(true)
}
