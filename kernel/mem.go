package kernel

import (
	"unsafe"

	"github.com/gotoro/gotoro/internal/bootabi"
	"github.com/gotoro/gotoro/kernel/mm"
)

// The kernel's side of package mm (physical pages, the page tables): the
// boot's hand-over of the memory map, the kernel-stack pool carved from
// the block mm.Init reserves, the out-of-memory report, and the TLB
// shootdown mm asks for, given to it as an mm.Host at boot. A zero-size
// type, so the interface value is static data and a call through it is
// one indirect call (docs/kernel.md, "Packages of the kernel").

const (
	pageSize  = mm.PageSize
	pageShift = mm.PageShift
)

type mmHost struct{}

// theMMHost is the interface value memInit hands to mm.SetHost, laid out
// by the compiler as static data (a conversion at run time would count as
// an escape to the heap). Its methods have pointer receivers: a value
// method called through an interface goes through a compiler-made
// wrapper, whose checks are translated blocks of their own under TCG.
var theMMHost mm.Host = &mmHost{}

//go:nosplit
func (*mmHost) TLBShootdown() { tlbShootdown() }
func (*mmHost) TLBService()   { tlbService(thisCPU()) }

// hvmStartInfo is the PVH boot information (xen/include/public/arch-x86/hvm/start_info.h).
type hvmStartInfo struct {
	magic         uint32
	version       uint32
	flags         uint32
	nrModules     uint32
	modlistPaddr  uint64
	cmdlinePaddr  uint64
	rsdpPaddr     uint64
	memmapPaddr   uint64
	memmapEntries uint32
	_             uint32
}

const hvmStartMagic = 0x336ec578

// memmap returns the PVH memory map. It fills the slice's header itself
// (unsafe.Slice's checks are branches, translated blocks under TCG; see
// unsafeSlice): memInit has checked the address and the count.
func (si *hvmStartInfo) memmap() []mm.MemmapEntry {
	var ents []mm.MemmapEntry
	h := (*sliceHeader)(unsafe.Pointer(&ents))
	h.data, h.len, h.cap = uintptr(si.memmapPaddr), uintptr(si.memmapEntries), uintptr(si.memmapEntries)
	return ents
}

// memInit hands the PVH memory map to mm, leaving out the first MiB, the
// image and what the boot block reserves, and carves the kernel stack pool
// first; then it maps the image's text and read-only data read-only
// (imagero.go) and places the guard pages under the pool's stacks, the
// boot stack and core 0's interrupt stacks (kstack.go).
func memInit(si *hvmStartInfo, bb *bootabi.BootBlock) {
	if min(si.memmapPaddr, uint64(si.memmapEntries)) == 0 { // one test for both
		kpanic("no memory map in hvm_start_info")
	}
	mm.SetHost(theMMHost)
	ents := si.memmap()
	top := mm.RAMTop(ents)
	nstacks := kstackCount(top)
	base := mm.Init(ents, top, uintptr(bb.ReservedTo), uintptr(nstacks)*kstackSlot)
	if base == 0 {
		kpanic("not enough memory for the kernel's stacks and tables: give the guest more with -mem")
	}
	kstackInit(base, nstacks)
	guardBootStacks(protectImage(bb))
}

// physReport prints where the free pages are, for an out-of-memory report:
// a large count in a core's pool or remote list points at stranded pages.
func physReport() {
	kprint("gotoro: free pages ")
	kprintDec(mm.FreePages())
	kprint(" of ")
	kprintDec(mm.TotalPages())
	for i := 0; i < ncpu; i++ {
		n, r := mm.PoolStats(i)
		kprint("; core ")
		kprintDec(uint64(i))
		kprint(" pool ")
		kprintDec(uint64(n))
		kprint(" remote ")
		kprintDec(uint64(r))
	}
	kprint("\n")
}
