package qemu

import "fmt"

// Guest RAM under TCG is a private mapping of the image's layout file
// (imageram.go); when that cannot be used, it is shared anonymous memory
// (memory-backend-ram with share=on) instead of QEMU's default private
// anonymous memory.
//
// QEMU asks the host kernel for transparent huge pages on private
// anonymous guest RAM (MADV_HUGEPAGE), so every 2 MiB region of guest
// memory a run touches is faulted in and cleared whole: a hello touches
// ~950 pages (3.8 MB) spread over 8 regions, 16 MiB. Shared anonymous
// memory is shmem, which the host gives huge pages only when its
// shmem_enabled setting says so (Debian's and most distributions'
// default is never), so a run faults in only the 4 KiB pages it touches.
// Fresh host memory is what a run after an idle host pays for: on this
// project's machines (themselves virtual machines with a free-page-
// reporting balloon) touching fresh memory cost up to ~5 ms per MiB
// instead of ~0.05, so a hello after a pause paid for 16 MiB instead of
// 3.8 (docs/boot.md, "After a pause").
//
// Unlike a memfd (a file, sparse and unaccounted), a shared anonymous
// mapping is accounted like private memory, so QEMU still refuses guest
// RAM the host cannot back ("cannot set up guest memory"), which gotoro
// reports as QEMU's failure. Under KVM guest RAM stays QEMU's private
// memory with huge pages (fewer second-level page faults and TLB misses
// for the guest; shared memory was not measured there).
func tcgMemoryArgs(size uint64) []string {
	return []string{"-object", "memory-backend-ram,id=mem,size=" + FormatSize(size) + ",share=on"}
}

// imageRAMFDs are QEMU's descriptors of an image's layout file (guest RAM)
// and stub ELF (-kernel), and the layout's size.
type imageRAMFDs struct {
	memFD, kernelFD int
	span            uint64
}

// imageRAMArgs returns the arguments of guest RAM of size bytes whose
// first span bytes are mapped privately (copy-on-write) from the layout
// file on QEMU's descriptor fd (imageram.go), the rest shared anonymous
// memory as tcgMemoryArgs gives it: two NUMA nodes, one per backend, which
// QEMU places one after the other in guest-physical memory (the guest
// sees one range of RAM; gotoro's kernel reads no NUMA tables). One
// backend mapping the file for all of guest RAM would read every page
// the guest touches through the page cache, the file's holes as pages of
// zeros, which made a guest that touched 512 MiB take 1.9 s instead of
// 0.7 the first time and left the page cache that much larger.
func imageRAMArgs(size uint64, fds imageRAMFDs) []string {
	file := min(size, fds.span)
	a := []string{"-object", fmt.Sprintf("memory-backend-file,id=mem0,size=%s,mem-path=/proc/self/fd/%d,share=off", FormatSize(file), fds.memFD)}
	if size == file {
		return append(a, "-numa", "node,memdev=mem0")
	}
	return append(a,
		"-object", "memory-backend-ram,id=mem1,size="+FormatSize(size-file)+",share=on",
		"-numa", "node,memdev=mem0", "-numa", "node,memdev=mem1")
}
